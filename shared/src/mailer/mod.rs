//! The one mailer: messages go into a durable outbox in the key-value store first, then to a
//! Postmark-style send API over HTTP, with retries and backoff; nothing is lost when the provider fails.
//!
//! | item | what |
//! |---|---|
//! | [`Message`] | one email; every header value one line ([`Message::with_unsubscribe`] for RFC 8058) |
//! | [`enqueue`] | write a message to the outbox (record + `outbox` log entry) |
//! | [`deliver_now`] | best-effort immediate delivery of one message right after enqueueing |
//! | [`attempt`] | one claimed delivery attempt and its result (the outbox job, `crate::jobs::outbox`, runs them) |
//! | [`reschedule`] | make a message due now |
//! | [`MailSettings`], [`Mailer`], [`Transport`] | provider settings, the provider, the HTTP carrier |
//!
//! With no provider configured (`mail_api_url` empty) [`Mailer::new`] is `None` and mail stays queued;
//! read it with `crate::jobs::outbox::pending` or [`Store::outbox_message`](crate::store::Store::outbox_message).
//!
//! ```ignore
//! let message = Message::new(&email, &settings.from, "Please confirm your subscription", &text)?
//!     .with_unsubscribe(&unsubscribe_url, "mailto:unsubscribe@example.com")?;
//! let id = mailer::enqueue(&store, message, now).await?;
//! let _ = mailer::deliver_now(&store, Mailer::new(settings, SpinTransport).as_ref(), &id, now).await;
//! ```

pub mod bounces;
mod outbox;
mod provider;

pub use crate::records::{
    LIST_UNSUBSCRIBE, LIST_UNSUBSCRIBE_POST, MailError, Message, ONE_CLICK, OutboxMessage,
    OutboxStatus,
};
pub use outbox::{
    Delivery, GIVE_UP_AFTER, LEASE_SECONDS, attempt, deliver_now, enqueue, enqueue_notice,
    enqueue_then_erase, enqueue_write, reschedule, retry_delay_seconds,
};
#[cfg(target_arch = "wasm32")]
pub use provider::SpinTransport;
pub use provider::{
    MailSettings, Mailer, ProviderRequest, ProviderResponse, Transport, postmark_request,
};

#[cfg(test)]
mod tests;
