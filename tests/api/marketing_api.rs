//! The marketing API through the test host: scoped keys (created, used, listed, revoked, expired), the
//! submissions feed walked by cursor, JSON / NDJSON / CSV pages, IP masking, and the register entry of
//! every pull.

use crate::harness::{TestApp, invalid_fields, test_settings};
use serde_json::{Value, json};
use shared::records::{
    Action, Actor, ApiKey, DemoRequest, DemoStatus, LogEntry, OptOutSource, Submission,
};
use shared::store::{Backend, Channel, Event, Key, Log, RecordKind};
use shared::time::Timestamp;
use std::time::Duration;

pub(crate) const ADMIN_KEY: &str = "admin-key-0123456789abcdef0123456789abcdef";

async fn spawn() -> TestApp {
    TestApp::spawn_with(|vars| {
        vars.set("admin_api_key", ADMIN_KEY)
            .set("signup_min_seconds", "0");
    })
    .await
}

/// A request with `Authorization: Bearer {token}` (none for `None`) and extra headers.
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    app.send(request).await
}

async fn admin_post(app: &TestApp, body: &Value) -> reqwest::Response {
    call(
        app,
        reqwest::Method::POST,
        "/api/v1/keys",
        Some(ADMIN_KEY),
        &[],
        Some(body),
    )
    .await
}

/// A new key with `scopes`: its id and the key itself.
pub(crate) async fn create_key(
    app: &TestApp,
    scopes: &[&str],
    expires_at: Option<Timestamp>,
) -> (String, String) {
    let mut body = json!({"name": "CRM sync", "scopes": scopes});
    if let Some(at) = expires_at {
        body["expires_at"] = json!(at.to_rfc3339());
    }
    let response = admin_post(app, &body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    (
        created["id"].as_str().unwrap().to_owned(),
        created["key"].as_str().unwrap().to_owned(),
    )
}

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

async fn pull(app: &TestApp, key: &str, query: &str) -> reqwest::Response {
    let path = format!("/api/v1/submissions{query}");
    call(app, reqwest::Method::GET, &path, Some(key), &[], None).await
}

pub(crate) async fn pull_ok(app: &TestApp, key: &str, query: &str) -> Value {
    let response = pull(app, key, query).await;
    assert_eq!(response.status(), 200, "pull {query}");
    response.json().await.unwrap()
}

fn submission(id: &str, n: usize) -> Submission {
    serde_json::from_value(json!({
        "v": 1, "id": id, "form": "contact", "kind": "contact",
        "received_at": Timestamp::now(),
        "contact": {"name": format!("Person {n}"), "email": format!("p{n}@example.com")},
        "visit": {},
        "origin": {"ip": "203.0.113.7", "ip_truncated": "203.0.113.0", "ip_source": "peer", "location": null},
        "consent": {"choices": {"privacy_policy": true}, "gpc": false},
    }))
    .unwrap()
}

/// Stores submission `n` as the forms component does (record and feed entry in one write).
async fn capture(app: &TestApp, n: usize, at: Timestamp) -> String {
    capture_with(app, n, at, |_| {}).await
}

/// Stores submission `n`, changed by `change`, as the forms component does.
async fn capture_with(
    app: &TestApp,
    n: usize,
    at: Timestamp,
    change: impl FnOnce(&mut Submission),
) -> String {
    let id = shared::ids::new_id();
    let mut record = submission(&id, n);
    change(&mut record);
    let event = Event {
        log: Log::Submissions,
        action: Action::Captured,
        actor: Actor::Visitor {
            ip_truncated: "203.0.113.0".into(),
        },
        detail: Some("contact".into()),
        at,
    };
    app.store()
        .append(RecordKind::Submission, &id, &record, event)
        .await
        .unwrap();
    id
}

/// Stores `count` submissions at once (one feed entry each, in order) and returns their ids.
async fn capture_many(app: &TestApp, count: usize, at: Timestamp) -> Vec<String> {
    let records: Vec<(String, Submission)> = (0..count)
        .map(|n| {
            let id = shared::ids::new_id();
            let record = submission(&id, n);
            (id, record)
        })
        .collect();
    let refs: Vec<(&str, &Submission)> = records.iter().map(|(id, r)| (id.as_str(), r)).collect();
    let event = Event {
        log: Log::Submissions,
        action: Action::Captured,
        actor: Actor::System,
        detail: Some("import".into()),
        at,
    };
    app.store()
        .append_many(RecordKind::Submission, &refs, event)
        .await
        .unwrap();
    records.into_iter().map(|(id, _)| id).collect()
}

/// Stores submission `n` as if it had been captured, and its feed entry written, two minutes ago.
async fn capture_long_ago(app: &TestApp, n: usize) -> String {
    let then = Timestamp::now().plus_seconds(-120);
    let id = capture(app, n, then).await;
    let store = app.store();
    let seq = store.log_head(Log::Submissions).await.unwrap();
    let (_, entry) = store
        .log_entries(Log::Submissions, seq - 1, 1)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let entry = LogEntry {
        written_at: Some(then),
        ..entry.unwrap()
    };
    app.kv()
        .set_many(vec![(
            Key::LogEntry(Log::Submissions, seq).to_string(),
            serde_json::to_vec(&entry).unwrap(),
        )])
        .await
        .unwrap();
    id
}

/// A writer takes the submissions log's next number and has not written its entry (yet): a hole.
async fn take_a_number(app: &TestApp) {
    app.kv()
        .increment(&Key::LogHead(Log::Submissions).to_string(), 1)
        .await
        .unwrap();
}

async fn access_log(app: &TestApp) -> Vec<LogEntry> {
    let store = app.store();
    let head = store.log_head(Log::Access).await.unwrap();
    store
        .log_entries(Log::Access, 0, head)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|(_, entry)| entry)
        .collect()
}

pub(crate) fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_refused(response: &reqwest::Response, status: u16) {
    assert_eq!(response.status(), status);
    if status == 401 {
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
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
    let secret = &key[key.rfind('_').unwrap() + 1..];
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
async fn bad_cursors_and_limits_get_400_and_unsupported_formats_406() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    capture(&app, 1, Timestamp::now()).await;
    for query in [
        "?after=nonsense",
        "?after=c3Vic2NyaWJlcnM6MA", /* an old, base64 cursor */
        "?limit=0",
        "?limit=1001",
        "?limit=x",
    ] {
        assert_refused(&pull(&app, &key, query).await, 400);
    }
    // A cursor past the end names no entry yet.
    let ahead = shared_cursor(99);
    assert_refused(&pull(&app, &key, &format!("?after={ahead}")).await, 404);

    let xml = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/submissions",
        Some(&key),
        &[("accept", "application/xml")],
        None,
    )
    .await;
    assert_refused(&xml, 406);
    assert_refused(&pull(&app, &key, "?format=xml").await, 406);
    assert_eq!(pull(&app, &key, "?format=json").await.status(), 200);
}

/// The cursor after entry `seq` of a feed: its sequence number, in decimal.
fn shared_cursor(seq: u64) -> String {
    seq.to_string()
}

#[tokio::test]
async fn a_cursor_walk_returns_every_submission_once_in_order_and_then_waits() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let captured = capture_many(&app, 2500, Timestamp::now()).await;
    let mut seen = Vec::new();
    let mut query = "?limit=77".to_owned();
    let cursor = loop {
        let page = pull_ok(&app, &key, &query).await;
        let cursor = page["next_cursor"].as_str().unwrap().to_owned();
        let ids = ids(&page);
        if ids.is_empty() {
            break cursor;
        }
        assert!(ids.len() <= 77);
        seen.extend(ids);
        query = format!("?limit=77&after={cursor}");
    };
    assert_eq!(seen, captured);

    // A later capture and a change to an exported record come after the kept cursor, once each.
    let late = capture(&app, 2500, Timestamp::now()).await;
    let event = Event {
        log: Log::Submissions,
        action: Action::Updated,
        actor: Actor::System,
        detail: None,
        at: Timestamp::now(),
    };
    app.store()
        .update(
            RecordKind::Submission,
            &captured[5],
            event,
            |s: &mut Submission| {
                s.contact.name = Some("Changed".into());
                true
            },
        )
        .await
        .unwrap();
    let page = pull_ok(&app, &key, &format!("?after={cursor}")).await;
    assert_eq!(ids(&page), [late, captured[5].clone()]);
    assert_eq!(page["items"][1]["contact"]["name"], "Changed");
}

#[tokio::test]
async fn ips_are_truncated_unless_the_key_has_ip_read() {
    let app = spawn().await;
    capture(&app, 1, Timestamp::now()).await;
    let (_, plain) = create_key(&app, &["leads:read"], None).await;
    let (_, full) = create_key(&app, &["leads:read", "ip:read"], None).await;

    let masked = pull_ok(&app, &plain, "").await;
    assert_eq!(masked["items"][0]["origin"]["ip"], "203.0.113.0");
    assert!(!masked.to_string().contains("203.0.113.7"));
    let unmasked = pull_ok(&app, &full, "").await;
    assert_eq!(unmasked["items"][0]["origin"]["ip"], "203.0.113.7");
    // The store keeps the full address either way.
    let stored = app
        .store()
        .log_entries(Log::Submissions, 0, 1)
        .await
        .unwrap();
    let id = stored[0].1.as_ref().unwrap().record.clone().unwrap();
    let record = app.store().submission(&id).await.unwrap().unwrap();
    assert_eq!(record.origin.ip.as_deref(), Some("203.0.113.7"));
}

#[tokio::test]
async fn every_pull_is_registered_once_with_its_key_range_and_count() {
    let app = spawn().await;
    for n in 0..5 {
        capture(&app, n, Timestamp::now()).await;
    }
    let (id, key) = create_key(&app, &["leads:read"], None).await;
    let before = access_log(&app).await.len();
    let first = pull_ok(&app, &key, "?limit=3").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    pull_ok(&app, &key, &format!("?after={cursor}")).await;

    let register = access_log(&app).await;
    let pulls = &register[before..];
    assert_eq!(pulls.len(), 2);
    for pull in pulls {
        assert_eq!(pull.action, Action::Read);
        assert_eq!(pull.actor, Actor::ApiKey { key_id: id.clone() });
        assert_eq!(pull.record, None);
    }
    assert_eq!(
        pulls[0].detail.as_deref(),
        Some("collection=submissions after=0 to=3 count=3")
    );
    assert_eq!(
        pulls[1].detail.as_deref(),
        Some("collection=submissions after=3 to=5 count=2")
    );
    // A refused pull reads nothing and registers nothing.
    pull(&app, "garbage", "").await;
    assert_eq!(access_log(&app).await.len(), register.len());
}

#[tokio::test]
async fn the_feed_waits_at_a_young_hole_and_steps_over_an_old_one() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let first = capture(&app, 1, Timestamp::now()).await;
    // A writer took number 2 and has not written its entry yet.
    take_a_number(&app).await;
    capture(&app, 3, Timestamp::now()).await;
    let page = pull_ok(&app, &key, "").await;
    assert_eq!(ids(&page), [first]);
    assert_eq!(page["next_cursor"], shared_cursor(1));

    // Another hole, followed by an entry written long after it: the hole is abandoned.
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    take_a_number(&app).await;
    let later = capture_long_ago(&app, 2).await;
    let page = pull_ok(&app, &key, "").await;
    assert_eq!(ids(&page), [later]);
    assert_eq!(page["next_cursor"], shared_cursor(2));
}

#[tokio::test]
async fn ndjson_and_json_pages_of_the_same_records_agree() {
    let app = spawn().await;
    for n in 0..7 {
        capture(&app, n, Timestamp::now()).await;
    }
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let json = pull_ok(&app, &key, "?limit=5").await;

    let response = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/submissions?limit=5",
        Some(&key),
        &[("accept", "application/x-ndjson")],
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let cursor = response.headers()["next-cursor"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(cursor, json["next_cursor"].as_str().unwrap());
    let text = response.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(Value::Array(lines), json["items"]);

    let rest = pull(&app, &key, &format!("?format=ndjson&after={cursor}")).await;
    assert_eq!(rest.text().await.unwrap().lines().count(), 2);
}

#[tokio::test]
async fn subscribers_and_demo_requests_have_their_own_feeds_with_ips_truncated() {
    let app = spawn().await;
    let signup = json!({
        "email": "ada@example.com", "list_events": true, "consent_policy_version": "2026-01",
        "consent_newsletter": true,
    });
    let demo = json!({
        "name": "Grace Hopper", "email": "grace@navy.mil", "company": "Navy Labs",
        "consent_policy_version": "2026-01", "consent_privacy_policy": true,
    });
    assert_eq!(
        app.post_json("/api/newsletter", &signup).await.status(),
        201
    );
    let receipt: Value = app
        .post_json("/api/demo", &demo)
        .await
        .json()
        .await
        .unwrap();
    let (_, key) = create_key(&app, &["leads:read"], None).await;

    let subscribers = pull_ok_of(&app, &key, "subscribers", "").await;
    assert_eq!(subscribers["items"].as_array().unwrap().len(), 1);
    assert_eq!(subscribers["items"][0]["email"], "ada@example.com");
    let demos = pull_ok_of(&app, &key, "demo-requests", "").await;
    assert_eq!(ids(&demos), [receipt["id"].as_str().unwrap()]);
    assert_eq!(demos["items"][0]["status"], "requested");
    // The visitor came from 127.0.0.1: only its /24 network is served.
    assert_eq!(
        subscribers["items"][0]["signed_up"]["origin"]["ip"],
        "127.0.0.0"
    );
    assert_eq!(demos["items"][0]["origin"]["ip"], "127.0.0.0");
    for page in [&subscribers, &demos] {
        assert!(!page.to_string().contains("127.0.0.1"), "{page}");
    }
    // A cursor is a position in its own collection's log: past the end of another's, it names nothing.
    let cursor = demos["next_cursor"].as_str().unwrap();
    let crossed = pull(&app, &key, &format!("?after={cursor}")).await;
    assert_refused(&crossed, 404);
}

/// The submission columns, in their documented order.
const SUBMISSION_HEADER: &str = "id,received_at,form,kind,name,email,company,title,phone,country,\
message,page_url,referrer,utm_source,utm_medium,utm_campaign,utm_term,utm_content,ip,ip_truncated,\
country_code,eu,policy_version,text_hash,consents,gpc,spam,do_not_contact,deleted";

/// A CSV page of `collection`: its status, `next-cursor` header, raw text and parsed rows.
async fn pull_csv(
    app: &TestApp,
    key: &str,
    collection: &str,
    query: &str,
) -> (Option<String>, String, Vec<Vec<String>>) {
    let path = format!("/api/v1/{collection}{query}");
    let response = call(
        app,
        reqwest::Method::GET,
        &path,
        Some(key),
        &[("accept", "text/csv")],
        None,
    )
    .await;
    assert_eq!(response.status(), 200, "csv {path}");
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert!(content_type.contains("charset=utf-8"), "{content_type}");
    let cursor = response
        .headers()
        .get("next-cursor")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let rows = parse_csv(&text);
    (cursor, text, rows)
}

/// An RFC 4180 reader (quoted fields, doubled quotes, CRLF records) for the tests.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "a bare CR ends a line: {text:?}");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a line ends without CR: {text:?}"),
            (false, c) => field.push(c),
        }
    }
    assert!(
        row.is_empty() && field.is_empty(),
        "the last line has no CRLF"
    );
    rows
}

/// A cell without the `'` the API puts before a leading `=`, `+`, `-`, `@`, tab or CR.
fn inert_off(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

/// The cell of `column` in a data row.
fn column<'a>(rows: &'a [Vec<String>], row: usize, name: &str) -> &'a str {
    let at = rows[0].iter().position(|c| c == name).unwrap();
    &rows[row][at]
}

#[tokio::test]
async fn json_ndjson_and_csv_pages_of_the_same_records_agree() {
    let app = spawn().await;
    for n in 0..7 {
        capture(&app, n, Timestamp::now()).await;
    }
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let json = pull_ok(&app, &key, "?limit=5").await;
    let json_ids = ids(&json);
    assert_eq!(json_ids.len(), 5);

    let ndjson = pull(&app, &key, "?limit=5&format=ndjson").await;
    let ndjson_cursor = ndjson.headers()["next-cursor"].to_str().unwrap().to_owned();
    let ndjson_ids: Vec<String> = ndjson
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();

    let (cursor, _, rows) = pull_csv(&app, &key, "submissions", "?limit=5").await;
    // Ids are URL-safe base64, so one may start with `-`: like any such cell it comes prefixed with `'`.
    let csv_ids: Vec<String> = rows[1..].iter().map(|row| inert_off(&row[0])).collect();
    assert_eq!(ndjson_ids, json_ids);
    assert_eq!(csv_ids, json_ids);
    let cursor = cursor.unwrap();
    assert_eq!(cursor, json["next_cursor"].as_str().unwrap());
    assert_eq!(ndjson_cursor, cursor);
    // The cells are the JSON record's fields.
    for (i, item) in json["items"].as_array().unwrap().iter().enumerate() {
        assert_eq!(column(&rows, i + 1, "email"), item["contact"]["email"]);
        assert_eq!(column(&rows, i + 1, "received_at"), item["received_at"]);
        assert_eq!(column(&rows, i + 1, "consents"), "privacy_policy=true");
        assert_eq!(column(&rows, i + 1, "deleted"), "false");
    }

    // The CSV cursor walks on like the others; `format=csv` is the same as `Accept: text/csv`.
    let rest = pull(&app, &key, &format!("?format=csv&after={cursor}")).await;
    assert!(
        rest.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(parse_csv(&rest.text().await.unwrap()).len(), 1 + 2);
}

#[tokio::test]
async fn a_csv_cell_that_starts_like_a_formula_comes_out_inert() {
    let app = spawn().await;
    let id = capture_with(&app, 1, Timestamp::now(), |s| {
        s.contact.message = Some("=HYPERLINK(\"http://x\")".into());
        s.contact.phone = Some("+1 555 0100".into());
        s.contact.company = Some("Acme, \"Inc\"\nEurope".into());
    })
    .await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let (_, text, rows) = pull_csv(&app, &key, "submissions", "").await;
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"http://x\"\")\","),
        "{text}"
    );
    assert!(!text.contains(",=HYPERLINK"), "{text}");
    assert_eq!(inert_off(column(&rows, 1, "id")), id);
    assert_eq!(column(&rows, 1, "message"), "'=HYPERLINK(\"http://x\")");
    assert_eq!(column(&rows, 1, "phone"), "'+1 555 0100");
    assert_eq!(column(&rows, 1, "company"), "Acme, \"Inc\"\nEurope");
}

#[tokio::test]
async fn csv_ips_are_masked_unless_the_key_has_ip_read() {
    let app = spawn().await;
    capture(&app, 1, Timestamp::now()).await;
    let (_, plain) = create_key(&app, &["leads:read"], None).await;
    let (_, full) = create_key(&app, &["leads:read", "ip:read"], None).await;

    let (_, text, rows) = pull_csv(&app, &plain, "submissions", "").await;
    assert_eq!(column(&rows, 1, "ip"), "203.0.113.0");
    assert_eq!(column(&rows, 1, "ip_truncated"), "203.0.113.0");
    assert!(!text.contains("203.0.113.7"), "{text}");
    let (_, _, rows) = pull_csv(&app, &full, "submissions", "").await;
    assert_eq!(column(&rows, 1, "ip"), "203.0.113.7");
}

#[tokio::test]
async fn every_csv_page_has_a_header_row_in_the_documented_column_order() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    // Even an empty page has its header.
    let (_, text, _) = pull_csv(&app, &key, "submissions", "").await;
    assert_eq!(text, format!("{SUBMISSION_HEADER}\r\n"));

    capture(&app, 1, Timestamp::now()).await;
    let (_, text, rows) = pull_csv(&app, &key, "submissions", "").await;
    assert!(text.starts_with(&format!("{SUBMISSION_HEADER}\r\n")));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].len(), rows[0].len());
    assert_eq!(column(&rows, 1, "form"), "contact");
    assert_eq!(column(&rows, 1, "name"), "Person 1");

    // Subscribers and demo requests have their own columns, masked alike.
    let signup = json!({
        "email": "ada@example.com", "list_events": true, "consent_policy_version": "2026-01",
        "consent_newsletter": true,
    });
    let demo = json!({
        "name": "Grace Hopper", "email": "grace@navy.mil", "company": "Navy Labs",
        "consent_policy_version": "2026-01", "consent_privacy_policy": true,
    });
    assert_eq!(
        app.post_json("/api/newsletter", &signup).await.status(),
        201
    );
    assert!(
        app.post_json("/api/demo", &demo)
            .await
            .status()
            .is_success()
    );
    let (_, text, rows) = pull_csv(&app, &key, "subscribers", "").await;
    assert_eq!(
        text.split("\r\n").next().unwrap(),
        "id,email,name,lists,status,signed_up_at,confirmed_at,unsubscribed_at,page_url,referrer,\
utm_source,utm_medium,utm_campaign,utm_term,utm_content,ip,ip_truncated,country_code,eu,\
policy_version,text_hash,consents,gpc,spam,deleted"
    );
    assert_eq!(column(&rows, 1, "email"), "ada@example.com");
    assert_eq!(column(&rows, 1, "ip"), "127.0.0.0");
    let (_, text, rows) = pull_csv(&app, &key, "demo-requests", "").await;
    assert_eq!(
        text.split("\r\n").next().unwrap(),
        "id,received_at,status,name,email,company,title,phone,country,message,preferred_time,\
free_mail,page_url,referrer,utm_source,utm_medium,utm_campaign,utm_term,utm_content,ip,\
ip_truncated,country_code,eu,policy_version,text_hash,consents,gpc,spam,do_not_contact,deleted"
    );
    assert_eq!(column(&rows, 1, "company"), "Navy Labs");
    assert_eq!(column(&rows, 1, "status"), "requested");
    assert_eq!(column(&rows, 1, "ip"), "127.0.0.0");
}

/// A GET of `path` with `key` and extra headers.
pub(crate) async fn get_with(
    app: &TestApp,
    key: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    call(app, reqwest::Method::GET, path, Some(key), headers, None).await
}

/// The lines of an NDJSON body.
fn ndjson_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn limit_all_streams_the_whole_feed_as_ndjson_and_csv_with_the_end_cursor_up_front() {
    let app = spawn().await;
    let captured = capture_many(&app, 700, Timestamp::now()).await;
    let (id, key) = create_key(&app, &["leads:read"], None).await;
    let before = access_log(&app).await.len();

    let response = get_with(
        &app,
        &key,
        "/api/v1/submissions?limit=all&format=ndjson",
        &[],
    )
    .await;
    assert_eq!(response.status(), 200);
    let cursor = response.headers()["next-cursor"]
        .to_str()
        .unwrap()
        .to_owned();
    let lines = ndjson_lines(&response.text().await.unwrap());
    let streamed: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(streamed, captured);
    // Without ip:read, the stream masks as the pages do.
    assert_eq!(lines[0]["origin"]["ip"], "203.0.113.0");
    // The same records as JSON pages, item for item, and the same end.
    let mut paged = Vec::new();
    let mut query = "?limit=1000".to_owned();
    let end = loop {
        let page = pull_ok(&app, &key, &query).await;
        let next = page["next_cursor"].as_str().unwrap().to_owned();
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break next;
        }
        paged.extend(items);
        query = format!("?limit=1000&after={next}");
    };
    assert_eq!(lines, paged);
    assert_eq!(cursor, end);

    let csv = get_with(
        &app,
        &key,
        "/api/v1/submissions?limit=all",
        &[("accept", "text/csv")],
    )
    .await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()["next-cursor"].to_str().unwrap(), cursor);
    let rows = parse_csv(&csv.text().await.unwrap());
    assert_eq!(rows.len(), 701, "a header row and one row per record");
    let ids: Vec<String> = rows[1..].iter().map(|r| inert_off(&r[0])).collect();
    assert_eq!(ids, captured);

    // Nothing after the end; each export registered when it began and when it ended, with its count.
    let rest = pull_ok(&app, &key, &format!("?after={cursor}")).await;
    assert!(rest["items"].as_array().unwrap().is_empty());
    let register = access_log(&app).await;
    let details: Vec<&str> = register[before..]
        .iter()
        .filter(|e| e.actor == Actor::ApiKey { key_id: id.clone() })
        .filter_map(|e| e.detail.as_deref())
        .filter(|d| d.contains("stream="))
        .collect();
    assert_eq!(
        details,
        [
            "collection=submissions after=0 to=700 stream=started",
            "collection=submissions after=0 to=700 count=700 stream=complete",
            "collection=submissions after=0 to=700 stream=started",
            "collection=submissions after=0 to=700 count=700 stream=complete",
        ]
    );
}

#[tokio::test]
async fn limit_all_as_json_streams_one_page_with_every_item_and_the_next_cursor() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let empty: Value = pull(&app, &key, "?limit=all").await.json().await.unwrap();
    assert_eq!(empty, json!({"items": [], "next_cursor": "0"}));
    let captured = capture_many(&app, 300, Timestamp::now()).await;
    let response = pull(&app, &key, "?limit=all&format=json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let page: Value = response.json().await.unwrap();
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), captured.len());
    assert_eq!(page["next_cursor"], shared_cursor(300));
}

#[tokio::test]
async fn a_stream_waits_for_an_entry_whose_writer_is_still_writing() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let first = capture(&app, 1, Timestamp::now()).await;
    // A writer has taken number 2 and writes its record and entry only 300 ms into the export.
    take_a_number(&app).await;
    let third = capture(&app, 3, Timestamp::now()).await;
    let late_id = shared::ids::new_id();
    let kv = app.kv();
    let late = late_id.clone();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let entry = LogEntry {
            v: 1,
            seq: 2,
            at: Timestamp::now(),
            action: Action::Captured,
            record: Some(late.clone()),
            actor: Actor::System,
            detail: None,
            revision: None,
            pending: false,
            written_at: None,
        };
        kv.set_many(vec![
            (
                Key::Record(RecordKind::Submission, &late).to_string(),
                serde_json::to_vec(&submission(&late, 2)).unwrap(),
            ),
            (
                Key::LogEntry(Log::Submissions, 2).to_string(),
                serde_json::to_vec(&entry).unwrap(),
            ),
        ])
        .await
        .unwrap();
    });
    let response = pull(&app, &key, "?limit=all&format=ndjson").await;
    writer.await.unwrap();
    let lines = ndjson_lines(&response.text().await.unwrap());
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.as_str(), late_id.as_str(), third.as_str()]);
}

#[tokio::test]
async fn a_stream_steps_over_a_hole_left_long_ago() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    take_a_number(&app).await;
    let later = capture_long_ago(&app, 2).await;
    let response = pull(&app, &key, "?limit=all&format=ndjson").await;
    assert_eq!(response.headers()["next-cursor"], shared_cursor(2));
    let lines = ndjson_lines(&response.text().await.unwrap());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], later.as_str());
}

/// The first JSON page of `collection` for a key with `scope`, after checking that a `leads:read` key is
/// refused it; answers the key and the page.
async fn first_page_with_its_scope_only(
    app: &TestApp,
    collection: &str,
    scope: &str,
) -> (String, Value) {
    let (_, leads) = create_key(app, &["leads:read"], None).await;
    let (_, key) = create_key(app, &[scope], None).await;
    let path = format!("/api/v1/{collection}");
    assert_refused(&get_with(app, &leads, &path, &[]).await, 403);
    let page = pull_ok_of(app, &key, collection, "").await;
    (key, page)
}

/// A cookie-consent decision posted as the banner posts it; answers the consent id.
async fn decide(app: &TestApp, method: &str, decisions: Value, id: Option<&str>) -> String {
    let config: Value = app.get("/api/consent/config").await.json().await.unwrap();
    let mut body = json!({
        "decisions": decisions,
        "banner_version": config["banner_version"],
        "text_hash": config["text_hash"],
        "locale": "en",
        "method": method,
    });
    if let Some(id) = id {
        body["consent_id"] = json!(id);
    }
    let response = app.post_json("/api/consent", &body).await;
    assert!(response.status().is_success(), "{}", response.status());
    let receipt: Value = response.json().await.unwrap();
    receipt["consent_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_consents_feed_lists_every_decision_in_order_under_its_consent_id() {
    let app = spawn().await;
    let first = decide(&app, "reject_all", json!({}), None).await;
    let other = decide(&app, "accept_all", json!({}), None).await;
    decide(&app, "custom", json!({"analytics": true}), Some(&first)).await;
    let (key, page) = first_page_with_its_scope_only(&app, "consents", "consents:read").await;
    let items = page["items"].as_array().unwrap();
    let seen: Vec<(&str, u64)> = items
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["n"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            (first.as_str(), 1),
            (other.as_str(), 1),
            (first.as_str(), 2)
        ]
    );
    assert_eq!(items[2]["decisions"]["analytics"], true);
    assert_eq!(items[2]["method"], "custom");
    let history = app.store().consent_history(&first).await.unwrap();
    assert_eq!(
        serde_json::to_value(&history[0]).unwrap()["n"],
        items[2]["n"]
    );

    let csv = get_with(&app, &key, "/api/v1/consents?format=csv", &[]).await;
    let rows = parse_csv(&csv.text().await.unwrap());
    assert_eq!(
        rows[0].join(","),
        "id,n,at,expires_at,method,decisions,gpc,gpc_refused,banner_version,text_hash,locale,\
page_url,ip_truncated,country_code,deleted"
    );
    assert_eq!(rows.len(), 4);
    assert!(column(&rows, 3, "decisions").contains("analytics=true"));
}

#[tokio::test]
async fn the_opt_outs_feed_lists_the_registry_by_pseudonym_only() {
    let app = spawn().await;
    let recorded = app
        .post_json("/api/opt-out/phone", &json!({"phone": "+31 20 123 4567"}))
        .await;
    assert_eq!(recorded.status(), 201);
    let (_, page) = first_page_with_its_scope_only(&app, "opt-outs", "opt-outs:read").await;
    let pseudonym = test_settings().pseudonym("+31201234567");
    assert_eq!(
        page["items"][0]["id"],
        Channel::Phone.opt_out_id(&pseudonym)
    );
    assert_eq!(page["items"][0]["channel"], "phone");
    assert_eq!(page["items"][0]["source"], "do_not_call_request");
    assert!(!page.to_string().contains("1234567"), "{page}");
}

#[tokio::test]
async fn the_suppression_check_answers_which_addresses_and_numbers_are_opted_out() {
    let app = spawn().await;
    let settings = test_settings();
    let at = Timestamp::now();
    app.store()
        .opt_out(
            Channel::Email,
            &settings.pseudonym("ada@example.com"),
            OptOutSource::UnsubscribeLink,
            Actor::System,
            at,
        )
        .await
        .unwrap();
    let phone = app
        .post_json("/api/opt-out/phone", &json!({"phone": "+31 20 123 4567"}))
        .await;
    assert_eq!(phone.status(), 201);
    let (id, key) = create_key(&app, &["opt-outs:read"], None).await;
    let (_, leads) = create_key(&app, &["leads:read"], None).await;
    let body = json!({
        "emails": ["Ada@EXAMPLE.com", "grace@example.com", "not an email"],
        "phones": ["0031 20 1234567", "+44 20 7946 0018", "call me"],
    });
    let check = async |key: &str| {
        call(
            &app,
            reqwest::Method::POST,
            "/api/v1/opt-outs/check",
            Some(key),
            &[],
            Some(&body),
        )
        .await
    };

    assert_refused(&check(&leads).await, 403);
    let response = check(&key).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let opted = |list: &str| -> Vec<bool> {
        answer[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["opted_out"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(opted("emails"), [true, false, false]);
    assert_eq!(opted("phones"), [true, false, false]);
    assert_eq!(answer["emails"][0]["input"], "Ada@EXAMPLE.com");
    assert_eq!(answer["emails"][0]["normalized"], "ada@example.com");
    assert_eq!(answer["emails"][0]["since"], json!(at));
    assert_eq!(answer["emails"][2]["error"], "invalid_email");
    assert_eq!(answer["phones"][0]["normalized"], "+31201234567");
    assert_eq!(answer["phones"][2]["error"], "invalid_phone");

    let register = access_log(&app).await;
    let last = register.last().unwrap();
    assert_eq!(last.actor, Actor::ApiKey { key_id: id });
    assert_eq!(
        last.detail.as_deref(),
        Some("opt-outs check emails=3 phones=3 matched=2")
    );

    // Not a list of strings, an unknown field, too many entries: 422 naming the field.
    for (bad, field) in [
        (json!({"emails": "ada@example.com"}), "emails"),
        (json!({"phones": [42]}), "phones"),
        (json!({"names": []}), "names"),
        (json!({"emails": vec!["a@example.com"; 1001]}), "emails"),
    ] {
        let response = call(
            &app,
            reqwest::Method::POST,
            "/api/v1/opt-outs/check",
            Some(&key),
            &[],
            Some(&bad),
        )
        .await;
        assert_eq!(invalid_fields(response).await, [field], "{bad}");
    }
}

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

/// One JSON page of `collection`.
async fn pull_ok_of(app: &TestApp, key: &str, collection: &str, query: &str) -> Value {
    let response = get_with(app, key, &format!("/api/v1/{collection}{query}"), &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_openapi_document_reflects_the_configured_forms_lists_banner_and_optional_parts() {
    let app = TestApp::spawn_with(|vars| {
        vars.set(
            "forms",
            r#"
            [survey]
            kind = "content_download"
            fields = ["email", "country"]
            required = ["email"]
            consents = ["privacy_policy"]
            required_consents = ["privacy_policy"]
            thank_you = "http://127.0.0.1:3000/thanks.html"
            "#,
        )
        .set("newsletter_lists", "weekly,launches");
    })
    .await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/forms/survey"));
    assert!(paths.contains_key("/api/forms/survey/token"));
    for absent in ["/api/forms/contact", "/api/forms/{form}", "/api/v1/keys"] {
        assert!(!paths.contains_key(absent), "{absent} is documented");
    }
    assert!(
        !paths.keys().any(|p| p.starts_with("/api/v1/register/")),
        "the register is documented although it is not signed"
    );
    let form = &doc["components"]["schemas"]["Form-survey"];
    assert_eq!(form["additionalProperties"], false);
    let mut required: Vec<&str> = form["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    required.sort();
    assert_eq!(
        required,
        ["consent_policy_version", "consent_privacy_policy", "email"]
    );
    let fields = form["properties"].as_object().unwrap();
    assert!(fields.contains_key("country") && !fields.contains_key("name"));
    let signup = &doc["components"]["schemas"]["NewsletterSignupRequest"]["properties"];
    assert!(signup.get("list_weekly").is_some() && signup.get("list_launches").is_some());
    assert!(signup.get("list_product-news").is_none());
    let decision = &doc["components"]["schemas"]["ConsentDecisionRequest"];
    let version = decision["properties"]["banner_version"]["pattern"]
        .as_str()
        .unwrap();
    assert!(version.contains("2026-11"), "{version}");
    let opened = spawn().await;
    let opened = opened.document().await.value();
    assert!(opened["paths"].get("/api/v1/keys").is_some());
}

#[tokio::test]
async fn every_documented_path_answers_a_method_it_does_not_take_with_405_naming_its_methods() {
    let template: Value = serde_json::from_str(shared::openapi::TEMPLATE).unwrap();
    let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    let mut written: Vec<(String, String)> = template["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, operations)| {
            let mut methods: Vec<String> = operations
                .as_object()
                .unwrap()
                .keys()
                .map(|m| m.to_ascii_uppercase())
                .filter(|m| order.contains(&m.as_str()))
                .collect();
            methods.sort_by_key(|m| order.iter().position(|o| o == m));
            (path.clone(), methods.join(", "))
        })
        .collect();
    let mut table: Vec<(String, String)> = shared::routes::all()
        .iter()
        .map(|(p, m)| (p.to_string(), m.to_string()))
        .collect();
    written.sort();
    table.sort();
    assert_eq!(
        table, written,
        "shared::routes and the OpenAPI document disagree"
    );
    let app = TestApp::spawn_with(|vars| {
        vars.set("admin_api_key", ADMIN_KEY)
            .set("register_signing_key", "7".repeat(64));
    })
    .await;
    for (path, methods) in &written {
        let path = path
            .replace("{form}", "contact")
            .replace("{token}", "not-a-token")
            .replace("{level}", "0")
            .replace("{index}", "000")
            .replace("{id}", "AAAAAAAAAAAAAAAAAAAAAA");
        let trace = reqwest::Method::from_bytes(b"TRACE").unwrap();
        let response = app.send(app.client.request(trace, app.url(&path))).await;
        assert_eq!(response.status(), 405, "TRACE {path}");
        assert_eq!(
            response.headers()["allow"],
            methods.as_str(),
            "TRACE {path}"
        );
    }
}

#[tokio::test]
async fn every_route_in_spin_toml_is_documented() {
    let manifest = ::host::manifest::Manifest::load(&crate::harness::project_manifest()).unwrap();
    let app = spawn().await;
    let paths: Vec<&String> = app.document().await.value()["paths"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    for trigger in &manifest.http_triggers {
        let prefix = trigger.route.trim_end_matches("...");
        let covered = paths.iter().any(|p| {
            if prefix.ends_with('/') {
                p.starts_with(prefix) || format!("{p}/") == prefix
            } else {
                p.as_str() == prefix
            }
        });
        assert!(
            covered,
            "route {} of {} is not documented",
            trigger.route, trigger.component
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_answered_by_its_route() {
    let app = spawn().await;
    let doc = app.document().await.value();
    for (template, operations) in doc["paths"].as_object().unwrap() {
        let path = template
            .replace("{token}", "not-a-token")
            .replace("{id}", "AAAAAAAAAAAAAAAAAAAAAA");
        for (method, operation) in operations.as_object().unwrap() {
            let Ok(method) = method.to_ascii_uppercase().parse::<reqwest::Method>() else {
                continue;
            };
            // Sent through the harness, so the answer is also held to the document.
            let response = app
                .send(app.client.request(method.clone(), app.url(&path)))
                .await;
            let status = response.status().as_u16();
            assert_ne!(
                status, 405,
                "{method} {template} is documented but not routed"
            );
            if status == 404 {
                assert!(
                    operation["responses"].get("404").is_some(),
                    "{method} {template} answered 404"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_contract_refuses_a_response_that_breaks_its_schema() {
    let app = spawn().await;
    let doc = app.document().await;
    let check = |status, headers: &'static [&'static str], body: Value| {
        let body = serde_json::to_vec(&body).unwrap();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let json = Some("application/json");
            crate::contract::check(
                doc,
                "GET",
                "/api/v1/submissions",
                status,
                headers,
                json,
                &body,
            )
        }))
    };
    let wrong_item = json!({"items": [{"id": 7}], "next_cursor": "x"});
    assert!(
        check(200, &[], wrong_item).is_err(),
        "a wrong item type must fail"
    );
    assert!(
        check(418, &[], json!({})).is_err(),
        "an undocumented status must fail"
    );
    let unauthorized = json!({"error": {"code": "unauthorized", "message": "m"}});
    assert!(
        check(401, &[], unauthorized.clone()).is_err(),
        "a 401 without WWW-Authenticate must fail"
    );
    assert!(check(401, &["www-authenticate"], unauthorized).is_ok());
    assert!(check(200, &[], json!({"items": [], "next_cursor": "x"})).is_ok());
}

#[tokio::test]
async fn an_erased_record_comes_after_the_cursor_as_a_tombstone_in_every_format() {
    let app = spawn().await;
    let kept = capture(&app, 1, Timestamp::now()).await;
    let erased = capture(&app, 2, Timestamp::now()).await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let cursor = pull_ok(&app, &key, "").await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = Event {
        log: Log::Submissions,
        action: Action::Erased,
        actor: Actor::System,
        detail: Some("erasure request".into()),
        at: Timestamp::now(),
    };
    app.store()
        .erase(RecordKind::Submission, &erased, event)
        .await
        .unwrap();

    let page = pull_ok(&app, &key, &format!("?after={cursor}")).await;
    assert_eq!(page["items"], json!([{"id": erased, "deleted": true}]));
    let all = pull(&app, &key, "?limit=all&format=ndjson").await;
    let lines = ndjson_lines(&all.text().await.unwrap());
    assert_eq!(lines[0]["id"], kept.as_str());
    assert_eq!(lines[1], json!({"id": erased, "deleted": true}));
    let (_, _, rows) = pull_csv(&app, &key, "submissions", &format!("?after={cursor}")).await;
    assert_eq!(inert_off(column(&rows, 1, "id")), erased);
    assert_eq!(column(&rows, 1, "deleted"), "true");
    assert_eq!(column(&rows, 1, "email"), "");
}

/// Writes log entry `seq` of the submissions log naming submission `id`, `pending` or final, as a
/// writer in the middle of a change does.
async fn write_entry(app: &TestApp, seq: u64, id: &str, pending: bool) {
    let entry = LogEntry {
        v: 1,
        seq,
        at: Timestamp::now(),
        action: Action::Updated,
        record: Some(id.to_owned()),
        actor: Actor::System,
        detail: None,
        revision: None,
        pending,
        written_at: None,
    };
    app.kv()
        .set_many(vec![(
            Key::LogEntry(Log::Submissions, seq).to_string(),
            serde_json::to_vec(&entry).unwrap(),
        )])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_change_still_landing_holds_the_feed_until_it_has_landed() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let id = capture(&app, 1, Timestamp::now()).await;
    // A change to the record has written its entry (number 2) as pending and not yet swapped the record.
    take_a_number(&app).await;
    write_entry(&app, 2, &id, true).await;
    let page = pull_ok(&app, &key, "").await;
    assert_eq!(
        page["next_cursor"],
        shared_cursor(1),
        "the page stops before the pending entry"
    );

    // A stream waits for it: the change lands 300 ms in, and the stream carries the new state.
    let store = app.store();
    let landing = {
        let (app_kv, id) = (app.kv(), id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut record = submission(&id, 1);
            record.contact.name = Some("Changed".into());
            app_kv
                .set_many(vec![(
                    Key::Record(RecordKind::Submission, &id).to_string(),
                    serde_json::to_vec(&record).unwrap(),
                )])
                .await
                .unwrap();
        })
    };
    let finishing = async {
        landing.await.unwrap();
        write_entry(&app, 2, &id, false).await;
    };
    let (response, ()) = tokio::join!(pull(&app, &key, "?limit=all&format=ndjson"), finishing);
    assert_eq!(response.headers()["next-cursor"], shared_cursor(2));
    let lines = ndjson_lines(&response.text().await.unwrap());
    assert_eq!(lines.last().unwrap()["contact"]["name"], "Changed");
    assert_eq!(store.log_head(Log::Submissions).await.unwrap(), 2);
}

#[tokio::test]
async fn an_entry_naming_a_record_that_never_existed_is_no_tombstone() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["opt-outs:read"], None).await;
    // A bot's do-not-call request is registered without creating an opt-out.
    let event = Event {
        log: Log::OptOuts,
        action: Action::CapturedAsSpam,
        actor: Actor::System,
        detail: None,
        at: Timestamp::now(),
    };
    let never = Channel::Phone.opt_out_id(&test_settings().pseudonym("+31201234567"));
    app.store().note(&never, event).await.unwrap();
    let page: Value = get_with(&app, &key, "/api/v1/opt-outs", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"], json!([]));
    assert_ne!(page["next_cursor"], json!(null));
}

#[tokio::test]
async fn a_run_of_holes_longer_than_a_page_is_stepped_over_once_a_later_entry_is_old() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    // An import reserved 300 numbers and died before writing them; later a submission came in.
    app.kv()
        .increment(&Key::LogHead(Log::Submissions).to_string(), 300)
        .await
        .unwrap();
    let later = capture_long_ago(&app, 1).await;
    let mut query = "?limit=100".to_owned();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let page = pull_ok(&app, &key, &query).await;
        seen.extend(ids(&page));
        query = format!("?limit=100&after={}", page["next_cursor"].as_str().unwrap());
    }
    assert_eq!(seen, [later.as_str()]);
    // A stream steps over them at once.
    let stream = pull(&app, &key, "?limit=all&format=ndjson").await;
    let lines = ndjson_lines(&stream.text().await.unwrap());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], later.as_str());
}

#[tokio::test]
async fn a_stream_ends_before_holes_at_the_top_of_the_log() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let first = capture(&app, 1, Timestamp::now()).await;
    take_a_number(&app).await;
    let stream = pull(&app, &key, "?limit=all&format=ndjson").await;
    assert_eq!(stream.headers()["next-cursor"], shared_cursor(1));
    let lines = ndjson_lines(&stream.text().await.unwrap());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], first.as_str());
}

#[tokio::test]
async fn revoking_a_key_breaks_its_export_under_way() {
    let app = spawn().await;
    capture_many(&app, 30_000, Timestamp::now()).await;
    let (id, key) = create_key(&app, &["leads:read"], None).await;
    // Sent without the contract check, which would read the whole body before the revocation.
    let response = app
        .client
        .get(app.url("/api/v1/submissions?limit=all&format=ndjson"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let revoked = call(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/keys/{id}"),
        Some(ADMIN_KEY),
        &[],
        None,
    )
    .await;
    assert_eq!(revoked.status(), 204);
    assert!(
        response.text().await.is_err(),
        "the export must break, not end as if complete"
    );
    let stopped = access_log(&app)
        .await
        .into_iter()
        .filter_map(|e| e.detail)
        .any(|d| d.contains("stream=stopped-key-invalid"));
    assert!(stopped, "the stop is registered");
}

#[tokio::test]
async fn an_erasure_followed_by_a_late_entry_for_the_same_record_still_gives_its_tombstone() {
    let app = spawn().await;
    let id = capture(&app, 1, Timestamp::now()).await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let cursor = pull_ok(&app, &key, "").await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = |action| Event {
        log: Log::Submissions,
        action,
        actor: Actor::System,
        detail: None,
        at: Timestamp::now(),
    };
    let store = app.store();
    store
        .erase(RecordKind::Submission, &id, event(Action::Erased))
        .await
        .unwrap();
    // A change that read the record before the erasure finishes after it, and finds it gone.
    let late = store
        .update(
            RecordKind::Submission,
            &id,
            event(Action::Updated),
            |_: &mut Submission| true,
        )
        .await
        .unwrap();
    assert_eq!(late, shared::store::Updated::Missing);
    store.note(&id, event(Action::Updated)).await.unwrap();

    let page = pull_ok(&app, &key, &format!("?after={cursor}")).await;
    assert_eq!(page["items"], json!([{"id": id, "deleted": true}]));
}
