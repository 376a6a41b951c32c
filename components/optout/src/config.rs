//! The opt-out component's configuration: the capture settings (keys, proxies, limits), read once per
//! component instance.

/// The variables this component reads (all granted in `spin.toml`).
pub const VARIABLES: [&str; 7] = [
    "signing_key",
    "suppression_key",
    "trusted_proxies",
    "redirect_allow_list",
    "allowed_origins",
    "max_body_bytes",
    "rate_limit",
];

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static shared::capture::CaptureSettings, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<shared::capture::CaptureSettings> =
        std::sync::OnceLock::new();
    shared::variables::load_once(&CONFIG, &VARIABLES, |get| {
        shared::capture::CaptureSettings::from_variables(get)
    })
    .await
}
