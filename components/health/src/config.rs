//! The health component's configuration: how long the liveness probe waits for the store.

use anyhow::{Context, bail};

/// The variables this component reads (granted in `spin.toml`).
pub const VARIABLES: [&str; 1] = ["liveness_store_seconds"];

/// The default wait of the liveness probe's read.
const DEFAULT_LIVENESS_SECONDS: u64 = 10;

#[derive(Debug)]
pub struct HealthConfig {
    /// How long the liveness probe's read may take, in milliseconds.
    pub liveness_millis: u64,
}

impl HealthConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let seconds = match get("liveness_store_seconds").filter(|v| !v.trim().is_empty()) {
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .context("variable liveness_store_seconds must be a whole number of seconds")?,
            None => DEFAULT_LIVENESS_SECONDS,
        };
        if !(1..=300).contains(&seconds) {
            bail!("variable liveness_store_seconds must be between 1 and 300");
        }
        Ok(Self {
            liveness_millis: seconds * 1000,
        })
    }
}

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static HealthConfig, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<HealthConfig> = std::sync::OnceLock::new();
    shared::variables::load_once(&CONFIG, &[&VARIABLES], |get| {
        HealthConfig::from_variables(get)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_liveness_wait_defaults_to_ten_seconds_and_refuses_nonsense() {
        let config = HealthConfig::from_variables(|_| None).unwrap();
        assert_eq!(config.liveness_millis, 10_000);
        let set = |v: &'static str| HealthConfig::from_variables(move |_| Some(v.to_owned()));
        assert_eq!(set("3").unwrap().liveness_millis, 3_000);
        for bad in ["0", "301", "ten", "-1"] {
            assert!(set(bad).is_err(), "{bad}");
        }
    }
}
