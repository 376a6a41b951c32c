//! What the privacy centre's tests share: the app, asking and verifying, the mails in the outbox, staff
//! keys and decisions, and a person's records captured across the site.

use crate::harness::TestApp;
use crate::mailer::{PROVIDER_TOKEN, Provider};
use crate::signups::signup;
use serde_json::{Value, json};
use shared::mailer::OutboxMessage;
use shared::privacy::DataRequest;
use shared::store::{Log, RecordKind};

pub(crate) const ADMIN_KEY: &str = "admin-key-0123456789abcdef0123456789abcdef";
pub(crate) const OUTBOX_TOKEN: &str = "outbox-token-privacy-0123456789";
pub(crate) const EMAIL: &str = "Ada.Lovelace@Example.com";
pub(crate) const NAME: &str = "Ada Lovelace";
pub(crate) const PHONE: &str = "+4930123456789";

pub(crate) async fn spawn() -> TestApp {
    spawn_with_mail(None).await
}

pub(crate) async fn spawn_with_mail(provider: Option<&Provider>) -> TestApp {
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

pub(crate) async fn ask(app: &TestApp, body: &Value) -> reqwest::Response {
    app.post_json("/api/privacy/requests", body).await
}

/// A request for `rights` from the test person, answered 202.
pub(crate) async fn ask_for(app: &TestApp, rights: &[&str]) {
    let response = ask(
        app,
        &json!({"email": EMAIL, "phone": PHONE, "rights": rights}),
    )
    .await;
    assert_eq!(response.status(), 202);
}

/// Every request stored, oldest first.
pub(crate) async fn requests(app: &TestApp) -> Vec<DataRequest> {
    app.store().requests().await.unwrap()
}

pub(crate) async fn only_request(app: &TestApp) -> DataRequest {
    let mut all = requests(app).await;
    assert_eq!(all.len(), 1, "one request");
    all.remove(0)
}

/// The path of the first link under `prefix` in `mail`.
pub(crate) fn link(mail: &OutboxMessage, prefix: &str) -> String {
    let text = &mail.message.text_body;
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    text[at..].split_whitespace().next().unwrap().to_owned()
}

/// Mails to the test person still in the outbox (an erasure removes the others), oldest first.
pub(crate) async fn mails(app: &TestApp) -> Vec<OutboxMessage> {
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

pub(crate) async fn mail_with_subject(app: &TestApp, subject: &str) -> OutboxMessage {
    mails(app)
        .await
        .into_iter()
        .rev()
        .find(|m| m.message.subject == subject)
        .unwrap_or_else(|| panic!("no mail {subject:?}"))
}

/// Follows the verification link of the newest request's mail with the button's POST.
pub(crate) async fn verify(app: &TestApp) -> reqwest::Response {
    let mail = mail_with_subject(app, "Please confirm your privacy request").await;
    let path = link(&mail, "/privacy/verify/");
    app.send(app.client.post(app.url(&path))).await
}

pub(crate) async fn staff_key(app: &TestApp, scopes: &[&str]) -> String {
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

pub(crate) async fn show(app: &TestApp, key: &str, id: &str) -> (Value, String) {
    let response = keyed_get(app, key, &format!("/api/v1/privacy-requests/{id}")).await;
    assert_eq!(response.status(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    (response.json().await.unwrap(), etag)
}

/// `GET path` with `Authorization: Bearer {key}`.
pub(crate) async fn keyed_get(app: &TestApp, key: &str, path: &str) -> reqwest::Response {
    app.send(app.client.get(app.url(path)).bearer_auth(key))
        .await
}

pub(crate) async fn patch(
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
pub(crate) async fn decide(app: &TestApp, key: &str, id: &str, body: Value) -> Value {
    let (_, etag) = show(app, key, id).await;
    let response = patch(app, key, id, Some(&etag), &body).await;
    assert_eq!(response.status(), 200, "{body}");
    response.json().await.unwrap()
}

/// What the test person left on the site: a contact form, a newsletter signup, a demo request and a
/// cookie decision.
pub(crate) struct Captured {
    pub(crate) submission: String,
    pub(crate) demo_request: String,
    pub(crate) consent_id: String,
}

/// The id in a `201` answer (a form submission, a demo request).
async fn created_id(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().expect("an id").to_owned()
}

pub(crate) async fn capture_everything(app: &TestApp) -> Captured {
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
    // The same person also came from a trade fair's list.
    let importer = staff_key(app, &["contacts:write"]).await;
    let import = json!({
        "source": {"name": "Hannover Messe 2026", "kind": "event", "obtained_at": "2026-11-20",
                   "public": false, "legal_basis": "legitimate_interest"},
        "contacts": [{"email": EMAIL, "name": NAME, "phone": PHONE, "company": "Analytical Engines Ltd"}],
    });
    let imported = app
        .send(
            app.client
                .post(app.url("/api/v1/contacts/import"))
                .bearer_auth(&importer)
                .json(&import),
        )
        .await;
    assert_eq!(imported.status(), 200);
    let report: Value = imported.json().await.unwrap();
    assert_eq!(report["accepted"], 1, "{report}");
    Captured {
        submission,
        demo_request,
        consent_id,
    }
}
