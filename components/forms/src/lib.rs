//! Website form capture: demo requests, content downloads, contact and event forms.
//!
//! | route | handler |
//! |---|---|
//! | `POST /api/forms/{form}` | [`submit::submit`]: validate, judge spam, store with IP, location and consent |
//! | `GET /api/forms/{form}/token` | [`issue_token::issue_token`]: a signed render time for the spam check |
//! | `OPTIONS /api/forms/...` | CORS preflight for allowed origins |

pub mod config;
pub mod issue_token;
pub mod submit;

#[cfg(target_arch = "wasm32")]
mod entry {
    use crate::{config, issue_token, submit};
    use http::Method;
    use shared::capture::{error_as_html, preflight, respond};
    use shared::http::ApiError;
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
        let segments: Vec<&str> = path.trim_start_matches("/api/forms/").split('/').collect();
        let result = match (request.method().clone(), segments.as_slice()) {
            (Method::POST, [form]) => match Store::open() {
                Ok(store) => submit::submit(request, config, &store, form).await,
                Err(error) => Err(error.into()),
            },
            (Method::GET, [form, "token"]) => issue_token::issue_token(config, form),
            (Method::OPTIONS, _) => preflight(&headers, &config.capture),
            (_, [_]) => Err(ApiError::MethodNotAllowed {
                allow: "POST, OPTIONS",
            }),
            (_, [_, "token"]) => Err(ApiError::MethodNotAllowed {
                allow: "GET, OPTIONS",
            }),
            _ => Err(ApiError::NotFound),
        };
        respond(&headers, &config.capture, result)
    }
}
