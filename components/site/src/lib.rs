//! The demo site and the drop-in cookie banner, served from assets embedded at build time.
//!
//! | route | handler |
//! |---|---|
//! | `GET /` | [`serve_asset::serve_asset`]: the demo page (`assets/index.html`): the banner and the forms |
//! | `GET /consent.js`, `/consent.css` | [`serve_asset::serve_asset`]: the banner script and its stylesheet |
//! | `GET /thanks.html` | [`serve_asset::serve_asset`]: the forms' thank-you page |
//! | `GET /site.js`, `/site.css`, `/stand-in-tag.js` | [`serve_asset::serve_asset`]: the demo page's script, look and stand-in analytics tag |
//! | anything else | `404` (the API components' routes are more specific, so Spin sends those there) |
//!
//! No store; the only variable read is the banner's (`consent`), for its Consent Mode wait.

pub mod config;
pub mod serve_asset;

#[cfg(target_arch = "wasm32")]
mod entry {
    use crate::serve_asset;
    use http::Response;
    use shared::http::prefers_html;

    #[spin_sdk::http_service]
    async fn handle(request: spin_sdk::http::Request) -> Response<String> {
        crate::config::load()
            .await
            .and_then(|config| {
                serve_asset::serve_asset(
                    request.method(),
                    request.uri().path(),
                    config.wait_for_update_ms,
                )
            })
            .unwrap_or_else(|error| error.into_response(prefers_html(request.headers())))
    }
}
