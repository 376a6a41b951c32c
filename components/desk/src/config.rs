//! The desk's configuration, read once per component instance from Spin variables: the capture
//! settings (client address, rate limit, allowed origins) and the privacy settings (the keys that seal
//! sessions, and everything a decision needs: mails, legal holds, facts).

use shared::capture::CaptureSettings;
use shared::privacy::PrivacySettings;

#[derive(Debug)]
pub struct DeskConfig {
    pub capture: CaptureSettings,
    pub privacy: PrivacySettings,
}

impl DeskConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        Ok(Self {
            capture: CaptureSettings::from_variables(&get)?,
            privacy: PrivacySettings::from_variables(&get)?,
        })
    }
}

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static DeskConfig, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<DeskConfig> = std::sync::OnceLock::new();
    shared::variables::load_once(
        &CONFIG,
        &[&CaptureSettings::VARIABLES, &PrivacySettings::VARIABLES],
        |get| DeskConfig::from_variables(get),
    )
    .await
}
