//! An erasure reaches the systems fed: after an approved erasure, a webhook endpoint gets
//! `person.erased` naming the erased records by id, with no email, name or phone anywhere in it.

use super::support::{
    EMAIL, NAME, PHONE, ask_for, capture_everything, decide, only_request, staff_key, verify,
};
use crate::harness::TestApp;
use crate::jobs::{JOBS_TOKEN, run};
use crate::receiver::{Receiver, verifies};
use serde_json::{Value, json};

const ADMIN_KEY: &str = "admin-key-0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn after_an_approved_erasure_the_receiver_gets_person_erased_naming_the_records_without_personal_data()
 {
    let receiver = Receiver::start().await;
    let app = TestApp::spawn_with(|vars| {
        vars.set("admin_api_key", ADMIN_KEY)
            .set("jobs_token", JOBS_TOKEN)
            .set("signup_min_seconds", "0")
            .set("privacy_min_seconds", "0")
            .set("trusted_proxies", "127.0.0.1/32")
            .set("webhook_allowed_hosts", receiver.origin.clone());
    })
    .await;
    let created = app
        .send(
            app.client
                .post(app.url("/api/v1/webhooks"))
                .bearer_auth(ADMIN_KEY)
                .json(&json!({"url": receiver.url(), "events": ["person.erased"]})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let secret = created.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let captured = capture_everything(&app).await;
    ask_for(&app, &["erasure"]).await;
    assert_eq!(verify(&app).await.status(), 200);
    let request = only_request(&app).await;
    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let answered = decide(&app, &officer, &request.id, json!({"action": "approve"})).await;
    assert_eq!(answered["status"], "completed");
    assert_eq!(run(&app, "?only=webhooks").await.status(), 200);

    let seen = receiver.seen();
    assert_eq!(seen.len(), 1, "only the event asked for");
    let got = &seen[0];
    assert_eq!(got.event_type(), "person.erased");
    assert!(verifies(&secret, got));
    let records = got.body["data"]["records"].as_array().unwrap();
    let named = |kind: &str, id: &str| records.iter().any(|r| r["type"] == kind && r["id"] == id);
    assert!(named("submission", &captured.submission), "{records:?}");
    assert!(named("demo-request", &captured.demo_request), "{records:?}");
    let text = String::from_utf8_lossy(&got.raw).to_lowercase();
    for needle in [
        EMAIL.to_lowercase(),
        NAME.to_lowercase(),
        PHONE.to_owned(),
        "4930123456789".into(),
    ] {
        assert!(!text.contains(&needle), "{needle} in {text}");
    }
}
