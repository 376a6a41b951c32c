//! A demo request's status changed through the API: `If-Match` against the current ETag, scope and
//! refusals.

use super::support::{
    access_log, assert_refused, call, create_key, get_with, ids, pull_ok_of, spawn,
};
use crate::harness::{TestApp, invalid_fields};
use serde_json::{Value, json};
use shared::records::{Action, Actor, DemoRequest, DemoStatus};
use shared::store::{Log, RecordKind};

/// A demo request posted as the site posts it; answers its id.
pub(crate) async fn request_demo(app: &TestApp) -> String {
    let demo = json!({
        "name": "Grace Hopper", "email": "grace@navy.mil", "company": "Navy Labs",
        "consent_policy_version": "2026-01", "consent_privacy_policy": true,
    });
    let response = app.post_json("/api/demo", &demo).await;
    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().await.unwrap();
    receipt["id"].as_str().unwrap().to_owned()
}

/// The status of demo request `id` as stored.
async fn stored_status(app: &TestApp, id: &str) -> DemoStatus {
    let stored: DemoRequest = app
        .store()
        .get(RecordKind::DemoRequest, id)
        .await
        .unwrap()
        .unwrap();
    stored.status
}

/// `PATCH /api/v1/demo-requests/{id}` with `If-Match` (none for `None`).
pub(crate) async fn set_status(
    app: &TestApp,
    key: &str,
    id: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let headers: Vec<(&str, &str)> = if_match.map(|tag| ("if-match", tag)).into_iter().collect();
    let path = format!("/api/v1/demo-requests/{id}");
    call(
        app,
        reqwest::Method::PATCH,
        &path,
        Some(key),
        &headers,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_status_change_needs_the_current_etag_and_a_stale_one_changes_nothing() {
    let app = spawn().await;
    let id = request_demo(&app).await;
    let (key_id, key) = create_key(&app, &["leads:read", "demo-requests:write"], None).await;
    let path = format!("/api/v1/demo-requests/{id}");
    let shown = get_with(&app, &key, &path, &[]).await;
    assert_eq!(shown.status(), 200);
    let etag = shown.headers()["etag"].to_str().unwrap().to_owned();
    let shown: Value = shown.json().await.unwrap();
    assert_eq!(shown["status"], "requested");
    assert_eq!(shown["origin"]["ip"], "127.0.0.0", "masked without ip:read");
    let cursor = pull_ok_of(&app, &key, "demo-requests", "").await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();

    // One marketer changes the status with the ETag they read...
    let first = set_status(
        &app,
        &key,
        &id,
        Some(&etag),
        &json!({"status": "contacted"}),
    )
    .await;
    assert_eq!(first.status(), 200);
    let new_etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["status"], "contacted");
    // ...the other, holding the old ETag, is refused and changes nothing.
    let second = set_status(
        &app,
        &key,
        &id,
        Some(&etag),
        &json!({"status": "cancelled"}),
    )
    .await;
    assert_refused(&second, 412);
    assert_eq!(stored_status(&app, &id).await, DemoStatus::Contacted);

    // The change is in the feed after the kept cursor, and in the register under the key.
    let feed = pull_ok_of(&app, &key, "demo-requests", &format!("?after={cursor}")).await;
    assert_eq!(ids(&feed), [id.as_str()]);
    assert_eq!(feed["items"][0]["status"], "contacted");
    let store = app.store();
    let head = store.log_head(Log::DemoRequests).await.unwrap();
    let entries = store.log_entries(Log::DemoRequests, 0, head).await.unwrap();
    let change = entries.last().unwrap().1.as_ref().unwrap();
    assert_eq!(change.action, Action::Updated);
    assert_eq!(
        change.actor,
        Actor::ApiKey {
            key_id: key_id.clone()
        }
    );
    assert_eq!(change.detail.as_deref(), Some("status=contacted"));
    let refusals: Vec<String> = access_log(&app)
        .await
        .into_iter()
        .filter(|e| e.action == Action::Refused)
        .filter_map(|e| e.detail)
        .collect();
    assert_eq!(
        refusals,
        [format!(
            "PATCH /api/v1/demo-requests/{id} precondition_failed"
        )]
    );
}

#[tokio::test]
async fn a_status_change_is_refused_without_if_match_scope_a_known_status_or_a_known_id() {
    let app = spawn().await;
    let id = request_demo(&app).await;
    let (_, reader) = create_key(&app, &["leads:read"], None).await;
    let (_, writer) = create_key(&app, &["demo-requests:write"], None).await;
    let body = json!({"status": "scheduled"});

    assert_refused(&set_status(&app, &reader, &id, Some("*"), &body).await, 403);
    assert_refused(&set_status(&app, &writer, &id, None, &body).await, 428);
    assert_refused(
        &set_status(&app, &writer, "AAAAAAAAAAAAAAAAAAAAAA", Some("*"), &body).await,
        404,
    );
    let invalid = set_status(&app, &writer, &id, Some("*"), &json!({"status": "won"})).await;
    assert_eq!(invalid_fields(invalid).await, ["status"]);
    let plain = call(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/demo-requests/{id}"),
        Some(&writer),
        &[("if-match", "*"), ("content-type", "text/plain")],
        None,
    )
    .await;
    assert_refused(&plain, 415);
    assert_eq!(stored_status(&app, &id).await, DemoStatus::Requested);
    // `*` matches any state.
    let any = set_status(&app, &writer, &id, Some("*"), &body).await;
    assert_eq!(any.status(), 200);
}
