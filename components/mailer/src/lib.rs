//! The mailer: delivers the outbox to the mail provider.
//!
//! | route | handler |
//! |---|---|
//! | `POST /api/outbox/deliver?limit=N` | [`deliver::deliver`]: one delivery run, `{sent, failed, pending}` |
//! | `GET /api/outbox?limit=N` | [`list_outbox::list_outbox`]: the messages still waiting, oldest first |
//!
//! Both need `Authorization: Bearer {outbox_token}` (compared in constant time); with `outbox_token`
//! empty every call is refused. A scheduler (cron + curl) calls the deliver route.

pub mod config;
pub mod deliver;
pub mod limit;
pub mod list_outbox;

#[cfg(target_arch = "wasm32")]
mod entry {
    use crate::config::{self, MailerConfig};
    use crate::{deliver, list_outbox};
    use http::{Method, Response};
    use shared::entry::{Incoming, serve};
    use shared::http::ApiError;
    use shared::mailer::SpinTransport;
    use shared::store::{SpinBackend, Store};
    use shared::time::Timestamp;

    #[spin_sdk::http_service]
    async fn handle(request: spin_sdk::http::Request) -> Response<String> {
        // Called by a scheduler, not a browser: no CORS.
        serve(request, config::load().await, |_| None, route).await
    }

    async fn route(
        incoming: Incoming,
        config: &'static MailerConfig,
        store: Store<SpinBackend>,
    ) -> Result<Response<String>, ApiError> {
        let (headers, query, now) = (
            &incoming.headers,
            incoming.query.as_deref(),
            Timestamp::now(),
        );
        match (&incoming.method, &incoming.segments()[..]) {
            (&Method::POST, ["api", "outbox", "deliver"]) => {
                deliver::deliver(headers, query, config, &store, SpinTransport, now).await
            }
            (&Method::GET, ["api", "outbox"]) => {
                list_outbox::list_outbox(headers, query, config, &store, now).await
            }
            _ => Err(ApiError::NotFound),
        }
    }
}
