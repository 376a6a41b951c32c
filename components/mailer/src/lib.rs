//! The mailer: delivers the outbox to the mail provider.
//!
//! | route | handler |
//! |---|---|
//! | `POST /api/outbox/deliver?limit=N` | [`deliver::deliver`]: one delivery run, `{sent, failed, pending}` |
//! | `GET /api/outbox?limit=N` | [`list_outbox::list_outbox`]: the messages still waiting, oldest first |
//! | `POST /api/mail/events` | [`record_mail_event::record_mail_event`]: a bounce or spam complaint from the provider |
//!
//! The outbox routes need `Authorization: Bearer {outbox_token}` (compared in constant time); with
//! `outbox_token` empty every call is refused. A scheduler (cron + curl) calls the deliver route. The
//! provider calls the events route with basic auth ([`config::MailerConfig::mail_events_authorized`]).

pub mod config;
pub mod deliver;
pub mod limit;
pub mod list_outbox;
pub mod record_mail_event;

#[cfg(target_arch = "wasm32")]
shared::entry::component! {
    config: config::load(),
    // Called by a scheduler, not a browser: no CORS.
    cors: |_| None,
    route: async |incoming, config, store| {
        use shared::mailer::SpinTransport;
        let (headers, query, now) = (
            &incoming.headers,
            incoming.query.as_deref(),
            shared::time::Timestamp::now(),
        );
        match (&incoming.method, &incoming.segments()[..]) {
            (&Method::POST, ["api", "outbox", "deliver"]) => {
                deliver::deliver(headers, query, config, &store, SpinTransport, now).await
            }
            (&Method::GET, ["api", "outbox"]) => {
                list_outbox::list_outbox(headers, query, config, &store, now).await
            }
            (&Method::POST, ["api", "mail", "events"]) => {
                let body = shared::http::read_body(
                    headers,
                    incoming.request.body().clone(),
                    record_mail_event::MAX_BODY,
                )
                .await?;
                record_mail_event::record_mail_event(headers, &body, config, &store, now).await
            }
            _ => Err(ApiError::NotFound),
        }
    },
}
