//! Webhooks through the marketing API and the webhooks job: endpoints held to the allowed origins,
//! events signed as Standard Webhooks 1.0 says (checked with the `standardwebhooks` crate), sent per
//! endpoint in order, retried on the backoff schedule (a clock the test controls), `Retry-After` and
//! `410` honoured, secrets rotated, the delivery log, replays, and a change and its event together.

use super::support::{ADMIN_KEY, call, capture, create_key};
use crate::harness::TestApp;
use crate::jobs::{JOBS_TOKEN, run};
use crate::receiver::{Http, Receiver, signature, verifies};
use serde_json::{Value, json};
use shared::jobs::webhooks::{self, Budget};
use shared::records::{DeliveryStatus, EndpointStatus, WebhookEndpoint};
use shared::store::RecordKind;
use shared::time::Timestamp;

/// The contact form without the render-time check, so a post without a token is a person's.
const FORMS: &str = r#"
[contact]
kind = "contact"
fields = ["name", "email", "phone", "message"]
required = ["email"]
consents = ["privacy_policy"]
required_consents = ["privacy_policy"]
thank_you = "http://127.0.0.1:3000/thanks.html"
min_seconds = 0
"#;

const BUDGET: Budget = Budget {
    entries: 1000,
    attempts: 50,
};

async fn spawn_allowing(hosts: &str, hosts_2: &str) -> TestApp {
    TestApp::spawn_with(|vars| {
        vars.set("admin_api_key", ADMIN_KEY)
            .set("jobs_token", JOBS_TOKEN)
            .set("forms", FORMS)
            .set("signup_min_seconds", "0")
            .set("webhook_allowed_hosts", hosts)
            .set("webhook_allowed_hosts_b", hosts_2);
    })
    .await
}

async fn spawn(receiver: &Receiver) -> TestApp {
    spawn_allowing(&receiver.origin, "").await
}

async fn post(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    call(
        app,
        reqwest::Method::POST,
        path,
        Some(token),
        &[],
        Some(body),
    )
    .await
}

async fn get(app: &TestApp, path: &str) -> Value {
    let response = call(app, reqwest::Method::GET, path, Some(ADMIN_KEY), &[], None).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// An endpoint for `events` at the receiver, made with the admin key: its id and secret.
async fn endpoint(app: &TestApp, receiver: &Receiver, events: &[&str]) -> (String, String) {
    let body = json!({"url": receiver.url(), "events": events, "description": "CRM"});
    let response = post(app, ADMIN_KEY, "/api/v1/webhooks", &body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["status"], "active");
    (
        created["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    )
}

async fn submit(app: &TestApp, email: &str) -> String {
    let body = json!({"email": email, "name": "Ada", "consent_policy_version": "1",
                      "consent_privacy_policy": true});
    let response = app.post_json("/api/forms/contact", &body).await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One run of the webhooks job at `now`, over plain HTTP.
async fn run_at(app: &TestApp, now: Timestamp) -> webhooks::WebhooksRun {
    webhooks::run(&app.store(), &Http(reqwest::Client::new()), BUDGET, now)
        .await
        .unwrap()
}

async fn deliveries(app: &TestApp, id: &str) -> Vec<Value> {
    let page = get(app, &format!("/api/v1/webhooks/{id}/deliveries")).await;
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_endpoint_for_all_events_receives_a_signed_submission_created_after_a_job_run() {
    let receiver = Receiver::start().await;
    let app = spawn(&receiver).await;
    let (id, secret) = endpoint(&app, &receiver, &["*"]).await;
    assert!(secret.starts_with("whsec_"));
    let submission = submit(&app, "ada@example.com").await;

    let response = run(&app, "?only=webhooks").await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["jobs"]["webhooks"]["delivered"], 1, "{report}");

    let seen = receiver.seen();
    assert_eq!(seen.len(), 1);
    let got = &seen[0];
    assert_eq!(got.event_type(), "submission.created");
    assert_eq!(got.body["data"]["id"], submission.as_str());
    assert!(got.header("webhook-id").starts_with("msg_"));
    assert!(
        verifies(&secret, got),
        "the standardwebhooks crate accepts it"
    );
    assert!(!verifies("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", got));
    let origin = &got.body["data"]["origin"];
    assert_eq!(
        origin["ip"], origin["ip_truncated"],
        "no full IP without ip:read"
    );

    let log = deliveries(&app, &id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["webhook_id"], got.header("webhook-id"));
    assert_eq!(log[0]["attempts"][0]["status"], 200);
    let text = serde_json::to_string(&log).unwrap();
    assert!(
        !text.contains(&secret["whsec_".len()..]),
        "never the secret"
    );

    // Nothing new: the next run sends nothing again.
    run(&app, "?only=webhooks").await;
    assert_eq!(receiver.seen().len(), 1);
}

#[tokio::test]
async fn urls_outside_the_allowed_origins_private_addresses_and_plain_http_are_refused_naming_url()
{
    let app = spawn_allowing("https://hooks.example.com", "https://*").await;
    let refused = async |url: &str| {
        let body = json!({"url": url, "events": ["*"]});
        let response = post(&app, ADMIN_KEY, "/api/v1/webhooks", &body).await;
        let fields = crate::harness::field_errors(response).await;
        assert_eq!(fields.len(), 1, "{url}: {fields:?}");
        assert_eq!(fields[0].0, "url");
        fields[0].1.clone()
    };
    assert_eq!(refused("https://10.0.0.5/hook").await, "private_address");
    assert_eq!(
        refused("https://169.254.169.254/latest").await,
        "private_address"
    );
    assert_eq!(refused("https://localhost/hook").await, "private_address");
    assert_eq!(
        refused("http://hooks.example.com/hook").await,
        "insecure_url"
    );
    assert_eq!(
        refused("https://user@hooks.example.com/").await,
        "invalid_url"
    );
    let ok = json!({"url": "https://hooks.example.com/in", "events": ["person.erased"]});
    assert_eq!(
        post(&app, ADMIN_KEY, "/api/v1/webhooks", &ok)
            .await
            .status(),
        201
    );

    let narrow = spawn_allowing("https://hooks.example.com", "").await;
    let body = json!({"url": "https://crm.example.org/hook", "events": ["*"]});
    let response = post(&narrow, ADMIN_KEY, "/api/v1/webhooks", &body).await;
    assert_eq!(response.status(), 422);
    let fields = crate::harness::field_errors(response).await;
    assert_eq!(fields, [("url".to_owned(), "host_not_allowed".to_owned())]);
}

#[tokio::test]
async fn a_key_needs_webhooks_write_and_grants_only_the_scopes_it_holds() {
    let receiver = Receiver::start().await;
    let app = spawn(&receiver).await;
    let (_, reader) = create_key(&app, &["leads:read"], None).await;
    let body = json!({"url": receiver.url(), "events": ["submission.created"]});
    let response = post(&app, &reader, "/api/v1/webhooks", &body).await;
    assert_eq!(response.status(), 403);

    let (_, writer) = create_key(&app, &["webhooks:write", "opt-outs:read"], None).await;
    let response = post(&app, &writer, "/api/v1/webhooks", &body).await;
    assert_eq!(response.status(), 422);
    let fields = crate::harness::field_errors(response).await;
    assert_eq!(fields, [("events".to_owned(), "scope_missing".to_owned())]);
    let asks_more = json!({"url": receiver.url(), "events": ["*"], "scopes": ["ip:read"]});
    let fields =
        crate::harness::field_errors(post(&app, &writer, "/api/v1/webhooks", &asks_more).await)
            .await;
    assert_eq!(fields, [("scopes".to_owned(), "scope_not_held".to_owned())]);

    let opt_outs = json!({"url": receiver.url(), "events": ["opt_out.created", "person.erased"]});
    let response = post(&app, &writer, "/api/v1/webhooks", &opt_outs).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["scopes"], json!(["opt-outs:read"]));
    let listed = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/webhooks",
        Some(&writer),
        &[],
        None,
    )
    .await;
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(
        listed["items"][0].get("secret").is_none(),
        "secrets only when made"
    );
}

#[tokio::test]
async fn an_endpoint_for_every_event_gets_only_the_types_its_scopes_may_see() {
    let receiver = Receiver::start().await;
    let app = spawn(&receiver).await;
    let (_, writer) = create_key(&app, &["webhooks:write", "opt-outs:read"], None).await;
    let every = json!({"url": receiver.url(), "events": ["*"]});
    let response = post(&app, &writer, "/api/v1/webhooks", &every).await;
    assert_eq!(response.status(), 201);
    let t0 = Timestamp::now();
    capture(&app, 2, t0).await;
    run_at(&app, t0).await;
    assert!(
        receiver.seen().is_empty(),
        "submission.created needs leads:read, which the endpoint does not hold"
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_on_the_backoff_schedule_and_a_replay_resends_the_same_id() {
    let receiver = Receiver::start().await;
    let app = spawn(&receiver).await;
    let (id, secret) = endpoint(&app, &receiver, &["submission.created"]).await;
    let t0 = Timestamp::now();
    capture(&app, 1, t0).await;
    receiver.then(&[(500, None), (500, None)]);

    let first = run_at(&app, t0).await;
    assert_eq!((first.sent.delivered, first.sent.failed), (0, 1));
    // The first retry comes 5 s later, give or take a tenth; not before.
    run_at(&app, t0.plus_seconds(4)).await;
    assert_eq!(receiver.seen().len(), 1);
    run_at(&app, t0.plus_seconds(6)).await;
    assert_eq!(receiver.seen().len(), 2);
    // The second 5 minutes after that.
    run_at(&app, t0.plus_seconds(6 + 269)).await;
    assert_eq!(receiver.seen().len(), 2);
    let third = run_at(&app, t0.plus_seconds(6 + 331)).await;
    assert_eq!(third.sent.delivered, 1);

    let seen = receiver.seen();
    assert_eq!(seen.len(), 3, "three attempts");
    let ids: Vec<&str> = seen.iter().map(|r| r.header("webhook-id")).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "one webhook-id: {ids:?}");
    for got in &seen {
        assert_eq!(got.header("webhook-signature"), signature(&secret, got));
    }
    let log = deliveries(&app, &id).await;
    assert_eq!(log.len(), 1);
    let statuses: Vec<&Value> = log[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(500), &json!(200)]);
    assert_eq!(log[0]["attempts"][0]["error"], "HTTP 500");

    // A replay of the event goes out on the next run with its original webhook-id.
    let replay = json!({"event_id": ids[0]});
    let response = post(
        &app,
        ADMIN_KEY,
        &format!("/api/v1/webhooks/{id}/replay"),
        &replay,
    )
    .await;
    assert_eq!(response.status(), 202);
    run_at(&app, t0.plus_seconds(400)).await;
    let seen = receiver.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[3].header("webhook-id"), ids[0]);
    let log = deliveries(&app, &id).await;
    assert_eq!(
        (log[0]["replay"].clone(), log[0]["status"].clone()),
        (json!(true), json!("delivered"))
    );

    // Everything since a time: the event again.
    let since = json!({"since": t0.plus_seconds(-60).to_rfc3339()});
    let response = post(
        &app,
        ADMIN_KEY,
        &format!("/api/v1/webhooks/{id}/replay"),
        &since,
    )
    .await;
    assert_eq!(response.status(), 202);
    run_at(&app, t0.plus_seconds(500)).await;
    assert_eq!(receiver.seen().len(), 5);
    assert_eq!(receiver.seen()[4].header("webhook-id"), ids[0]);
    let unknown = json!({"event_id": "msg_nothing"});
    let response = post(
        &app,
        ADMIN_KEY,
        &format!("/api/v1/webhooks/{id}/replay"),
        &unknown,
    )
    .await;
    assert_eq!(crate::harness::invalid_fields(response).await, ["event_id"]);
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_when_the_receiver_asks() {
    let receiver = Receiver::start().await;
    let app = spawn(&receiver).await;
    endpoint(&app, &receiver, &["*"]).await;
    let t0 = Timestamp::now();
    capture(&app, 1, t0).await;
    receiver.then(&[(429, Some("120"))]);
    run_at(&app, t0).await;
    run_at(&app, t0.plus_seconds(100)).await;
    assert_eq!(
        receiver.seen().len(),
        1,
        "not before the two minutes asked for"
    );
    receiver.then(&[(429, Some("1"))]);
    run_at(&app, t0.plus_seconds(121)).await;
    assert_eq!(receiver.seen().len(), 2);
    run_at(&app, t0.plus_seconds(121 + 10)).await;
    assert_eq!(
        receiver.seen().len(),
        2,
        "Retry-After never brings an attempt before the schedule (5 min after the second)"
    );
    run_at(&app, t0.plus_seconds(121 + 331)).await;
    assert_eq!(receiver.seen().len(), 3);
}

#[tokio::test]
async fn a_receiver_answering_410_disables_its_endpoint() {
    let receiver = Receiver::start().await;
    let app = spawn(&receiver).await;
    let (id, _) = endpoint(&app, &receiver, &["*"]).await;
    capture(&app, 1, Timestamp::now()).await;
    receiver.then(&[(410, None)]);
    let report = run_at(&app, Timestamp::now()).await;
    assert_eq!(report.sent.disabled, 1);
    let stored: WebhookEndpoint = app
        .store()
        .get(RecordKind::Webhook, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, EndpointStatus::Disabled);
    assert_eq!(
        get(&app, &format!("/api/v1/webhooks/{id}")).await["status"],
        "disabled"
    );
    capture(&app, 2, Timestamp::now()).await;
    run_at(&app, Timestamp::now().plus_seconds(86_400)).await;
    assert_eq!(
        receiver.seen().len(),
        1,
        "a disabled endpoint is sent nothing"
    );
    let delivery = app.store().webhook_delivery(&id, 1).await.unwrap().unwrap();
    assert_eq!(delivery.status, DeliveryStatus::Failed);
}

#[tokio::test]
async fn each_endpoint_gets_its_events_in_the_order_of_the_changes_even_after_a_failure() {
    let receiver = Receiver::start().await;
    let app = spawn(&receiver).await;
    endpoint(
        &app,
        &receiver,
        &["submission.created", "demo_request.created"],
    )
    .await;
    let t0 = Timestamp::now();
    let mut expected = Vec::new();
    for n in 0..4 {
        expected.push(capture(&app, n, t0.plus_seconds(n as i64 - 10)).await);
    }
    let demo = json!({"name": "Grace", "email": "grace@example.com", "company": "Navy",
                      "consent_policy_version": "1", "consent_privacy_policy": true});
    let response = app.post_json("/api/demo", &demo).await;
    assert_eq!(response.status(), 201);
    expected.push(
        response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    receiver.then(&[(503, None)]);
    run_at(&app, t0.plus_seconds(10)).await;
    assert_eq!(receiver.seen().len(), 1, "the line waits for its head");
    run_at(&app, t0.plus_seconds(20)).await;
    let ids: Vec<String> = receiver
        .seen()
        .iter()
        .skip(1)
        .map(|r| r.body["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn a_rotation_signs_with_both_secrets_until_the_old_one_is_removed() {
    let receiver = Receiver::start().await;
    let app = spawn(&receiver).await;
    let (id, old) = endpoint(&app, &receiver, &["*"]).await;
    let rotated = post(
        &app,
        ADMIN_KEY,
        &format!("/api/v1/webhooks/{id}/secrets"),
        &json!({}),
    )
    .await;
    assert_eq!(rotated.status(), 201);
    let rotated: Value = rotated.json().await.unwrap();
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_eq!(rotated["secrets"].as_array().unwrap().len(), 2);
    submit(&app, "ada@example.com").await;
    run(&app, "?only=webhooks").await;
    let got = &receiver.seen()[0];
    assert_eq!(got.header("webhook-signature").split(' ').count(), 2);
    assert!(verifies(&old, got) && verifies(&new, got));

    let old_id = rotated["secrets"][0]["id"].as_str().unwrap();
    let path = format!("/api/v1/webhooks/{id}/secrets/{old_id}");
    let response = call(
        &app,
        reqwest::Method::DELETE,
        &path,
        Some(ADMIN_KEY),
        &[],
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let new_id = rotated["secret_id"].as_str().unwrap();
    let path = format!("/api/v1/webhooks/{id}/secrets/{new_id}");
    let response = call(
        &app,
        reqwest::Method::DELETE,
        &path,
        Some(ADMIN_KEY),
        &[],
        None,
    )
    .await;
    assert_eq!(response.status(), 409, "the last secret stays");
    submit(&app, "grace@example.com").await;
    run(&app, "?only=webhooks").await;
    let got = &receiver.seen()[1];
    assert!(verifies(&new, got) && !verifies(&old, got));
}

#[tokio::test]
async fn a_change_and_its_event_land_together_or_not_at_all() {
    let receiver = Receiver::start().await;
    let app = spawn(&receiver).await;
    endpoint(&app, &receiver, &["*"]).await;
    app.kv().fail_next_writes(1);
    let body = json!({"email": "ada@example.com", "consent_policy_version": "1",
                      "consent_privacy_policy": true});
    let failed = app.post_json("/api/forms/contact", &body).await;
    assert!(failed.status().is_server_error(), "{}", failed.status());
    run(&app, "?only=webhooks").await;
    assert!(receiver.seen().is_empty(), "no change, no event");
    let id = submit(&app, "ada@example.com").await;
    // The failed post's number is a hole in the log, stepped over once it is older than the grace.
    let later = Timestamp::now().plus_seconds(shared::store::GRACE_MS / 1000 + 1);
    run_at(&app, later).await;
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body["data"]["id"], id.as_str());
}

#[tokio::test]
async fn deleting_an_endpoint_stops_its_events_and_is_registered() {
    let receiver = Receiver::start().await;
    let app = spawn(&receiver).await;
    let (id, _) = endpoint(&app, &receiver, &["*"]).await;
    let path = format!("/api/v1/webhooks/{id}");
    let response = call(
        &app,
        reqwest::Method::DELETE,
        &path,
        Some(ADMIN_KEY),
        &[],
        None,
    )
    .await;
    assert_eq!(response.status(), 204);
    let again = call(
        &app,
        reqwest::Method::DELETE,
        &path,
        Some(ADMIN_KEY),
        &[],
        None,
    )
    .await;
    assert_eq!(again.status(), 404);
    submit(&app, "ada@example.com").await;
    run(&app, "?only=webhooks").await;
    assert!(receiver.seen().is_empty());
    let store = app.store();
    let head = store.log_head(shared::store::Log::Webhooks).await.unwrap();
    let entries = store
        .log_entries(shared::store::Log::Webhooks, 0, head)
        .await
        .unwrap();
    let details: Vec<String> = entries
        .iter()
        .filter_map(|(_, e)| e.as_ref()?.detail.clone())
        .collect();
    assert!(
        details.iter().any(|d| d.starts_with("webhook created")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d == "webhook deleted"),
        "{details:?}"
    );
    assert!(
        details.iter().all(|d| !d.contains("127.0.0.1")),
        "no URL in the register"
    );
}
