//! Scoped API keys: created, shown once, listed, revoked, expired, refused, and the register entries of
//! key management and of refused requests.

use super::support::{
    ADMIN_KEY, access_log, admin_post, assert_refused, call, create_key, get_with, pull, pull_ok,
    spawn,
};
use crate::harness::{TestApp, invalid_fields};
use serde_json::{Value, json};
use shared::records::{Action, Actor, ApiKey};
use shared::store::RecordKind;
use shared::time::Timestamp;
use std::time::Duration;

async fn list_keys(app: &TestApp) -> Vec<Value> {
    let response = call(
        app,
        reqwest::Method::GET,
        "/api/v1/keys",
        Some(ADMIN_KEY),
        &[],
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["keys"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_key_is_shown_once_listed_without_its_secret_and_stored_only_as_a_hash() {
    let app = spawn().await;
    let (id, key) = create_key(&app, &["leads:read", "ip:read"], None).await;
    assert!(key.starts_with(&format!("mck_{id}_")), "{key}");

    let listed = list_keys(&app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["scopes"], json!(["leads:read", "ip:read"]));
    assert_eq!(listed[0]["revoked"], false);
    assert!(listed[0]["last_used_at"].is_null());
    let text = listed[0].to_string();
    assert!(!text.contains(&key) && !text.contains("sha256") && listed[0].get("key").is_none());

    pull_ok(&app, &key, "").await;
    assert!(list_keys(&app).await[0]["last_used_at"].is_string());

    // In the store: the record holds only the hash; neither it, the key list, nor the register holds the key.
    let stored: ApiKey = app
        .store()
        .get(RecordKind::ApiKey, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.secret_hash.starts_with("sha256:"));
    // The secret is the key's last 44 characters: base64url has `_` in its alphabet, so the id's `_`
    // separator cannot be found by searching for it.
    let secret = &key[key.len() - 44..];
    for (key, value) in app.kv().dump().await.unwrap() {
        assert!(
            !String::from_utf8_lossy(&value).contains(secret),
            "the key's secret is stored in clear at {key}"
        );
    }
    // Key management is in the register.
    let register = access_log(&app).await;
    assert_eq!(register[0].record.as_deref(), Some(id.as_str()));
    assert!(
        register[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("api-key created")
    );
    assert_eq!(
        register[1].detail.as_deref(),
        Some("api-keys listed count=1")
    );
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_once_and_stays_listed_as_revoked() {
    let app = spawn().await;
    let (id, key) = create_key(&app, &["leads:read"], None).await;
    assert_eq!(pull(&app, &key, "").await.status(), 200);

    let path = format!("/api/v1/keys/{id}");
    let revoked = call(
        &app,
        reqwest::Method::DELETE,
        &path,
        Some(ADMIN_KEY),
        &[],
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);
    assert_refused(&pull(&app, &key, "").await, 401);
    assert_eq!(list_keys(&app).await[0]["revoked"], true);
    let stored: ApiKey = app
        .store()
        .get(RecordKind::ApiKey, &id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.revoked_at.is_some());
    assert!(access_log(&app).await.iter().any(|e| {
        e.record.as_deref() == Some(id.as_str()) && e.detail.as_deref() == Some("api-key revoked")
    }));

    let unknown = call(
        &app,
        reqwest::Method::DELETE,
        "/api/v1/keys/AAAAAAAAAAAAAAAAAAAAAA",
        Some(ADMIN_KEY),
        &[],
        None,
    )
    .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn an_expired_key_is_refused() {
    let app = spawn().await;
    let soon = Timestamp::now().plus_seconds(1);
    let (_, key) = create_key(&app, &["leads:read"], Some(soon)).await;
    assert_eq!(pull(&app, &key, "").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_refused(&pull(&app, &key, "").await, 401);
}

#[tokio::test]
async fn admin_calls_are_refused_while_the_admin_key_is_unset_or_short_or_wrong() {
    let unset = TestApp::spawn().await;
    let response = admin_post(&unset, &json!({"name": "x", "scopes": ["leads:read"]})).await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "admin_key_not_configured");

    let short = TestApp::spawn_with(|vars| {
        vars.set("admin_api_key", "too-short");
    })
    .await;
    let response = call(
        &short,
        reqwest::Method::GET,
        "/api/v1/keys",
        Some("too-short"),
        &[],
        None,
    )
    .await;
    assert_eq!(response.status(), 503);

    let app = spawn().await;
    let wrong = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/keys",
        Some("nope"),
        &[],
        None,
    )
    .await;
    assert_refused(&wrong, 401);
    let none = call(&app, reqwest::Method::GET, "/api/v1/keys", None, &[], None).await;
    assert_refused(&none, 401);
    // An API key is no admin key.
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let api = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/keys",
        Some(&key),
        &[],
        None,
    )
    .await;
    assert_refused(&api, 401);
}

#[tokio::test]
async fn a_bad_key_request_names_every_bad_field() {
    let app = spawn().await;
    let response = admin_post(
        &app,
        &json!({"name": "", "scopes": ["leads:read", "everything"], "expires_at": "2000-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(
        invalid_fields(response).await,
        ["name", "scopes", "expires_at"]
    );
    let twice = admin_post(
        &app,
        &json!({"name": "x", "scopes": ["leads:read", "ip:read", "leads:read"]}),
    )
    .await;
    assert_eq!(invalid_fields(twice).await, ["scopes"]);
    let malformed = admin_post(&app, &json!({"name": "x", "scopes": [], "admin": true})).await;
    assert_eq!(malformed.status(), 400);
    assert!(list_keys(&app).await.is_empty());
}

#[tokio::test]
async fn missing_unknown_and_mis_scoped_keys_are_refused() {
    let app = spawn().await;
    assert_refused(
        &call(
            &app,
            reqwest::Method::GET,
            "/api/v1/submissions",
            None,
            &[],
            None,
        )
        .await,
        401,
    );
    assert_refused(&pull(&app, "garbage", "").await, 401);
    let (_, key) = create_key(&app, &["consents:read"], None).await;
    // Right shape, right id, wrong secret.
    let forged = format!("{}{}", &key[..key.len() - 4], "AAAA");
    assert_refused(&pull(&app, &forged, "").await, 401);

    let response = pull(&app, &key, "").await;
    assert_refused(&response, 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["scope"], "leads:read");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("leads:read")
    );
}

#[tokio::test]
async fn a_request_refused_after_its_key_was_recognised_is_registered() {
    let app = spawn().await;
    let (id, key) = create_key(&app, &["leads:read"], None).await;
    assert_refused(&get_with(&app, &key, "/api/v1/opt-outs", &[]).await, 403);
    assert_refused(&pull(&app, &key, "?limit=0").await, 400);
    assert_refused(&pull(&app, &key, "?format=xml").await, 406);
    // (A JSON page of everything is no longer refused: `limit=all` streams it.)
    let refusals: Vec<(Actor, String)> = access_log(&app)
        .await
        .into_iter()
        .filter(|e| e.action == Action::Refused)
        .map(|e| (e.actor, e.detail.unwrap()))
        .collect();
    let actor = Actor::ApiKey { key_id: id };
    assert_eq!(
        refusals,
        [
            (
                actor.clone(),
                "GET /api/v1/opt-outs missing_scope".to_owned()
            ),
            (
                actor.clone(),
                "GET /api/v1/submissions invalid_limit".to_owned()
            ),
            (actor, "GET /api/v1/submissions not_acceptable".to_owned()),
        ]
    );
}
