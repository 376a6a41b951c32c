//! The demo site and the drop-in cookie banner, served from assets embedded at build time.
//!
//! | route | handler |
//! |---|---|
//! | `GET /` | [`serve_asset::serve_asset`]: the demo page (`assets/index.html`): the banner and the forms |
//! | `GET /consent.js` | [`serve_asset::serve_asset`]: the banner script (`assets/consent.js`) |
//! | `GET /thanks.html` | [`serve_asset::serve_asset`]: the forms' thank-you page |
//! | anything else | `404` (the API components' routes are more specific, so Spin sends those there) |
//!
//! No configuration and no store: nothing here reads variables or keeps state.

pub mod serve_asset;

#[cfg(target_arch = "wasm32")]
mod entry {
    use crate::serve_asset;
    use http::Response;
    use shared::http::prefers_html;

    #[spin_sdk::http_service]
    async fn handle(request: spin_sdk::http::Request) -> Response<String> {
        serve_asset::serve_asset(request.method(), request.uri().path())
            .unwrap_or_else(|error| error.into_response(prefers_html(request.headers())))
    }
}
