//! Cookie-consent log: per-category decisions with proof of what was shown, a history per pseudonymous
//! consent id, and receipts.
//!
//! | route | handler |
//! |---|---|
//! | `GET /api/consent/config` | [`show_config::show_config`]: categories, texts per locale, banner version and text hash |
//! | `POST /api/consent` | [`record_consent::record_consent`]: a decision (new id on the first one) |
//! | `GET /api/consent/{id}` | [`show_receipt::show_receipt`]: current decision and history, JSON or HTML |
//! | `OPTIONS /api/consent...` | CORS preflight for allowed origins |

pub mod config;
pub mod record_consent;
pub mod show_config;
pub mod show_receipt;

#[cfg(target_arch = "wasm32")]
shared::entry::component! {
    config: config::load(),
    cors: |c| Some(&c.capture),
    route: async |incoming, config, store| {
        let segments = incoming.segments();
        match (&incoming.method, &segments[..]) {
            (&Method::GET, ["api", "consent", "config"]) => {
                Ok(show_config::show_config(&incoming.headers, config))
            }
            (&Method::POST, ["api", "consent"]) => {
                record_consent::record_consent(incoming.request, config, &store).await
            }
            (&Method::GET, ["api", "consent", id]) => {
                show_receipt::show_receipt(&incoming.headers, &store, id).await
            }
            (&Method::OPTIONS, _) => shared::capture::preflight(&incoming.headers, &config.capture),
            _ => Err(ApiError::NotFound),
        }
    },
}
