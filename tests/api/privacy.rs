//! The privacy centre through the test host: asking, verifying, the staff decisions, and each answer
//! (access package, erasure, opt-outs, rectification) end to end, with the mails in the outbox.

use crate::harness::{TestApp, field_errors, test_settings, test_signing_keys};
use crate::mailer::{PROVIDER_TOKEN, Provider};
use crate::signups::signup;
use serde_json::{Value, json};
use shared::links::{PrivacyLink, PrivacyLinkKind};
use shared::mailer::OutboxMessage;
use shared::privacy::{DataRequest, RequestStatus};
use shared::records::Submission;
use shared::store::{Channel, Log, RecordKind};
use shared::time::Timestamp;
use std::time::Duration;

const ADMIN_KEY: &str = "admin-key-0123456789abcdef0123456789abcdef";
const OUTBOX_TOKEN: &str = "outbox-token-privacy-0123456789";
const EMAIL: &str = "Ada.Lovelace@Example.com";
const NAME: &str = "Ada Lovelace";
const PHONE: &str = "+4930123456789";

async fn spawn() -> TestApp {
    spawn_with_mail(None).await
}

async fn spawn_with_mail(provider: Option<&Provider>) -> TestApp {
    let url = provider.map(|p| p.url.clone()).unwrap_or_default();
    TestApp::spawn_with(|vars| {
        vars.set("admin_api_key", ADMIN_KEY)
            .set("signup_min_seconds", "0")
            .set("privacy_min_seconds", "0")
            .set("trusted_proxies", "127.0.0.1/32")
            .set("mail_api_url", url)
            .set("mail_api_token", PROVIDER_TOKEN)
            .set("outbox_token", OUTBOX_TOKEN);
    })
    .await
}

async fn ask(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_json("/api/privacy/requests", body).await
}

/// A request for `rights` from the test person, answered 202.
async fn ask_for(app: &TestApp, rights: &[&str]) {
    let response = ask(
        app,
        &json!({"email": EMAIL, "phone": PHONE, "rights": rights}),
    )
    .await;
    assert_eq!(response.status(), 202);
}

/// Every request stored, oldest first.
async fn requests(app: &TestApp) -> Vec<DataRequest> {
    app.store().requests().await.unwrap()
}

async fn only_request(app: &TestApp) -> DataRequest {
    let mut all = requests(app).await;
    assert_eq!(all.len(), 1, "one request");
    all.remove(0)
}

/// The path of the first link under `prefix` in `mail`.
fn link(mail: &OutboxMessage, prefix: &str) -> String {
    let text = &mail.message.text_body;
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    text[at..].split_whitespace().next().unwrap().to_owned()
}

/// Mails to the test person still in the outbox (an erasure removes the others), oldest first.
async fn mails(app: &TestApp) -> Vec<OutboxMessage> {
    let mut ids: Vec<String> = Vec::new();
    for entry in crate::signups::log(app, Log::Outbox).await {
        if let Some(id) = entry.record
            && !ids.contains(&id)
        {
            ids.push(id);
        }
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let stored: Vec<Option<OutboxMessage>> =
        app.store().records(RecordKind::Outbox, &ids).await.unwrap();
    stored
        .into_iter()
        .flatten()
        .filter(|m| m.message.to.eq_ignore_ascii_case(EMAIL))
        .collect()
}

async fn mail_with_subject(app: &TestApp, subject: &str) -> OutboxMessage {
    mails(app)
        .await
        .into_iter()
        .rev()
        .find(|m| m.message.subject == subject)
        .unwrap_or_else(|| panic!("no mail {subject:?}"))
}

/// Follows the verification link of the newest request's mail with the button's POST.
async fn verify(app: &TestApp) -> reqwest::Response {
    let mail = mail_with_subject(app, "Please confirm your privacy request").await;
    let path = link(&mail, "/privacy/verify/");
    app.send(app.client.post(app.url(&path))).await
}

async fn staff_key(app: &TestApp, scopes: &[&str]) -> String {
    let response = app
        .send(
            app.client
                .post(app.url("/api/v1/keys"))
                .bearer_auth(ADMIN_KEY)
                .json(&json!({"name": "privacy officer", "scopes": scopes})),
        )
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["key"].as_str().unwrap().to_owned()
}

async fn show(app: &TestApp, key: &str, id: &str) -> (Value, String) {
    let response = keyed_get(app, key, &format!("/api/v1/privacy-requests/{id}")).await;
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    (response.json().await.unwrap(), etag)
}

/// `GET path` with `Authorization: Bearer {key}`.
async fn keyed_get(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.send(app.client.get(app.url(path)).bearer_auth(key))
        .await
}

async fn patch(
    app: &TestApp,
    key: &str,
    id: &str,
    etag: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = app
        .client
        .patch(app.url(&format!("/api/v1/privacy-requests/{id}")))
        .bearer_auth(key)
        .json(body);
    if let Some(etag) = etag {
        request = request.header("if-match", etag);
    }
    app.send(request).await
}

/// Decides the request with `body`, reading its ETag first; answers the request as staff now see it.
async fn decide(app: &TestApp, key: &str, id: &str, body: Value) -> Value {
    let (_, etag) = show(app, key, id).await;
    let response = patch(app, key, id, Some(&etag), &body).await;
    assert_eq!(response.status(), 200, "{body}");
    response.json().await.unwrap()
}

/// What the test person left on the site: a contact form, a newsletter signup, a demo request and a
/// cookie decision.
struct Captured {
    submission: String,
    demo_request: String,
    consent_id: String,
}

/// The id in a `201` answer (a form submission, a demo request).
async fn created_id(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().expect("an id").to_owned()
}

async fn capture_everything(app: &TestApp) -> Captured {
    let form = json!({
        "name": NAME, "email": EMAIL, "phone": PHONE, "message": "Please call me",
        "consent_policy_version": "2026-01", "consent_privacy_policy": true,
    });
    let submission = created_id(app.post_json("/api/forms/contact", &form).await).await;
    let response = app.post_json("/api/newsletter", &signup(EMAIL)).await;
    assert_eq!(response.status(), 201);
    let demo = json!({
        "name": NAME, "email": EMAIL, "company": "Analytical Engines Ltd", "phone": PHONE,
        "consent_policy_version": "2026-01", "consent_privacy_policy": true,
    });
    let demo_request = created_id(app.post_json("/api/demo", &demo).await).await;
    let config: Value = app.get("/api/consent/config").await.json().await.unwrap();
    let decision = json!({
        "decisions": {"analytics": true, "marketing": false},
        "banner_version": config["banner_version"], "text_hash": config["text_hash"],
        "locale": "en", "method": "custom",
    });
    let response = app.post_json("/api/consent", &decision).await;
    assert_eq!(response.status(), 201);
    let consent_id = response.json::<Value>().await.unwrap()["consent_id"]
        .as_str()
        .unwrap()
        .to_owned();
    Captured {
        submission,
        demo_request,
        consent_id,
    }
}

async fn deliver(app: &TestApp) {
    let response = app
        .send(
            app.client
                .post(app.url("/api/outbox/deliver"))
                .bearer_auth(OUTBOX_TOKEN),
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_access_request_goes_from_asking_to_a_package_that_lists_everything_held_and_who_read_it()
 {
    let app = spawn().await;
    let captured = capture_everything(&app).await;
    // Marketing pulls the leads: the package must show that this key saw the person's submission.
    let marketing = staff_key(&app, &["leads:read"]).await;
    let pulled = keyed_get(&app, &marketing, "/api/v1/submissions").await;
    assert_eq!(pulled.status(), 200);

    let response = ask(
        &app,
        &json!({"email": EMAIL, "rights": ["access"], "consent_id": captured.consent_id}),
    )
    .await;
    assert_eq!(response.status(), 202);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "check_your_email"})
    );
    let request = only_request(&app).await;
    assert_eq!(request.status, RequestStatus::Unverified);
    assert_eq!(
        request.consent_id.as_deref(),
        Some(captured.consent_id.as_str())
    );

    // The link's page changes nothing (mail scanners fetch links); its button's POST verifies.
    let mail = mail_with_subject(&app, "Please confirm your privacy request").await;
    let page = app.get(&link(&mail, "/privacy/verify/")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=post"));
    assert_eq!(only_request(&app).await.status, RequestStatus::Unverified);
    let verified = verify(&app).await;
    assert_eq!(verified.status(), 200);
    assert!(verified.text().await.unwrap().contains("Request confirmed"));
    let request = only_request(&app).await;
    assert_eq!(request.status, RequestStatus::Open);
    let received = request.received_at.unwrap();
    assert_eq!(request.due_at, Some(received.plus_months(1)));
    mail_with_subject(&app, "We received your privacy request").await;

    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let (shown, _) = show(&app, &officer, &request.id).await;
    assert_eq!(shown["status"], "open");
    assert_eq!(
        shown["found"]["submission"]["ids"],
        json!([captured.submission])
    );
    assert_eq!(
        shown["found"]["demo-request"]["ids"],
        json!([captured.demo_request])
    );
    assert_eq!(shown["found"]["subscriber"]["count"], 1);

    let answered = decide(&app, &officer, &request.id, json!({"action": "approve"})).await;
    assert_eq!(answered["status"], "completed");
    let done = mail_with_subject(&app, "Your privacy request is complete").await;
    let download = link(&done, "/privacy/download/");

    let response = app
        .send(
            app.client
                .get(app.url(&download))
                .header("accept", "application/json"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let package: Value = response.json().await.unwrap();
    let ids = |collection: &str| -> Vec<String> {
        package["records"][collection]
            .as_array()
            .unwrap_or_else(|| panic!("no {collection} in the package"))
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ids("submissions"), [captured.submission.as_str()]);
    assert_eq!(ids("demo_requests"), [captured.demo_request.as_str()]);
    assert_eq!(
        package["records"]["newsletter"][0]["email"],
        "Ada.Lovelace@example.com"
    );
    assert_eq!(
        package["records"]["consent_decisions"][0]["consent_id"],
        captured.consent_id.as_str()
    );
    assert!(
        package["records"]["mail_sent_to_you"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["subject"] == "Please confirm your subscription")
    );
    let processing = package["processing"].as_array().unwrap();
    let marketing_id = &marketing[4..26];
    assert!(
        processing
            .iter()
            .any(|e| e["by"]["key_id"] == marketing_id && e["action"] == "read"),
        "the marketing key's pull is listed: {processing:#?}"
    );
    assert!(
        processing
            .iter()
            .any(|e| e["log"] == "submissions" && e["record"] == captured.submission.as_str())
    );
    assert!(package["about_this_processing"]["purposes"].is_array());

    let page = app.get(&download).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Download it as JSON") && html.contains(&captured.submission));
    let steps: Vec<String> = app
        .store()
        .get::<DataRequest>(RecordKind::DataRequest, &request.id)
        .await
        .unwrap()
        .unwrap()
        .timeline
        .iter()
        .map(|t| t.step.as_str().to_owned())
        .collect();
    assert_eq!(
        steps,
        [
            "received",
            "verified",
            "acknowledged",
            "approved",
            "fulfilled",
            "downloaded",
            "downloaded"
        ]
    );
}

#[tokio::test]
async fn after_an_erasure_no_value_holds_the_address_name_or_phone_but_the_opt_out_stays() {
    let provider = Provider::start(Duration::ZERO).await;
    let app = spawn_with_mail(Some(&provider)).await;
    let captured = capture_everything(&app).await;
    let leads = staff_key(&app, &["leads:read"]).await;
    let first_page: Value = keyed_get(&app, &leads, "/api/v1/submissions")
        .await
        .json()
        .await
        .unwrap();
    ask_for(&app, &["erasure"]).await;
    assert_eq!(verify(&app).await.status(), 200);
    let request = only_request(&app).await;
    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let answered = decide(&app, &officer, &request.id, json!({"action": "approve"})).await;
    assert_eq!(answered["status"], "completed");
    assert_eq!(
        answered["outcome"]["erased"],
        json!([
            ["demo-request", 1],
            ["outbox", 3],
            ["submission", 1],
            ["subscriber", 1]
        ]),
        "the confirmation, verification and acknowledgement mails count as outbox records"
    );
    // The completion mail is the last value holding the address, until it is delivered.
    let done = mail_with_subject(&app, "Your privacy request is complete").await;
    assert!(done.message.text_body.contains("erased"));
    deliver(&app).await;
    assert!(
        provider
            .seen()
            .iter()
            .any(|s| s.body["Subject"] == "Your privacy request is complete")
    );

    let needles = [
        EMAIL.to_lowercase(),
        NAME.to_lowercase(),
        PHONE.to_owned(),
        "4930123456789".to_owned(),
    ];
    for (key, value) in app.kv().dump().await.unwrap() {
        let text = String::from_utf8_lossy(&value).to_lowercase();
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()) && !key.to_lowercase().contains(needle.as_str()),
                "{key} still holds {needle}: {text}"
            );
        }
    }
    let settings = test_settings();
    let email_pseudonym = settings.pseudonym(&EMAIL.to_lowercase());
    let store = app.store();
    let channels = store
        .opted_out(&[
            (Channel::Email, email_pseudonym.clone()),
            (Channel::Phone, settings.pseudonym(PHONE)),
        ])
        .await
        .unwrap();
    assert_eq!(channels, [Channel::Email, Channel::Phone]);
    assert!(
        store
            .submission(&captured.submission)
            .await
            .unwrap()
            .is_none()
    );
    // Syncing CRMs receive tombstones after their cursor.
    let next: Value = app
        .send(
            app.client
                .get(app.url(&format!(
                    "/api/v1/submissions?after={}",
                    first_page["next_cursor"].as_str().unwrap()
                )))
                .bearer_auth(&leads),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        next["items"],
        json!([{"id": captured.submission, "deleted": true}])
    );
    // A fresh signup with fresh consent still works.
    let again = app.post_json("/api/newsletter", &signup(EMAIL)).await;
    assert_eq!(again.status(), 201);
    assert_eq!(
        mails(&app).await.last().unwrap().message.subject,
        "Please confirm your subscription"
    );
}

#[tokio::test]
async fn opt_outs_take_effect_when_asked_without_verification_or_a_staff_step() {
    let app = spawn().await;
    ask_for(&app, &["objection", "opt_out_sale_share"]).await;
    let settings = test_settings();
    let email = settings.pseudonym(&EMAIL.to_lowercase());
    let in_force = app
        .store()
        .opted_out(&[
            (Channel::Email, email.clone()),
            (Channel::Phone, settings.pseudonym(PHONE)),
            (Channel::SaleShare, email.clone()),
        ])
        .await
        .unwrap();
    assert_eq!(
        in_force,
        [Channel::Email, Channel::Phone, Channel::SaleShare]
    );
    let request = only_request(&app).await;
    assert_eq!(request.status, RequestStatus::Completed);
    let mail = mail_with_subject(&app, "Please confirm your privacy request").await;
    assert!(mail.message.text_body.contains("already in effect"));
    let opt_outs: Vec<_> = crate::signups::log(&app, Log::OptOuts).await;
    assert_eq!(opt_outs.len(), 3, "one registry entry per channel");
    let steps: Vec<_> = crate::signups::log(&app, Log::Requests)
        .await
        .into_iter()
        .filter_map(|e| e.detail)
        .collect();
    assert_eq!(
        steps,
        [
            "received rights=objection,opt_out_sale_share",
            "opt_outs_applied",
            "fulfilled"
        ]
    );
}

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

#[tokio::test]
async fn staff_decisions_follow_the_lifecycle_and_refuse_what_it_does_not_allow() {
    let app = spawn().await;
    ask_for(&app, &["access"]).await;
    let id = only_request(&app).await.id;
    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let reader = staff_key(&app, &["privacy:read"]).await;
    let (_, etag) = show(&app, &officer, &id).await;

    let approve = json!({"action": "approve"});
    let early = patch(&app, &officer, &id, Some(&etag), &approve).await;
    assert_eq!(early.status(), 409);
    let body: Value = early.json().await.unwrap();
    assert_eq!(body["error"]["status"], "unverified");

    assert_eq!(verify(&app).await.status(), 200);
    assert_eq!(
        patch(&app, &officer, &id, None, &approve).await.status(),
        428
    );
    assert_eq!(
        patch(&app, &officer, &id, Some(&etag), &approve)
            .await
            .status(),
        412
    );
    assert_eq!(
        patch(&app, &reader, &id, Some("*"), &approve)
            .await
            .status(),
        403
    );
    let unknown = patch(&app, &officer, &id, Some("*"), &json!({"action": "fulfil"})).await;
    assert_eq!(
        field_errors(unknown).await,
        [("action".into(), "unknown_action".into())]
    );

    let before = only_request(&app).await.due_at.unwrap();
    let extended = decide(
        &app,
        &officer,
        &id,
        json!({"action": "extend", "reason": "Your data is spread over three systems."}),
    )
    .await;
    assert_eq!(extended["status"], "extended");
    assert_eq!(only_request(&app).await.due_at, Some(before.plus_months(2)));
    let notice = mail_with_subject(&app, "Your privacy request: more time needed").await;
    assert!(notice.message.text_body.contains("three systems"));
    let again = patch(
        &app,
        &officer,
        &id,
        Some("*"),
        &json!({"action": "extend", "reason": "still busy"}),
    )
    .await;
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"]["status"],
        "extended"
    );

    let denied = decide(
        &app,
        &officer,
        &id,
        json!({"action": "deny", "reason": "excessive", "text": "You asked five times this week."}),
    )
    .await;
    assert_eq!(denied["status"], "denied");
    let letter = mail_with_subject(&app, "Your privacy request").await;
    assert!(letter.message.text_body.contains("supervisory authority"));
    let late = patch(&app, &officer, &id, Some("*"), &approve).await;
    assert_eq!(late.status(), 409);
    assert_eq!(
        late.json::<Value>().await.unwrap()["error"]["status"],
        "denied"
    );

    let steps: Vec<_> = crate::signups::log(&app, Log::Requests)
        .await
        .into_iter()
        .filter_map(|e| e.detail)
        .collect();
    assert_eq!(
        steps,
        [
            "received rights=access",
            "verified",
            "acknowledged",
            "extended",
            "denied reason=excessive"
        ]
    );
}

#[tokio::test]
async fn an_approval_racing_a_denial_has_exactly_one_winner() {
    let app = spawn().await;
    ask_for(&app, &["access"]).await;
    assert_eq!(verify(&app).await.status(), 200);
    let id = only_request(&app).await.id;
    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let (_, etag) = show(&app, &officer, &id).await;
    let approve = json!({"action": "approve"});
    let deny = json!({"action": "deny", "reason": "identity_not_verified"});
    let (a, b) = tokio::join!(
        patch(&app, &officer, &id, Some(&etag), &approve),
        patch(&app, &officer, &id, Some(&etag), &deny)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
    let status = only_request(&app).await.status;
    assert!(matches!(
        status,
        RequestStatus::Completed | RequestStatus::Denied
    ));
}

#[tokio::test]
async fn a_rectification_corrects_every_record_and_reaches_syncing_crms() {
    let app = spawn().await;
    let captured = capture_everything(&app).await;
    let leads = staff_key(&app, &["leads:read"]).await;
    let page: Value = keyed_get(&app, &leads, "/api/v1/demo-requests")
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let response = ask(
        &app,
        &json!({"email": EMAIL, "rights": ["rectification"], "details": "My name is Ada King."}),
    )
    .await;
    assert_eq!(response.status(), 202);
    assert_eq!(verify(&app).await.status(), 200);
    let id = only_request(&app).await.id;
    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let refused = patch(
        &app,
        &officer,
        &id,
        Some("*"),
        &json!({"action": "rectify", "changes": {"email": "ada@king.example"}}),
    )
    .await;
    assert_eq!(
        field_errors(refused).await,
        [("changes.email".into(), "not_rectifiable".into())]
    );
    decide(
        &app,
        &officer,
        &id,
        json!({"action": "rectify", "changes": {"name": "Ada King"}}),
    )
    .await;
    let submission: Submission = app
        .store()
        .submission(&captured.submission)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(submission.contact.name.as_deref(), Some("Ada King"));
    let next: Value = keyed_get(
        &app,
        &leads,
        &format!("/api/v1/demo-requests?after={cursor}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(next["items"][0]["id"], captured.demo_request.as_str());
    assert_eq!(next["items"][0]["contact"]["name"], "Ada King");
    let done = decide(&app, &officer, &id, json!({"action": "approve"})).await;
    assert_eq!(done["outcome"]["rectified"], 3);
}

#[tokio::test]
async fn staff_see_requests_soonest_due_first_with_overdue_and_soon_due_flagged() {
    let app = spawn().await;
    let officer = staff_key(&app, &["privacy:read"]).await;
    for (email, received_days_ago) in [
        ("a@example.com", 10),
        ("b@example.com", 40),
        ("c@example.com", 25),
    ] {
        let response = ask(&app, &json!({"email": email, "rights": ["access"]})).await;
        assert_eq!(response.status(), 202);
        let id = requests(&app).await.last().unwrap().id.clone();
        let received = Timestamp::now().plus_days(-received_days_ago);
        app.tweak(RecordKind::DataRequest, &id, |r: &mut DataRequest| {
            r.verify(received);
            true
        })
        .await;
    }
    ask(
        &app,
        &json!({"email": "d@example.com", "rights": ["access"]}),
    )
    .await;
    let response = keyed_get(&app, &officer, "/api/v1/privacy-requests").await;
    assert_eq!(response.status(), 200);
    let items = response.json::<Value>().await.unwrap()["items"].clone();
    let flags: Vec<(&str, &Value)> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["status"].as_str().unwrap(), &i["urgency"]))
        .collect();
    assert_eq!(
        flags,
        [
            ("open", &json!("overdue")),
            ("open", &json!("due_soon")),
            ("open", &Value::Null),
            ("unverified", &Value::Null),
        ]
    );
    let filtered = keyed_get(&app, &officer, "/api/v1/privacy-requests?status=unverified").await;
    assert_eq!(
        filtered.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad = keyed_get(&app, &officer, "/api/v1/privacy-requests?status=lost").await;
    assert_eq!(bad.status(), 400);
    let feed = keyed_get(&app, &officer, "/api/v1/privacy-requests/changes").await;
    assert_eq!(feed.status(), 200);
    assert_eq!(
        feed.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn the_person_index_finds_old_records_and_the_tail_it_has_not_reached() {
    let app = spawn().await;
    let captured = capture_everything(&app).await;
    let settings = test_settings();
    let pseudonymise = |v: &str| settings.pseudonym(v);
    let store = app.store();
    let email = settings.pseudonym(&EMAIL.to_lowercase());
    let phone = settings.pseudonym(PHONE);
    // Nothing indexed yet: everything comes from the tail.
    let from_tail = store
        .person_references(&[&email, &phone], &pseudonymise)
        .await
        .unwrap();
    let run = store
        .index_people(&pseudonymise, 10_000, Timestamp::now())
        .await
        .unwrap();
    assert!(run.entries > 0 && run.behind == 0, "{run:?}");
    let indexed = store
        .person_references(&[&email, &phone], &pseudonymise)
        .await
        .unwrap();
    assert_eq!(indexed, from_tail);
    assert!(indexed.iter().any(|r| r.id == captured.submission));
    // A capture after the run is found in the tail; a second run indexes it once.
    let later = app
        .post_json(
            "/api/forms/whitepaper",
            &json!({"email": EMAIL, "consent_policy_version": "2026-01", "consent_privacy_policy": true}),
        )
        .await;
    let later = later.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let found = store
        .person_references(&[&email], &pseudonymise)
        .await
        .unwrap();
    assert!(found.iter().any(|r| r.id == later));
    store
        .index_people(&pseudonymise, 10_000, Timestamp::now())
        .await
        .unwrap();
    store
        .index_people(&pseudonymise, 10_000, Timestamp::now())
        .await
        .unwrap();
    let again = store
        .person_references(&[&email], &pseudonymise)
        .await
        .unwrap();
    assert_eq!(again, found);
    // Someone else's records are not found.
    let other = settings.pseudonym("grace@example.com");
    assert!(
        store
            .person_references(&[&other], &pseudonymise)
            .await
            .unwrap()
            .is_empty()
    );
}
