//! What the marketing API's tests share: the app with an admin key, keyed calls, stored submissions, the
//! register, and readers of pages (ids, CSV, NDJSON).

use crate::harness::TestApp;
use serde_json::{Value, json};
use shared::records::{Action, Actor, LogEntry, Submission};
use shared::store::{Event, Log, RecordKind};
use shared::time::Timestamp;

pub(crate) const ADMIN_KEY: &str = "admin-key-0123456789abcdef0123456789abcdef";

pub(super) async fn spawn() -> TestApp {
    TestApp::spawn_with(|vars| {
        vars.set("admin_api_key", ADMIN_KEY)
            .set("signup_min_seconds", "0");
    })
    .await
}

/// A request with `Authorization: Bearer {token}` (none for `None`) and extra headers.
pub(super) async fn call(
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

pub(super) async fn admin_post(app: &TestApp, body: &Value) -> reqwest::Response {
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

pub(super) async fn pull(app: &TestApp, key: &str, query: &str) -> reqwest::Response {
    let path = format!("/api/v1/submissions{query}");
    call(app, reqwest::Method::GET, &path, Some(key), &[], None).await
}

pub(crate) async fn pull_ok(app: &TestApp, key: &str, query: &str) -> Value {
    let response = pull(app, key, query).await;
    assert_eq!(response.status(), 200, "pull {query}");
    response.json().await.unwrap()
}

pub(super) fn submission(id: &str, n: usize) -> Submission {
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
pub(super) async fn capture(app: &TestApp, n: usize, at: Timestamp) -> String {
    capture_with(app, n, at, |_| {}).await
}

/// Stores submission `n`, changed by `change`, as the forms component does.
pub(super) async fn capture_with(
    app: &TestApp,
    n: usize,
    at: Timestamp,
    change: impl FnOnce(&mut Submission),
) -> String {
    let id = shared::ids::new_id();
    let mut record = submission(&id, n);
    change(&mut record);
    let event = Event::by(
        Actor::Visitor {
            ip_truncated: "203.0.113.0".into(),
        },
        Log::Submissions,
        Action::Captured,
        Some("contact".into()),
        at,
    );
    app.store()
        .append(RecordKind::Submission, &id, &record, event)
        .await
        .unwrap();
    id
}

/// Stores `count` submissions at once (one feed entry each, in order) and returns their ids.
pub(super) async fn capture_many(app: &TestApp, count: usize, at: Timestamp) -> Vec<String> {
    let records: Vec<(String, Submission)> = (0..count)
        .map(|n| {
            let id = shared::ids::new_id();
            let record = submission(&id, n);
            (id, record)
        })
        .collect();
    let refs: Vec<(&str, &Submission)> = records.iter().map(|(id, r)| (id.as_str(), r)).collect();
    let event = Event::system(Log::Submissions, Action::Captured, "import".into(), at);
    app.store()
        .append_many(RecordKind::Submission, &refs, event)
        .await
        .unwrap();
    records.into_iter().map(|(id, _)| id).collect()
}

pub(super) async fn access_log(app: &TestApp) -> Vec<LogEntry> {
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

pub(super) fn assert_refused(response: &reqwest::Response, status: u16) {
    assert_eq!(response.status(), status);
    if status == 401 {
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
}

/// The cursor after entry `seq` of a feed: its sequence number, in decimal.
pub(super) fn shared_cursor(seq: u64) -> String {
    seq.to_string()
}

/// A CSV page of `collection`: its status, `next-cursor` header, raw text and parsed rows.
pub(super) async fn pull_csv(
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
pub(super) fn parse_csv(text: &str) -> Vec<Vec<String>> {
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
pub(super) fn inert_off(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_owned(),
        _ => cell.to_owned(),
    }
}

/// The cell of `column` in a data row.
pub(super) fn column<'a>(rows: &'a [Vec<String>], row: usize, name: &str) -> &'a str {
    let at = rows[0].iter().position(|c| c == name).unwrap();
    &rows[row][at]
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
pub(super) fn ndjson_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// One JSON page of `collection`.
pub(super) async fn pull_ok_of(app: &TestApp, key: &str, collection: &str, query: &str) -> Value {
    let response = get_with(app, key, &format!("/api/v1/{collection}{query}"), &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}
