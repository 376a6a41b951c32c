//! Accepted posts: JSON and HTML form posts stored and answered (receipt or thank-you redirect), the
//! thank-you allow-list, the register entry, and the project's own forms.

use super::support::{behind_proxy, contact, nothing_stored, only_submission, spawn};
use crate::harness::{TestApp, field_errors};
use serde_json::{Value, json};
use shared::records::{Action, Actor, SpamReason};
use shared::store::Log;

fn contact_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "Grace Hopper"),
        ("email", "grace@example.com"),
        ("message", "Hello"),
        ("consent_policy_version", "2026-01"),
        ("consent_privacy_policy", "on"),
    ]
}

#[tokio::test]
async fn a_json_post_is_stored_with_contact_visit_ip_location_and_consent() {
    let app = behind_proxy().await;

    let response = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[
                ("x-forwarded-for", "8.8.8.8"),
                ("sec-gpc", "1"),
                ("user-agent", "TestBrowser/1.0"),
            ],
        )
        .await;

    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().await.unwrap();
    let stored = only_submission(&app).await;
    assert_eq!(receipt["id"], stored.id.as_str());
    assert_eq!(stored.form, "contact");
    assert_eq!(stored.contact.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(stored.contact.email.as_deref(), Some("ada@example.com"));
    assert_eq!(stored.contact.phone.as_deref(), Some("+442079460018"));
    assert_eq!(
        stored.visit.page_url.as_deref(),
        Some("https://www.example.com/contact")
    );
    assert_eq!(
        stored.visit.utm.get("utm_campaign").map(String::as_str),
        Some("autumn")
    );
    assert_eq!(stored.visit.user_agent.as_deref(), Some("TestBrowser/1.0"));
    assert_eq!(stored.origin.ip.as_deref(), Some("8.8.8.8"));
    assert_eq!(stored.origin.ip_truncated, "8.8.8.0");
    let location = stored.origin.location.expect("8.8.8.8 has a location");
    assert_eq!(location.country, "US");
    assert!(!location.eu);
    assert_eq!(stored.consent.policy_version.as_deref(), Some("2026-01"));
    assert_eq!(
        stored.consent.text_hash,
        Some(format!("sha256:{}", "ab".repeat(32)))
    );
    assert_eq!(stored.consent.choices.get("privacy_policy"), Some(&true));
    assert_eq!(
        stored.consent.choices.get("marketing_email"),
        Some(&false),
        "an unticked box is recorded as refused"
    );
    assert!(stored.consent.gpc);
    assert_eq!(stored.spam, None);
}

#[tokio::test]
async fn a_plain_html_form_post_is_stored_and_redirected_to_the_thank_you_page() {
    let app = spawn(&[]).await;

    let response = app.post_form("/api/forms/contact", &contact_form()).await;

    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "http://127.0.0.1:3000/thanks.html"
    );
    let stored = only_submission(&app).await;
    assert_eq!(stored.contact.name.as_deref(), Some("Grace Hopper"));
    assert_eq!(stored.consent.choices.get("privacy_policy"), Some(&true));
    assert!(!stored.consent.gpc);
}

#[tokio::test]
async fn a_form_post_that_asks_for_json_gets_a_receipt_instead_of_a_redirect() {
    let app = spawn(&[]).await;

    let response = app
        .post_form_with(
            "/api/forms/contact",
            &contact_form(),
            &[("accept", "application/json")],
        )
        .await;

    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().await.unwrap();
    assert_eq!(receipt["id"], only_submission(&app).await.id.as_str());
}

#[tokio::test]
async fn a_thank_you_url_on_the_allow_list_is_followed() {
    let app = spawn(&[]).await;
    let mut form = contact_form();
    form.push(("_next", "http://localhost:3000/welcome?from=contact"));

    let response = app.post_form("/api/forms/contact", &form).await;

    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "http://localhost:3000/welcome?from=contact"
    );
}

#[tokio::test]
async fn a_thank_you_url_off_the_allow_list_is_refused_and_nothing_is_stored() {
    let app = spawn(&[]).await;
    for next in [
        "https://evil.example.net/",
        "http://127.0.0.1:3000.evil.net/",
        "javascript:alert(1)",
    ] {
        let mut form = contact_form();
        form.push(("_next", next));

        let response = app
            .post_form_with(
                "/api/forms/contact",
                &form,
                &[("accept", "application/json")],
            )
            .await;

        assert_eq!(
            field_errors(response).await,
            [(
                "_next".to_owned(),
                // `127.0.0.1:3000.evil.net` has no port a URL can have: not a URL at all.
                if next.starts_with("javascript") || next.contains(":3000.") {
                    "invalid_url"
                } else {
                    "redirect_not_allowed"
                }
                .to_owned()
            )]
        );
    }
    nothing_stored(&app).await;
}

#[tokio::test]
async fn every_capture_is_in_the_register_with_who_what_and_when() {
    let app = behind_proxy().await;

    app.post_json_with(
        "/api/forms/contact",
        &contact(),
        &[("x-forwarded-for", "203.0.113.77")],
    )
    .await;

    let submission = only_submission(&app).await;
    let (seq, entry) = app
        .store()
        .log_entries(Log::Submissions, 0, 1)
        .await
        .unwrap()
        .remove(0);
    let entry = entry.expect("a register entry");
    assert_eq!(seq, 1);
    assert_eq!(entry.action, Action::Captured);
    assert_eq!(entry.record.as_deref(), Some(submission.id.as_str()));
    assert_eq!(
        entry.actor,
        Actor::Visitor {
            ip_truncated: "203.0.113.0".into()
        }
    );
    assert_eq!(entry.at, submission.received_at);
    assert_eq!(entry.detail.as_deref(), Some("contact"));
}

#[tokio::test]
async fn the_project_configuration_serves_its_forms() {
    let app = TestApp::spawn().await;
    let token = app.render_token("demo-request").await;

    let body = json!({
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "company": "Analytical Engines Ltd",
        "country": "gb",
        "consent_policy_version": "2026-01",
        "consent_privacy_policy": "on",
        "consent_phone_contact": "on",
        "_token": token,
    });
    let response = app.post_json("/api/forms/demo-request", &body).await;

    assert_eq!(response.status(), 201);
    let stored = only_submission(&app).await;
    assert_eq!(stored.kind, shared::domain::FormKind::DemoRequest);
    assert_eq!(stored.contact.country.as_deref(), Some("GB"));
    assert_eq!(stored.consent.choices.get("phone_contact"), Some(&true));
    assert_eq!(
        stored.spam,
        Some(SpamReason::TooFast),
        "posted within the form's 3 seconds"
    );
}
