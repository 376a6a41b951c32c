//! The scheduler entry point through the test host: one call runs every background job under a lease
//! and reports on each; bad calls are refused; dry runs change nothing.

use crate::harness::TestApp;
use crate::mailer::{PROVIDER_TOKEN, Provider};
use crate::signups::signup;
use serde_json::{Value, json};
use shared::privacy::{DataRequest, RequestStatus};

use shared::store::RecordKind;
use shared::time::Timestamp;
use std::time::Duration;

pub(crate) const JOBS_TOKEN: &str = "jobs-token-0123456789abcdef";

async fn spawn(provider: Option<&Provider>) -> TestApp {
    let url = provider.map(|p| p.url.clone()).unwrap_or_default();
    TestApp::spawn_with(|vars| {
        vars.set("jobs_token", JOBS_TOKEN)
            .set("mail_api_url", url)
            .set("mail_api_token", PROVIDER_TOKEN)
            .set("signup_min_seconds", "0")
            .set("privacy_min_seconds", "0");
    })
    .await
}

pub(crate) async fn run(app: &TestApp, query: &str) -> reqwest::Response {
    app.send(
        app.client
            .post(app.url(&format!("/api/jobs/run{query}")))
            .bearer_auth(JOBS_TOKEN),
    )
    .await
}

async fn run_ok(app: &TestApp, query: &str) -> Value {
    let response = run(app, query).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

/// A privacy request whose verification link expired a second ago.
async fn expired_request(app: &TestApp) -> String {
    let asked = app
        .post_json(
            "/api/privacy/requests",
            &json!({"email": "ada@example.com", "rights": ["access"]}),
        )
        .await;
    assert_eq!(asked.status(), 202);
    let id = app.store().requests().await.unwrap()[0].id.clone();
    let now = Timestamp::now();
    app.tweak(RecordKind::DataRequest, &id, |r: &mut DataRequest| {
        r.verify_until = now.plus_seconds(-1);
        true
    })
    .await;
    id
}

#[tokio::test]
async fn the_scheduler_must_present_its_token_and_an_unset_token_refuses_everyone() {
    let app = spawn(None).await;
    let wrong = app
        .send(
            app.client
                .post(app.url("/api/jobs/run"))
                .bearer_auth("nope"),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        app.send(app.client.post(app.url("/api/jobs/run")))
            .await
            .status(),
        401
    );
    let closed = TestApp::spawn().await;
    let response = closed
        .send(
            closed
                .client
                .post(closed.url("/api/jobs/run"))
                .bearer_auth(""),
        )
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(app.get("/api/jobs/run").await.status(), 405);
}

#[tokio::test]
async fn an_unknown_job_or_parameter_is_a_400_naming_it() {
    let app = spawn(None).await;
    let response = run(&app, "?only=people,backup").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unknown_job");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("backup")
    );
    assert_eq!(run(&app, "?dry_run=maybe").await.status(), 400);
    assert_eq!(run(&app, "?force=1").await.status(), 400);
}

#[tokio::test]
async fn one_run_delivers_mail_indexes_people_expires_requests_and_the_next_has_nothing_to_do() {
    let provider = Provider::start(Duration::ZERO).await;
    let app = spawn(Some(&provider)).await;
    assert_eq!(
        app.post_json("/api/newsletter", &signup("grace@example.com"))
            .await
            .status(),
        201
    );
    let id = expired_request(&app).await;

    let first = run_ok(&app, "").await;
    assert_eq!(first["dry_run"], false);
    let jobs = &first["jobs"];
    assert_eq!(jobs["outbox"]["ran"], true);
    assert_eq!(jobs["outbox"]["sent"], 2, "{first}");
    assert!(jobs["people"]["entries"].as_u64().unwrap() >= 3, "{first}");
    assert_eq!(jobs["people"]["behind"], 0);
    assert_eq!(jobs["privacy"]["expired"], 1);
    assert!(jobs["people"]["ms"].is_u64());
    let request: DataRequest = app
        .store()
        .get(RecordKind::DataRequest, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.status, RequestStatus::Expired);
    assert!(request.email.is_none());

    let second = run_ok(&app, "").await;
    // Only the log entries the first run wrote itself (the delivery results, the expiry) are new.
    assert_eq!(second["jobs"]["outbox"]["sent"], 0);
    assert_eq!(second["jobs"]["privacy"]["expired"], 0);
    let third = run_ok(&app, "?only=people").await;
    assert_eq!(third["jobs"]["people"]["entries"], 0, "{third}");
    assert_eq!(third["jobs"].as_object().unwrap().len(), 1);
    assert_eq!(provider.seen().len(), 2, "each mail sent once");
}

#[tokio::test]
async fn a_dry_run_reports_what_would_be_done_and_changes_nothing() {
    let provider = Provider::start(Duration::ZERO).await;
    let app = spawn(Some(&provider)).await;
    let id = expired_request(&app).await;
    let report = run_ok(&app, "?dry_run=true").await;
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["jobs"]["outbox"]["pending"], 1);
    assert!(report["jobs"]["people"]["behind"].as_u64().unwrap() >= 2);
    assert_eq!(report["jobs"]["privacy"]["expired"], 1);
    assert!(provider.seen().is_empty());
    let request: DataRequest = app
        .store()
        .get(RecordKind::DataRequest, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.status, RequestStatus::Unverified);
    assert_eq!(
        shared::jobs::people::behind(&app.store()).await.unwrap(),
        report["jobs"]["people"]["behind"]
    );
}

#[tokio::test]
async fn a_job_whose_lease_is_held_is_reported_busy_and_concurrent_runs_send_each_mail_once() {
    let provider = Provider::start(Duration::from_millis(50)).await;
    let app = spawn(Some(&provider)).await;
    for i in 0..5 {
        let email = format!("person{i}@example.com");
        assert_eq!(
            app.post_json("/api/newsletter", &signup(&email))
                .await
                .status(),
            201
        );
    }
    let store = app.store();
    let lease = store
        .take_lease("outbox", Timestamp::now())
        .await
        .unwrap()
        .unwrap();
    let busy = run_ok(&app, "?only=outbox").await;
    assert_eq!(busy["jobs"]["outbox"]["ran"], false);
    assert!(provider.seen().is_empty());
    store.release_lease(&lease).await;

    let (a, b, c) = tokio::join!(run(&app, ""), run(&app, ""), run(&app, ""));
    for response in [a, b, c] {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(provider.seen().len(), 5, "every mail exactly once");
    let after = run_ok(&app, "?only=outbox").await;
    assert_eq!(after["jobs"]["outbox"]["ran"], true);
    assert_eq!(after["jobs"]["outbox"]["pending"], 0);
}
