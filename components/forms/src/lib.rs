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
    use crate::config::{self, FormsConfig};
    use crate::{issue_token, submit};
    use http::{Method, Response};
    use shared::capture::preflight;
    use shared::entry::{Incoming, serve};
    use shared::http::ApiError;
    use shared::store::{SpinBackend, Store};

    #[spin_sdk::http_service]
    async fn handle(request: spin_sdk::http::Request) -> Response<String> {
        serve(request, config::load().await, |c| Some(&c.capture), route).await
    }

    async fn route(
        incoming: Incoming,
        config: &'static FormsConfig,
        store: Store<SpinBackend>,
    ) -> Result<Response<String>, ApiError> {
        let segments = incoming.segments();
        match (&incoming.method, &segments[..]) {
            (&Method::POST, ["api", "forms", form]) => {
                let form = form.to_string();
                submit::submit(incoming.request, config, &store, &form).await
            }
            (&Method::GET, ["api", "forms", form, "token"]) => {
                issue_token::issue_token(config, form)
            }
            (&Method::OPTIONS, _) => preflight(&incoming.headers, &config.capture),
            _ => Err(ApiError::NotFound),
        }
    }
}
