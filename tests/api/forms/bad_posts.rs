//! Refused posts: invalid and unknown fields, malformed, oversized and wrongly typed bodies, unknown forms
//! and wrong methods, with nothing stored.

use super::support::{contact, nothing_stored, spawn};
use crate::harness::field_errors;
use serde_json::{Value, json};

#[tokio::test]
async fn missing_invalid_and_unknown_fields_are_named_in_a_422_and_nothing_is_stored() {
    let app = spawn(&[]).await;
    let body = json!({
        "email": "not-an-email",
        "phone": "12345",
        "religion": "none of your business",
        "consent_policy_version": "2026-01",
    });

    let response = app.post_json("/api/forms/contact", &body).await;

    let fields = field_errors(response).await;
    for (field, code) in [
        ("name", "required"),
        ("email", "invalid_email"),
        ("phone", "invalid_phone"),
        ("religion", "unknown_field"),
        ("consent_privacy_policy", "consent_required"),
    ] {
        assert!(
            fields.contains(&(field.to_owned(), code.to_owned())),
            "{field}/{code} missing from {fields:?}"
        );
    }
    nothing_stored(&app).await;
}

#[tokio::test]
async fn a_plain_form_with_errors_gets_a_readable_page() {
    let app = spawn(&[]).await;

    let response = app
        .post_form_with(
            "/api/forms/contact",
            &[("email", "nope")],
            &[("accept", "text/html")],
        )
        .await;

    assert_eq!(response.status(), 422);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    );
    assert!(response.text().await.unwrap().contains("email"));
    nothing_stored(&app).await;
}

#[tokio::test]
async fn malformed_oversized_and_wrongly_typed_bodies_are_refused_and_nothing_is_stored() {
    let app = spawn(&[("max_body_bytes", "2048")]).await;

    let malformed = app
        .post_raw(
            "/api/forms/contact",
            "application/json",
            b"{\"name\": ".to_vec(),
        )
        .await;
    let not_an_object = app
        .post_raw("/api/forms/contact", "application/json", b"[1,2]".to_vec())
        .await;
    let oversized = app
        .post_raw(
            "/api/forms/contact",
            "application/json",
            format!("{{\"message\":\"{}\"}}", "x".repeat(4096)).into_bytes(),
        )
        .await;
    let wrong_type = app
        .post_raw("/api/forms/contact", "text/plain", b"name=x".to_vec())
        .await;
    let multipart = app
        .post_raw(
            "/api/forms/contact",
            "multipart/form-data; boundary=x",
            b"--x--".to_vec(),
        )
        .await;
    let bad_utf8 = app
        .post_raw(
            "/api/forms/contact",
            "application/x-www-form-urlencoded",
            vec![b'a', b'=', 0xff],
        )
        .await;

    assert_eq!(malformed.status(), 400);
    assert_eq!(not_an_object.status(), 400);
    assert_eq!(oversized.status(), 413);
    assert_eq!(wrong_type.status(), 415);
    assert_eq!(multipart.status(), 415);
    assert_eq!(bad_utf8.status(), 400);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");
    nothing_stored(&app).await;
}

#[tokio::test]
async fn an_unknown_form_is_not_found_and_a_get_is_not_allowed() {
    let app = spawn(&[]).await;

    assert_eq!(
        app.post_json("/api/forms/no-such-form", &contact())
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/api/forms/no-such-form/token").await.status(), 404);
    let get = app.get("/api/forms/contact").await;
    assert_eq!(get.status(), 405);
    assert_eq!(get.headers()["allow"], "POST, OPTIONS");
    nothing_stored(&app).await;
}
