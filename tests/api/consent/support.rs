//! What the consent tests share: an app that trusts the loopback proxy, the banner it serves, a
//! decision's body, and the stored history.

use crate::harness::TestApp;
use serde_json::{Value, json};
use shared::records::ConsentDecision;

pub(crate) async fn spawn() -> TestApp {
    TestApp::spawn_with(|vars| {
        vars.set("trusted_proxies", "127.0.0.1/32");
    })
    .await
}

/// The banner version and text hash the app serves.
pub(crate) async fn banner(app: &TestApp) -> (String, String) {
    let config: Value = app.get("/api/consent/config").await.json().await.unwrap();
    (
        config["banner_version"].as_str().unwrap().to_owned(),
        config["text_hash"].as_str().unwrap().to_owned(),
    )
}

pub(crate) async fn decision(
    app: &TestApp,
    method: &str,
    decisions: Value,
    id: Option<&str>,
) -> Value {
    let (version, hash) = banner(app).await;
    let mut body = json!({
        "decisions": decisions,
        "banner_version": version,
        "text_hash": hash,
        "locale": "en",
        "page_url": "https://www.example.com/pricing?email=ada%40example.com#top",
        "method": method,
    });
    if let Some(id) = id {
        body["consent_id"] = json!(id);
    }
    body
}

pub(crate) async fn post(
    app: &TestApp,
    body: &Value,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    app.post_json_with("/api/consent", body, headers).await
}

pub(crate) async fn history(app: &TestApp, id: &str) -> Vec<ConsentDecision> {
    app.store().consent_history(id).await.unwrap()
}

/// The project's default `consent` variable, read from spin.toml.
pub(crate) fn shared_default_consent() -> String {
    let manifest = ::host::manifest::Manifest::load(&crate::harness::project_manifest()).unwrap();
    manifest.variables["consent"]
        .default
        .clone()
        .expect("a default banner")
}
