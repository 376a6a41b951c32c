//! The privacy component's configuration, read once per component instance from Spin variables.

use anyhow::Context;
use shared::capture::CaptureSettings;
use shared::privacy::PrivacySettings;

/// The variables this component reads besides the capture and privacy settings'.
pub const VARIABLES: [&str; 1] = ["privacy_min_seconds"];

#[derive(Debug)]
pub struct PrivacyConfig {
    pub capture: CaptureSettings,
    pub privacy: PrivacySettings,
    /// Seconds a person needs at least between rendering the request form and posting it; 0 turns the
    /// render-token check off.
    pub min_seconds: u32,
}

impl PrivacyConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        Ok(Self {
            capture: CaptureSettings::from_variables(&get)?,
            privacy: PrivacySettings::from_variables(&get)?,
            min_seconds: get("privacy_min_seconds")
                .unwrap_or_default()
                .trim()
                .parse()
                .context("variable privacy_min_seconds must be a whole number of seconds")?,
        })
    }
}

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static PrivacyConfig, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<PrivacyConfig> = std::sync::OnceLock::new();
    shared::variables::load_once(
        &CONFIG,
        &[
            &CaptureSettings::VARIABLES,
            &PrivacySettings::VARIABLES,
            &VARIABLES,
        ],
        |get| PrivacyConfig::from_variables(get),
    )
    .await
}
