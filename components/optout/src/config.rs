//! The opt-out component's configuration: the capture settings (keys, proxies, limits, all granted in
//! `spin.toml`), read once per component instance.

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static shared::capture::CaptureSettings, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<shared::capture::CaptureSettings> =
        std::sync::OnceLock::new();
    shared::variables::load_once(
        &CONFIG,
        &[&shared::capture::CaptureSettings::VARIABLES],
        |get| shared::capture::CaptureSettings::from_variables(get),
    )
    .await
}
