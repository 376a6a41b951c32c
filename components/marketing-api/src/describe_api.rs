//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the whole public HTTP API (forms, signups,
//! opt-out, consent, the privacy centre, the site, this API) as this deployment is configured
//! ([`shared::openapi`]): its forms, newsletter lists, banner versions and allowed thank-you URLs.

use crate::config::ApiConfig;
use http::Response;
use shared::capture::{Banner, CaptureSettings, Forms, newsletter_lists};
use shared::openapi::{Deployment, document};
use shared::time::Timestamp;

/// The variables the document reads besides the capture settings' and the component's own.
pub const VARIABLES: [&str; 3] = ["forms", "newsletter_lists", "consent"];

/// The document for the configuration `get` reads, at `now`.
pub fn render(get: &dyn Fn(&str) -> Option<String>, now: Timestamp) -> anyhow::Result<String> {
    let api = ApiConfig::from_variables(get)?;
    let capture = CaptureSettings::from_variables(get)?;
    let forms = Forms::parse(&get("forms").unwrap_or_default())?;
    let lists = newsletter_lists(&get("newsletter_lists").unwrap_or_default())?;
    let banner = Banner::parse(&get("consent").unwrap_or_default())?;
    let deployment = Deployment {
        capture: &capture,
        forms: &forms,
        lists: &lists,
        banner: &banner,
        register: api.register.is_some(),
        key_management: api.key_management(),
    };
    Ok(document(&deployment, now).to_string())
}

pub fn describe_api(document: &str) -> Response<String> {
    shared::http::asset("application/json", document, "public, max-age=300")
}

/// The document, rendered on the instance's first request for it and kept for the instance's life.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static String, shared::http::ApiError> {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let names: [&[&str]; 4] = [
        &crate::config::VARIABLES,
        &shared::privacy::PrivacySettings::VARIABLES,
        &CaptureSettings::VARIABLES,
        &VARIABLES,
    ];
    shared::variables::load_once(&DOCUMENT, &names, |get| render(get, Timestamp::now())).await
}
