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
shared::entry::component! {
    config: config::load(),
    cors: |c| Some(&c.capture),
    route: async |incoming, config, store| {
        let segments = incoming.segments();
        match (&incoming.method, &segments[..]) {
            (&Method::POST, ["api", "newsletter"]) => {
                subscribe::subscribe(incoming.request, config, &store).await
            }
            (&Method::GET, ["api", "newsletter", "confirm", token]) => {
                show_confirmation::show_confirmation(&incoming.headers, config, &store, token).await
            }
            (&Method::POST, ["api", "newsletter", "confirm", token]) => {
                confirm::confirm(&incoming.headers, config, &store, token).await
            }
            (&Method::POST, ["api", "demo"]) => {
                request_demo::request_demo(incoming.request, config, &store).await
            }
            (&Method::GET, ["api", "newsletter", "token"]) => {
                Ok(issue_token::issue_token(config, subscribe::FORM))
            }
            (&Method::GET, ["api", "demo", "token"]) => {
                Ok(issue_token::issue_token(config, request_demo::FORM))
            }
            (&Method::OPTIONS, _) => shared::capture::preflight(&incoming.headers, &config.capture),
            _ => Err(ApiError::NotFound),
        }
    },
}
