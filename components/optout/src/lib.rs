//! Opting out: the unsubscribe links in emails (with RFC 8058 one-click) and the do-not-call request.
//!
//! | route | handler |
//! |---|---|
//! | `GET /u/{token}` | [`show_unsubscribe::show_unsubscribe`]: what will happen, and a button; changes nothing |
//! | `POST /u/{token}` | [`unsubscribe::unsubscribe`]: apply at once (also `List-Unsubscribe=One-Click`) |
//! | `POST /api/opt-out/phone` | [`do_not_call::do_not_call`]: put a phone number on the do-not-call registry |

pub mod config;
pub mod do_not_call;
pub mod show_unsubscribe;
pub mod unsubscribe;

#[cfg(target_arch = "wasm32")]
mod entry {
    use crate::{config, do_not_call, show_unsubscribe, unsubscribe};
    use http::{Method, Response};
    use shared::capture::{CaptureSettings, preflight};
    use shared::entry::{Incoming, serve};
    use shared::http::ApiError;
    use shared::store::{SpinBackend, Store};

    #[spin_sdk::http_service]
    async fn handle(request: spin_sdk::http::Request) -> Response<String> {
        serve(
            request,
            config::load().await,
            |settings| Some(settings),
            route,
        )
        .await
    }

    async fn route(
        incoming: Incoming,
        settings: &'static CaptureSettings,
        store: Store<SpinBackend>,
    ) -> Result<Response<String>, ApiError> {
        let segments = incoming.segments();
        match (&incoming.method, &segments[..]) {
            (&Method::GET, ["u", token]) => show_unsubscribe::show_unsubscribe(settings, token),
            (&Method::POST, ["u", token]) => {
                unsubscribe::unsubscribe(&incoming.headers, settings, &store, token).await
            }
            (&Method::POST, ["api", "opt-out", "phone"]) => {
                do_not_call::do_not_call(incoming.request, settings, &store).await
            }
            (&Method::OPTIONS, ["api", ..]) => preflight(&incoming.headers, settings),
            _ => Err(ApiError::NotFound),
        }
    }
}
