//! Asking and verifying: one answer for every request, re-sent links, bad requests, the form post and the
//! privacy page, and verification links (forged, expired, clicked twice).

use super::support::{
    EMAIL, ask, ask_for, capture_everything, mails, only_request, requests, spawn, verify,
};
use crate::harness::{field_errors, test_signing_keys};
use serde_json::{Value, json};
use shared::links::{PrivacyLink, PrivacyLinkKind};
use shared::mailer::OutboxMessage;
use shared::privacy::{DataRequest, RequestStatus};
use shared::store::{Log, RecordKind};
use shared::time::Timestamp;

#[tokio::test]
async fn the_answer_is_the_same_for_known_unknown_throttled_and_spam_requests() {
    let app = spawn().await;
    capture_everything(&app).await;
    let answer = |email: &str, rights: Value, extra: Value| {
        let mut body = json!({"email": email, "rights": rights});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let mut seen = Vec::new();
    for body in [
        answer(EMAIL, json!(["access"]), json!({})),
        answer("nobody@example.org", json!(["access"]), json!({})),
        answer(EMAIL, json!(["access"]), json!({"_gotcha": "bot"})),
        // The same request again (with an unknown consent id, dropped without a word).
        answer(
            EMAIL,
            json!(["access"]),
            json!({"consent_id": "AAAAAAAAAAAAAAAAAAAAAA"}),
        ),
        answer(EMAIL, json!(["erasure"]), json!({})),
        answer(EMAIL, json!(["rectification"]), json!({})),
        // The fourth new request of the day for one mailbox is dropped, answered alike.
        answer(EMAIL, json!(["access", "erasure"]), json!({})),
    ] {
        let response = ask(&app, &body).await;
        seen.push((response.status().as_u16(), response.text().await.unwrap()));
    }
    assert!(seen.iter().all(|s| *s == seen[0]), "{seen:?}");
    let stored = requests(&app).await;
    assert_eq!(
        stored.len(),
        4,
        "the known address: three new requests (the day's limit); the unknown one; spam, the repeat and the fourth dropped"
    );
    // An unknown consent id is dropped without a word.
    assert!(stored.iter().all(|r| r.consent_id.is_none()));
}

#[tokio::test]
async fn asking_again_re_sends_the_link_at_most_once_per_interval_and_other_rights_open_a_new_request()
 {
    let app = spawn().await;
    ask_for(&app, &["access"]).await;
    ask_for(&app, &["access"]).await;
    let confirmations = |mails: Vec<OutboxMessage>| {
        mails
            .into_iter()
            .filter(|m| m.message.subject == "Please confirm your privacy request")
            .count()
    };
    assert_eq!(
        confirmations(mails(&app).await),
        1,
        "asked twice at once: one mail"
    );
    let id = only_request(&app).await.id;
    app.tweak(RecordKind::DataRequest, &id, |r: &mut DataRequest| {
        r.verification_sent_at = Some(Timestamp::now().plus_seconds(-16 * 60));
        true
    })
    .await;
    ask_for(&app, &["access"]).await;
    assert_eq!(
        confirmations(mails(&app).await),
        2,
        "re-sent after the interval"
    );
    assert_eq!(only_request(&app).await.id, id, "still the same request");
    ask_for(&app, &["erasure"]).await;
    assert_eq!(
        requests(&app).await.len(),
        2,
        "other rights: a request of its own"
    );
}

#[tokio::test]
async fn bad_requests_name_each_field_and_store_nothing() {
    let app = spawn().await;
    let cases = [
        (
            json!({"email": "ada@", "rights": ["access"]}),
            vec![("email", "invalid_email")],
        ),
        (
            json!({"email": EMAIL, "rights": ["delete"]}),
            vec![("rights", "unknown_right")],
        ),
        (
            json!({"email": EMAIL, "rights": []}),
            vec![("rights", "required")],
        ),
        (json!({"email": EMAIL}), vec![("rights", "required")]),
        (
            json!({"email": EMAIL, "rights": ["access"], "phone": "call me"}),
            vec![("phone", "invalid_phone")],
        ),
        (
            json!({"email": EMAIL, "rights": ["rectification"], "details": "x".repeat(2001)}),
            vec![("details", "too_long")],
        ),
        (
            json!({"email": EMAIL, "rights": ["access"], "shoe": "42"}),
            vec![("shoe", "unknown_field")],
        ),
        (
            json!({"email": EMAIL, "rights": [3]}),
            vec![("rights", "invalid_type")],
        ),
    ];
    for (body, expected) in cases {
        let errors = field_errors(ask(&app, &body).await).await;
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|(f, c)| (f.as_str(), c.as_str()))
            .collect();
        assert_eq!(got, expected, "{body}");
    }
    assert!(requests(&app).await.is_empty());
    assert_eq!(app.store().log_head(Log::Requests).await.unwrap(), 0);
}

#[tokio::test]
async fn a_plain_form_post_with_repeated_rights_is_answered_with_the_privacy_page() {
    let app = spawn().await;
    let response = app
        .post_form(
            "/api/privacy/requests",
            &[
                ("email", EMAIL),
                ("rights", "access"),
                ("rights", "erasure"),
                ("california_resident", "on"),
                ("lang", "de"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/privacy?sent=1&lang=de");
    let request = only_request(&app).await;
    assert_eq!(
        request.rights,
        [
            shared::domain::Right::Access,
            shared::domain::Right::Erasure
        ]
    );
    assert!(request.california_resident);
    let page = app.get("/privacy?sent=1&lang=de").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=de>") && html.contains("Vielen Dank"));
}

#[tokio::test]
async fn the_privacy_page_speaks_the_visitors_language_and_carries_a_token_and_the_consent_id() {
    let app = spawn().await;
    let response = app
        .send(
            app.client
                .get(app.url("/privacy"))
                .header("accept-language", "nl-NL,nl;q=0.9")
                .header(
                    "cookie",
                    "mc_consent=%7B%22id%22%3A%22BBBBBBBBBBBBBBBBBBBBBB%22%7D",
                ),
        )
        .await;
    assert_eq!(response.status(), 200);
    // The banner's script and stylesheet and the page's own look; its form posts back to the app.
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "script-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{directive}: {csp}");
    }
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=nl>") && html.contains("Privacycentrum"));
    assert!(html.contains("name=_token value=\""));
    assert!(html.contains("name=consent_id value=\"BBBBBBBBBBBBBBBBBBBBBB\""));
    for right in [
        "access",
        "rectification",
        "erasure",
        "objection",
        "restriction",
        "opt_out_sale_share",
    ] {
        assert!(html.contains(&format!("value=\"{right}\"")), "{right}");
    }
    let en = app.get("/privacy").await.text().await.unwrap();
    assert!(en.contains("<html lang=en>") && en.contains("Privacy centre"));
}

#[tokio::test]
async fn verification_links_refuse_forgeries_and_expired_requests_keep_no_personal_data() {
    let app = spawn().await;
    let forged = app.get("/privacy/verify/not-a-token").await;
    assert_eq!(forged.status(), 400);
    // A request whose link expired: stored as the intake would, an hour ago.
    let now = Timestamp::now();
    ask_for(&app, &["access"]).await;
    let request = only_request(&app).await;
    app.tweak(
        RecordKind::DataRequest,
        &request.id,
        |r: &mut DataRequest| {
            r.verify_until = now.plus_seconds(-1);
            true
        },
    )
    .await;
    let token = PrivacyLink {
        request: request.id.clone(),
        expires_at: now.plus_seconds(-1),
    }
    .seal(&test_signing_keys(), PrivacyLinkKind::Verify);
    let path = format!("/privacy/verify/{token}");
    assert_eq!(app.get(&path).await.status(), 410);
    let posted = app.send(app.client.post(app.url(&path))).await;
    assert_eq!(posted.status(), 410);
    let expired = only_request(&app).await;
    assert_eq!(expired.status, RequestStatus::Expired);
    assert!(expired.email.is_none() && expired.phone.is_none());
    // A download link is not a verification link.
    let download = PrivacyLink {
        request: request.id,
        expires_at: now.plus_seconds(3600),
    }
    .seal(&test_signing_keys(), PrivacyLinkKind::Download);
    assert_eq!(
        app.get(&format!("/privacy/verify/{download}"))
            .await
            .status(),
        400
    );
    assert_eq!(
        app.get(&format!("/privacy/download/{download}"))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn two_clicks_on_one_link_verify_once_and_acknowledge_once() {
    let app = spawn().await;
    ask_for(&app, &["access"]).await;
    let (a, b) = tokio::join!(verify(&app), verify(&app));
    let pages = [a.text().await.unwrap(), b.text().await.unwrap()];
    assert_eq!(
        pages
            .iter()
            .filter(|p| p.contains("Request confirmed"))
            .count(),
        1,
        "exactly one click confirms"
    );
    assert_eq!(
        pages
            .iter()
            .filter(|p| p.contains("Already confirmed"))
            .count(),
        1
    );
    let acknowledgements = mails(&app)
        .await
        .into_iter()
        .filter(|m| m.message.subject == "We received your privacy request")
        .count();
    assert_eq!(acknowledgements, 1);
}
