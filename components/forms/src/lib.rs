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
shared::entry::component! {
    config: config::load(),
    cors: |c| Some(&c.capture),
    route: async |incoming, config, store| {
        let segments = incoming.segments();
        match (&incoming.method, &segments[..]) {
            (&Method::POST, ["api", "forms", form]) => {
                let form = form.to_string();
                submit::submit(incoming.request, config, &store, &form).await
            }
            (&Method::GET, ["api", "forms", form, "token"]) => {
                issue_token::issue_token(config, form)
            }
            (&Method::OPTIONS, _) => shared::capture::preflight(&incoming.headers, &config.capture),
            _ => Err(ApiError::NotFound),
        }
    },
}
