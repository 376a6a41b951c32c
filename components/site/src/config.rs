//! The site's configuration: only how long Google tags wait for the banner (`consent_mode` of the
//! `consent` variable), which the banner script must know before it loads anything else.

use anyhow::Context;
use shared::capture::Banner;

/// The variables this component reads (granted in `spin.toml`).
pub const VARIABLES: [&str; 1] = ["consent"];

#[derive(Debug)]
pub struct SiteConfig {
    /// `wait_for_update` of the banner's Consent Mode default, in milliseconds.
    pub wait_for_update_ms: u32,
}

impl SiteConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let banner =
            Banner::parse(&get("consent").unwrap_or_default()).context("variable consent")?;
        Ok(Self {
            wait_for_update_ms: banner.shown.consent_mode.wait_for_update_ms,
        })
    }
}

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static SiteConfig, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<SiteConfig> = std::sync::OnceLock::new();
    shared::variables::load_once(&CONFIG, &[&VARIABLES], |get| {
        SiteConfig::from_variables(get)
    })
    .await
}
