//! The whole-feed export (`limit=all`): streamed as NDJSON, CSV or one JSON page, registered when it
//! begins and ends, and broken off when its key is revoked.

use super::support::{
    ADMIN_KEY, access_log, call, capture_many, create_key, get_with, inert_off, ndjson_lines,
    parse_csv, pull, pull_ok, shared_cursor, spawn,
};
use serde_json::{Value, json};
use shared::records::Actor;
use shared::time::Timestamp;

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
