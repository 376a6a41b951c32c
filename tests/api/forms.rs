//! The forms component through the test host: `POST /api/forms/{form}` and its render tokens.

use crate::harness::{TestApp, field_errors, project_manifest};
use serde_json::{Value, json};
use shared::records::{Action, Actor, SpamReason, Submission};
use shared::store::Log;
use std::collections::HashSet;

/// Forms for tests: `contact` needs no render token; `quick` wants one at least a second old.
const TEST_FORMS: &str = r#"
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

async fn spawn(extra: &[(&str, &str)]) -> TestApp {
    TestApp::spawn_with(|vars| {
        vars.set("forms", TEST_FORMS);
        for (name, value) in extra {
            vars.set(name, *value);
        }
    })
    .await
}

/// The app behind a trusted proxy on loopback, so tests can choose the visitor's address.
async fn behind_proxy() -> TestApp {
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

fn contact_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "Grace Hopper"),
        ("email", "grace@example.com"),
        ("message", "Hello"),
        ("consent_policy_version", "2026-01"),
        ("consent_privacy_policy", "on"),
    ]
}

/// Every submission in the order of the change feed.
async fn stored(app: &TestApp) -> Vec<Submission> {
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

async fn only_submission(app: &TestApp) -> Submission {
    let mut all = stored(app).await;
    assert_eq!(all.len(), 1, "expected exactly one stored submission");
    all.remove(0)
}

async fn nothing_stored(app: &TestApp) {
    assert_eq!(
        app.store().log_head(Log::Submissions).await.unwrap(),
        0,
        "nothing should be stored"
    );
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

#[tokio::test]
async fn a_filled_honeypot_is_stored_as_spam_and_answered_like_a_person() {
    let app = spawn(&[]).await;
    let mut body = contact();
    body["_gotcha"] = json!("http://cheap-pills.example");

    let response = app.post_json("/api/forms/contact", &body).await;

    assert_eq!(response.status(), 201);
    let stored = only_submission(&app).await;
    assert_eq!(stored.spam, Some(SpamReason::Honeypot));
    let entry = app
        .store()
        .log_entries(Log::Submissions, 0, 1)
        .await
        .unwrap()[0]
        .1
        .clone()
        .unwrap();
    assert_eq!(entry.action, Action::CapturedAsSpam);
}

#[tokio::test]
async fn a_post_without_a_render_token_or_faster_than_a_person_is_stored_as_spam() {
    let app = spawn(&[]).await;
    let token = app.render_token("quick").await;
    let other_token = app.render_token("quick").await;

    let no_token = app
        .post_json("/api/forms/quick", &json!({"email": "bot@example.com"}))
        .await;
    let too_fast = app
        .post_json(
            "/api/forms/quick",
            &json!({"email": "bot@example.com", "_token": token}),
        )
        .await;
    let forged = app
        .post_json(
            "/api/forms/quick",
            &json!({"email": "bot@example.com", "_token": "1.AAAA"}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let person = app
        .post_json(
            "/api/forms/quick",
            &json!({"email": "ada@example.com", "_token": other_token}),
        )
        .await;

    for response in [no_token, too_fast, forged, person] {
        assert_eq!(response.status(), 201);
    }
    let verdicts: Vec<_> = stored(&app).await.iter().map(|s| s.spam).collect();
    assert_eq!(
        verdicts,
        [
            Some(SpamReason::MissingRenderToken),
            Some(SpamReason::TooFast),
            Some(SpamReason::InvalidRenderToken),
            None
        ]
    );
}

#[tokio::test]
async fn a_render_token_used_again_flags_the_later_post_as_spam_and_answers_it_alike() {
    let app = spawn(&[]).await;
    let token = app.render_token("quick").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let post = |email: &str| {
        let body = json!({"email": email, "_token": token});
        let app = &app;
        async move { app.post_json("/api/forms/quick", &body).await }
    };

    let first = post("ada@example.com").await;
    let replays =
        futures::future::join_all([post("bot1@example.com"), post("bot2@example.com")]).await;

    assert_eq!(first.status(), 201);
    for replay in replays {
        assert_eq!(replay.status(), 201);
    }
    let mut verdicts: Vec<_> = stored(&app).await.iter().map(|s| s.spam).collect();
    assert_eq!(verdicts.remove(0), None);
    assert_eq!(verdicts, [Some(SpamReason::ReplayedRenderToken); 2]);
    let actions: Vec<Action> = app
        .store()
        .log_entries(Log::Submissions, 0, 3)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, entry)| entry.unwrap().action)
        .collect();
    assert_eq!(
        actions,
        [
            Action::Captured,
            Action::CapturedAsSpam,
            Action::CapturedAsSpam
        ]
    );
}

#[tokio::test]
async fn a_render_token_for_one_form_does_not_count_for_another() {
    let app = spawn(&[]).await;
    let token = app.render_token("contact").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    app.post_json(
        "/api/forms/quick",
        &json!({"email": "ada@example.com", "_token": token}),
    )
    .await;

    assert_eq!(
        only_submission(&app).await.spam,
        Some(SpamReason::InvalidRenderToken)
    );
}

#[tokio::test]
async fn posts_over_the_rate_limit_get_429_and_are_not_stored() {
    let app = spawn(&[("rate_limit", "3/600")]).await;

    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            app.post_json("/api/forms/contact", &contact())
                .await
                .status()
                .as_u16(),
        );
    }

    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    let limited = app.post_json("/api/forms/contact", &contact()).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after));
    assert_eq!(stored(&app).await.len(), 3);
}

#[tokio::test]
async fn the_rate_limit_counts_each_visitor_separately() {
    let app = spawn(&[("rate_limit", "1/600"), ("trusted_proxies", "127.0.0.1/32")]).await;

    let first = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[("x-forwarded-for", "203.0.113.1")],
        )
        .await;
    let second = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[("x-forwarded-for", "203.0.113.2")],
        )
        .await;
    let again = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[("x-forwarded-for", "203.0.113.1")],
        )
        .await;

    assert_eq!(
        (
            first.status().as_u16(),
            second.status().as_u16(),
            again.status().as_u16()
        ),
        (201, 201, 429)
    );
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = spawn(&[]).await;

    app.post_json_with(
        "/api/forms/contact",
        &contact(),
        &[
            ("x-forwarded-for", "8.8.8.8"),
            ("true-client-ip", "1.1.1.1"),
            ("cf-connecting-ip", "9.9.9.9"),
        ],
    )
    .await;

    let stored = only_submission(&app).await;
    assert_eq!(stored.origin.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(stored.origin.ip_source, shared::domain::IpSource::Peer);
    assert_eq!(stored.origin.location, None, "loopback has no location");
}

#[tokio::test]
async fn a_forged_spin_client_addr_header_is_ignored() {
    let app = spawn(&[]).await;

    app.post_json_with(
        "/api/forms/contact",
        &contact(),
        &[("spin-client-addr", "8.8.8.8:53")],
    )
    .await;

    assert_eq!(
        only_submission(&app).await.origin.ip.as_deref(),
        Some("127.0.0.1")
    );
}

#[tokio::test]
async fn an_ipv6_peer_is_stored_with_its_48_bit_network() {
    let listen = "[::1]:0".parse().unwrap();
    let app = TestApp::try_spawn(
        &project_manifest(),
        |vars| {
            vars.set("forms", TEST_FORMS);
        },
        listen,
    )
    .await
    .expect("an app listening on [::1]");

    app.post_json("/api/forms/contact", &contact()).await;

    let stored = only_submission(&app).await;
    assert_eq!(stored.origin.ip.as_deref(), Some("::1"));
    assert_eq!(stored.origin.ip_truncated, "::");
}

#[tokio::test]
async fn known_addresses_are_located_offline() {
    let app = behind_proxy().await;
    let cases = [
        ("8.8.8.8", "US", false),
        ("1.1.1.1", "AU", false),
        ("80.128.0.1", "DE", true),
        ("2003:e0::1", "DE", true),
        ("193.0.6.139", "NL", true),
        ("2a02:a400::1", "NL", true),
    ];
    for (ip, _, _) in cases {
        let response = app
            .post_json_with("/api/forms/contact", &contact(), &[("x-forwarded-for", ip)])
            .await;
        assert_eq!(response.status(), 201);
    }

    let stored = stored(&app).await;
    for ((ip, country, eu), submission) in cases.iter().zip(&stored) {
        assert_eq!(submission.origin.ip.as_deref(), Some(*ip));
        let location = submission
            .origin
            .location
            .as_ref()
            .unwrap_or_else(|| panic!("{ip} has a location"));
        assert_eq!(
            (location.country.as_str(), location.eu),
            (*country, *eu),
            "{ip}"
        );
    }
    assert_eq!(stored[3].origin.ip_truncated, "2003:e0::");
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
async fn two_hundred_concurrent_posts_are_all_stored_once_with_no_gap_in_the_feed() {
    let app = spawn(&[("rate_limit", "1000/600")]).await;

    let posts = (0..200).map(|i| {
        let mut body = contact();
        body["message"] = json!(format!("message {i}"));
        let app = &app;
        async move { app.post_json("/api/forms/contact", &body).await }
    });
    let responses = futures::future::join_all(posts).await;

    let mut receipts = HashSet::new();
    for response in responses {
        assert_eq!(response.status(), 201);
        let receipt: Value = response.json().await.unwrap();
        receipts.insert(receipt["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(receipts.len(), 200);
    let stored = stored(&app).await;
    assert_eq!(stored.len(), 200, "feed entries 1..=200 all present");
    let ids: HashSet<_> = stored.iter().map(|s| s.id.clone()).collect();
    assert_eq!(
        ids, receipts,
        "each receipt appears exactly once in the feed"
    );
    let messages: HashSet<_> = stored
        .iter()
        .filter_map(|s| s.contact.message.clone())
        .collect();
    assert_eq!(messages.len(), 200);
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_and_others_are_refused() {
    let app = spawn(&[("allowed_origins", "https://www.example.com")]).await;

    let allowed = app
        .options(
            "/api/forms/contact",
            &[
                ("origin", "https://www.example.com"),
                ("access-control-request-method", "POST"),
            ],
        )
        .await;
    let foreign = app
        .options(
            "/api/forms/contact",
            &[
                ("origin", "https://evil.example.net"),
                ("access-control-request-method", "POST"),
            ],
        )
        .await;

    assert_eq!(allowed.status(), 204);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://www.example.com"
    );
    assert_eq!(foreign.status(), 403);
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn a_post_from_a_foreign_origin_is_refused_and_nothing_is_stored() {
    let app = spawn(&[("allowed_origins", "https://www.example.com")]).await;

    let foreign = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[("origin", "https://evil.example.net")],
        )
        .await;
    assert_eq!(foreign.status(), 403);
    nothing_stored(&app).await;

    let allowed = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[("origin", "https://www.example.com")],
        )
        .await;
    assert_eq!(allowed.status(), 201);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://www.example.com"
    );
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

/// `n` contact posts at once, each with its own email; the statuses in the order sent.
async fn post_at_once(app: &TestApp, n: usize) -> Vec<(String, reqwest::StatusCode)> {
    let posts = (0..n).map(|i| async move {
        let email = format!("visitor{i}@example.com");
        let mut body = contact();
        body["email"] = json!(email);
        let response = app.post_json("/api/forms/contact", &body).await;
        (email, response.status())
    });
    futures::future::join_all(posts).await
}

#[tokio::test]
async fn concurrent_posts_sharing_instances_are_each_stored_once_with_dense_numbers() {
    let app = spawn(&[("rate_limit", "1000/600")]).await;

    let answers = post_at_once(&app, 64).await;

    assert!(answers.iter().all(|(_, s)| *s == 201), "{answers:?}");
    let store = app.store();
    assert_eq!(store.log_head(Log::Submissions).await.unwrap(), 64);
    // `stored` fails on a hole and on an entry without its record.
    let submissions = stored(&app).await;
    let ids: HashSet<&str> = submissions.iter().map(|s| s.id.as_str()).collect();
    let emails: HashSet<&str> = submissions
        .iter()
        .filter_map(|s| s.contact.email.as_deref())
        .collect();
    assert_eq!(ids.len(), 64, "no record stored twice");
    assert_eq!(emails.len(), 64, "every post stored");
}

#[tokio::test]
async fn a_store_failure_mid_batch_fails_its_posts_and_stores_nothing_of_theirs() {
    let app = spawn(&[("rate_limit", "1000/600")]).await;
    app.kv().fail_next_writes(2);

    let answers = post_at_once(&app, 24).await;

    let failed: Vec<&str> = answers
        .iter()
        .filter(|(_, s)| *s == 500)
        .map(|(e, _)| e.as_str())
        .collect();
    assert!(!failed.is_empty(), "the injected failures failed posts");
    assert!(
        answers.iter().all(|(_, s)| *s == 201 || *s == 500),
        "{answers:?}"
    );
    let store = app.store();
    let head = store.log_head(Log::Submissions).await.unwrap();
    let entries = store.log_entries(Log::Submissions, 0, head).await.unwrap();
    let written: Vec<_> = entries.iter().filter_map(|(_, e)| e.as_ref()).collect();
    assert_eq!(
        written.len(),
        answers.len() - failed.len(),
        "an entry for every post answered 201, none for a failed one"
    );
    assert_eq!(
        head as usize,
        answers.len(),
        "each post took one number; the failed ones left holes, none was handed out twice"
    );
    let mut stored_emails = HashSet::new();
    for entry in written {
        let id = entry.record.as_deref().unwrap();
        let submission = store.submission(id).await.unwrap().expect("its record");
        stored_emails.insert(submission.contact.email.unwrap());
    }
    for email in failed {
        assert!(
            !stored_emails.contains(email),
            "{email} was answered 500 but stored"
        );
    }
    assert_eq!(
        stored_emails.len(),
        answers.len() - answers.iter().filter(|(_, s)| *s == 500).count()
    );
}
