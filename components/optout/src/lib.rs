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
    use http::Method;
    use shared::capture::{error_as_html, preflight, respond};
    use shared::http::ApiError;
    use shared::store::Store;
    use spin_sdk::http::Request;

    #[spin_sdk::http_service]
    async fn handle(request: Request) -> http::Response<String> {
        let settings = match config::load().await {
            Ok(settings) => settings,
            Err(error) => return error.into_response(error_as_html(request.headers())),
        };
        let headers = request.headers().clone();
        let path = request.uri().path().to_owned();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let store = match Store::open() {
            Ok(store) => store,
            Err(error) => return respond(&headers, settings, Err(error.into())),
        };
        let result = match (request.method().clone(), segments.as_slice()) {
            (Method::GET, ["u", token]) => show_unsubscribe::show_unsubscribe(settings, token),
            (Method::POST, ["u", token]) => {
                unsubscribe::unsubscribe(&headers, settings, &store, token).await
            }
            (Method::POST, ["api", "opt-out", "phone"]) => {
                do_not_call::do_not_call(request, settings, &store).await
            }
            (Method::OPTIONS, ["api", ..]) => preflight(&headers, settings),
            (_, ["u", _]) => Err(ApiError::MethodNotAllowed { allow: "GET, POST" }),
            (_, ["api", "opt-out", "phone"]) => Err(ApiError::MethodNotAllowed {
                allow: "POST, OPTIONS",
            }),
            _ => Err(ApiError::NotFound),
        };
        respond(&headers, settings, result)
    }
}
