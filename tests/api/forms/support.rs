//! What the forms tests share: the test forms, the app, a contact post, and the submissions stored.

use crate::harness::TestApp;
use serde_json::{Value, json};
use shared::records::Submission;
use shared::store::Log;

/// Forms for tests: `contact` needs no render token; `quick` wants one at least a second old.
pub(crate) const TEST_FORMS: &str = r#"
[contact]
kind = "contact"
fields = ["name", "email", "company", "title", "phone", "message"]
required = ["name", "email"]
consents = ["privacy_policy", "marketing_email"]
required_consents = ["privacy_policy"]
thank_you = "http://127.0.0.1:3000/thanks.html"
min_seconds = 0

[quick]
kind = "content_download"
fields = ["email"]
required = ["email"]
thank_you = "http://127.0.0.1:3000/thanks.html"
min_seconds = 1
"#;

pub(super) async fn spawn(extra: &[(&str, &str)]) -> TestApp {
    TestApp::spawn_with(|vars| {
        vars.set("forms", TEST_FORMS);
        for (name, value) in extra {
            vars.set(name, *value);
        }
    })
    .await
}

/// The app behind a trusted proxy on loopback, so tests can choose the visitor's address.
pub(super) async fn behind_proxy() -> TestApp {
    spawn(&[("trusted_proxies", "127.0.0.1/32, ::1/128")]).await
}

pub(crate) fn contact() -> Value {
    json!({
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "company": "Analytical Engines Ltd",
        "title": "Head of Research",
        "phone": "+44 20 7946 0018",
        "message": "Please call me back.",
        "page_url": "https://www.example.com/contact",
        "referrer": "https://www.google.com/",
        "utm_source": "newsletter",
        "utm_campaign": "autumn",
        "consent_policy_version": "2026-01",
        "consent_text_hash": format!("sha256:{}", "ab".repeat(32)),
        "consent_privacy_policy": true,
    })
}

/// Every submission in the order of the change feed.
pub(super) async fn stored(app: &TestApp) -> Vec<Submission> {
    let store = app.store();
    let head = store.log_head(Log::Submissions).await.unwrap();
    let entries = store.log_entries(Log::Submissions, 0, head).await.unwrap();
    let ids: Vec<String> = entries
        .iter()
        .map(|(seq, entry)| {
            entry
                .as_ref()
                .unwrap_or_else(|| panic!("hole at {seq}"))
                .record
                .clone()
                .unwrap()
        })
        .collect();
    let mut submissions = Vec::new();
    for id in ids {
        submissions.push(
            store
                .submission(&id)
                .await
                .unwrap()
                .expect("the entry's record exists"),
        );
    }
    submissions
}

pub(super) async fn only_submission(app: &TestApp) -> Submission {
    let mut all = stored(app).await;
    assert_eq!(all.len(), 1, "expected exactly one stored submission");
    all.remove(0)
}

pub(super) async fn nothing_stored(app: &TestApp) {
    assert_eq!(
        app.store().log_head(Log::Submissions).await.unwrap(),
        0,
        "nothing should be stored"
    );
}
