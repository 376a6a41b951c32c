//! The one mailer: messages go into a durable outbox in the key-value store first, then to a
//! Postmark-style send API over HTTP, with retries and backoff; nothing is lost when the provider fails.
//!
//! | item | what |
//! |---|---|
//! | [`Message`] | one email; every header value one line ([`Message::with_unsubscribe`] for RFC 8058) |
//! | [`enqueue`] | write a message to the outbox (record + `outbox` log entry) |
//! | [`deliver_now`] | best-effort immediate delivery of one message right after enqueueing |
//! | [`deliver_due`] | one scheduled run: due messages, claimed per attempt, low-water mark advanced |
//! | [`pending`], [`reschedule`] | what waits; make a message due now |
//! | [`MailSettings`], [`Mailer`], [`Transport`] | provider settings, the provider, the HTTP carrier |
//!
//! With no provider configured (`mail_api_url` empty) [`Mailer::new`] is `None` and mail stays queued;
//! read it with [`pending`] or [`Store::outbox_message`](crate::store::Store::outbox_message).
//!
//! ```ignore
//! let message = Message::new(&email, &settings.from, "Please confirm your subscription", &text)?
//!     .with_unsubscribe(&unsubscribe_url, "mailto:unsubscribe@example.com")?;
//! let id = mailer::enqueue(&store, message, now).await?;
//! let _ = mailer::deliver_now(&store, Mailer::new(settings, SpinTransport).as_ref(), &id, now).await;
//! ```

mod outbox;
mod provider;

pub use crate::records::{
    LIST_UNSUBSCRIBE, LIST_UNSUBSCRIBE_POST, MailError, Message, ONE_CLICK, OutboxMessage, OutboxStatus,
};
pub use outbox::{
    Delivery, DeliveryReport, LEASE_SECONDS, deliver_due, deliver_now,
    enqueue, enqueue_then_erase, enqueue_write, pending, reschedule, retry_delay_seconds,
};
#[cfg(target_arch = "wasm32")]
pub use provider::SpinTransport;
pub use provider::{
    MailSettings, Mailer, ProviderRequest, ProviderResponse, Transport, postmark_request,
};

#[cfg(test)]
mod tests;
