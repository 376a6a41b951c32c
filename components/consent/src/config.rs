//! The consent component's configuration: the cookie categories, the banner's texts per locale and its
//! version (the `consent` variable, TOML), consent lifetimes, and the capture settings (proxies, CORS,
//! body limit), read once per component instance.

use anyhow::Context;
use shared::capture::{Banner, CaptureSettings};

/// The variables this component reads besides the capture settings' (all granted in `spin.toml`).
pub const VARIABLES: [&str; 1] = ["consent"];

/// Everything the component needs to know.
#[derive(Debug)]
pub struct ConsentConfig {
    pub capture: CaptureSettings,
    pub banner: Banner,
}

impl ConsentConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        Ok(Self {
            capture: CaptureSettings::from_variables(&get)?,
            banner: Banner::parse(&get("consent").unwrap_or_default())
                .context("variable consent")?,
        })
    }
}

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static ConsentConfig, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<ConsentConfig> = std::sync::OnceLock::new();
    shared::variables::load_once(&CONFIG, &[&CaptureSettings::VARIABLES, &VARIABLES], |get| {
        ConsentConfig::from_variables(get)
    })
    .await
}
