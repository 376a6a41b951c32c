//! Newsletter signups with double opt-in, and demo requests.
//!
//! | route | handler |
//! |---|---|
//! | `POST /api/newsletter` | [`subscribe::subscribe`]: pending signup, confirmation mail to the outbox |
//! | `GET /api/newsletter/confirm/{token}` | [`show_confirmation::show_confirmation`]: a page with a button; confirms nothing |
//! | `POST /api/newsletter/confirm/{token}` | [`confirm::confirm`]: confirm, with proof of opt-in |
//! | `POST /api/demo` | [`request_demo::request_demo`]: a demo request with status `requested` |
//! | `GET /api/newsletter/token`, `GET /api/demo/token` | [`issue_token::issue_token`]: render time for the spam check |
//! | `OPTIONS ...` | CORS preflight for allowed origins |

pub mod config;
pub mod confirm;
pub mod issue_token;
pub mod mail;
pub mod request_demo;
pub mod show_confirmation;
pub mod subscribe;

#[cfg(target_arch = "wasm32")]
mod entry {
    use crate::{config, confirm, issue_token, request_demo, show_confirmation, subscribe};
    use http::Method;
    use shared::capture::{error_as_html, preflight, respond};
    use shared::http::ApiError;
    use shared::mailer::SpinTransport;
    use shared::store::Store;
    use spin_sdk::http::Request;

    #[spin_sdk::http_service]
    async fn handle(request: Request) -> http::Response<String> {
        let config = match config::load().await {
            Ok(config) => config,
            Err(error) => return error.into_response(error_as_html(request.headers())),
        };
        let headers = request.headers().clone();
        let path = request.uri().path().to_owned();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let store = match Store::open() {
            Ok(store) => store,
            Err(error) => return respond(&headers, &config.capture, Err(error.into())),
        };
        let result = match (request.method().clone(), segments.as_slice()) {
            (Method::POST, ["api", "newsletter"]) => {
                subscribe::subscribe(request, config, &store, SpinTransport).await
            }
            (Method::GET, ["api", "newsletter", "confirm", token]) => {
                show_confirmation::show_confirmation(config, token)
            }
            (Method::POST, ["api", "newsletter", "confirm", token]) => {
                confirm::confirm(&headers, config, &store, token).await
            }
            (Method::POST, ["api", "demo"]) => {
                request_demo::request_demo(request, config, &store).await
            }
            (Method::GET, ["api", "newsletter", "token"]) => {
                Ok(issue_token::issue_token(config, subscribe::FORM))
            }
            (Method::GET, ["api", "demo", "token"]) => {
                Ok(issue_token::issue_token(config, request_demo::FORM))
            }
            (Method::OPTIONS, _) => preflight(&headers, &config.capture),
            (_, ["api", "newsletter" | "demo"]) => Err(ApiError::MethodNotAllowed {
                allow: "POST, OPTIONS",
            }),
            (_, ["api", "newsletter", "confirm", _]) => {
                Err(ApiError::MethodNotAllowed { allow: "GET, POST" })
            }
            _ => Err(ApiError::NotFound),
        };
        respond(&headers, &config.capture, result)
    }
}
