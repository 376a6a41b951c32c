//! Several instances, one store: two apps (as two Spin processes) on one Redis server, a store that goes
//! away, and a store moved from SQLite to Redis.

use crate::forms::support::contact;
use crate::harness::{TestApp, project_manifest, redis_server};
use crate::jobs::{JOBS_TOKEN, run};
use crate::mailer::{PROVIDER_TOKEN, Provider};
use crate::marketing_api::demo_status::{request_demo, set_status};
use crate::marketing_api::support::{ADMIN_KEY, create_key, get_with, ids, pull_ok};
use crate::signups::signup;
use ::host::kv::copy::sqlite_to_redis;
use ::host::kv::{Location, RedisServer};
use futures::future::join_all;
use serde_json::{Value, json};
use shared::store::{Log, RecordKind};
use std::collections::HashSet;
use std::time::Duration;

/// The project app on `location`, with what these tests need set.
async fn instance(location: Location, provider: Option<&Provider>) -> TestApp {
    let url = provider.map(|p| p.url.clone()).unwrap_or_default();
    let app = TestApp::builder(&project_manifest(), |vars| {
        vars.set("admin_api_key", ADMIN_KEY)
            .set("jobs_token", JOBS_TOKEN)
            .set("mail_api_url", url)
            .set("mail_api_token", PROVIDER_TOKEN)
            .set("signup_min_seconds", "0")
            .set("rate_limit", "5000/600");
    })
    .store_at(location)
    .build()
    .expect("the app builds");
    let address = app
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .expect("the app serves");
    TestApp::from_app(app, address)
}

async fn two_instances(server: &RedisServer, provider: Option<&Provider>) -> [TestApp; 2] {
    [
        instance(Location::Redis(server.url()), provider).await,
        instance(Location::Redis(server.url()), provider).await,
    ]
}

#[tokio::test]
async fn a_thousand_concurrent_submissions_over_two_instances_are_each_stored_once_and_walked_once()
{
    let Some(server) = redis_server() else { return };
    let apps = two_instances(&server, None).await;
    let posts = (0..1000).map(|i| {
        let mut body = contact();
        body["message"] = json!(format!("message {i}"));
        let app = &apps[i % 2];
        // A 503 (the store did not answer within its deadline on a loaded machine) stored nothing and
        // says to retry: the client does, and the checks below still see each submission once.
        async move {
            let mut tries = 0;
            loop {
                let response = app.post_json("/api/forms/contact", &body).await;
                tries += 1;
                if response.status() != 503 || tries == 3 {
                    return response;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    });
    let mut receipts = Vec::new();
    for response in join_all(posts).await {
        assert_eq!(response.status(), 201);
        let receipt: Value = response.json().await.unwrap();
        receipts.push(receipt["id"].as_str().unwrap().to_owned());
    }
    let unique: HashSet<&String> = receipts.iter().collect();
    assert_eq!(unique.len(), 1000);

    // A cursor walk, alternating between the instances, returns each submission exactly once.
    let (_, key) = create_key(&apps[0], &["leads:read"], None).await;
    let mut walked = Vec::new();
    let mut query = "?limit=64".to_owned();
    for page in 0.. {
        let page = pull_ok(&apps[page % 2], &key, &query).await;
        let found = ids(&page);
        if found.is_empty() {
            break;
        }
        walked.extend(found);
        let cursor = page["next_cursor"].as_str().unwrap();
        query = format!("?limit=64&after={cursor}");
    }
    assert_eq!(walked.len(), 1000, "no submission twice");
    assert_eq!(
        walked.iter().collect::<HashSet<_>>(),
        unique,
        "none missing"
    );
}

#[tokio::test]
async fn of_fifty_concurrent_changes_with_one_etag_over_two_instances_exactly_one_succeeds() {
    let Some(server) = redis_server() else { return };
    let apps = two_instances(&server, None).await;
    let id = request_demo(&apps[0]).await;
    let (_, key) = create_key(&apps[1], &["leads:read", "demo-requests:write"], None).await;
    let shown = get_with(&apps[1], &key, &format!("/api/v1/demo-requests/{id}"), &[]).await;
    assert_eq!(shown.status(), 200);
    let etag = shown.headers()["etag"].to_str().unwrap().to_owned();

    let changes = (0..50).map(|i| {
        let status = if i % 2 == 0 { "contacted" } else { "scheduled" };
        let (app, key, id, etag) = (&apps[i % 2], &key, &id, &etag);
        async move { set_status(app, key, id, Some(etag), &json!({"status": status})).await }
    });
    let statuses: Vec<u16> = join_all(changes)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        49,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn two_schedulers_on_two_instances_send_each_mail_once() {
    let Some(server) = redis_server() else { return };
    let provider = Provider::start(Duration::from_millis(50)).await;
    let apps = two_instances(&server, Some(&provider)).await;
    for i in 0..6 {
        let email = format!("person{i}@example.com");
        let response = apps[i % 2]
            .post_json("/api/newsletter", &signup(&email))
            .await;
        assert_eq!(response.status(), 201);
    }
    let (a, b, c, d) = tokio::join!(
        run(&apps[0], ""),
        run(&apps[1], ""),
        run(&apps[0], ""),
        run(&apps[1], "")
    );
    for response in [a, b, c, d] {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(provider.seen().len(), 6, "every mail exactly once");
}

#[tokio::test]
async fn a_store_out_of_reach_is_a_503_with_retry_after() {
    let Some(server) = redis_server() else { return };
    let app = instance(Location::Redis(server.url()), None).await;
    assert_eq!(
        app.post_json("/api/forms/contact", &contact())
            .await
            .status(),
        201
    );
    server.stop();
    let response = app.post_json("/api/forms/contact", &contact()).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "store_unavailable");
}

#[tokio::test]
async fn a_sqlite_store_copied_to_redis_goes_on_where_it_stopped() {
    let Some(server) = redis_server() else { return };
    let dir = std::env::temp_dir().join(format!("copy-store-{}", std::process::id()));
    let file = dir.join("sqlite_key_value.db");
    let _ = std::fs::remove_file(&file);
    let before = instance(Location::File(file.clone()), None).await;
    for _ in 0..3 {
        let response = before.post_json("/api/forms/contact", &contact()).await;
        assert_eq!(response.status(), 201);
    }
    let store = before.store();
    assert!(
        store
            .claim_new(RecordKind::Subscriber, "someone")
            .await
            .unwrap()
    );
    drop(before);

    let copied = sqlite_to_redis(&file, "default", &server.url())
        .await
        .unwrap();
    assert!(copied.counters >= 3, "log heads and claims: {copied:?}");
    assert!(copied.values >= 6, "records and log entries: {copied:?}");

    let after = instance(Location::Redis(server.url()), None).await;
    let response = after.post_json("/api/forms/contact", &contact()).await;
    assert_eq!(response.status(), 201);
    let store = after.store();
    assert_eq!(
        store.log_head(Log::Submissions).await.unwrap(),
        4,
        "numbers go on"
    );
    let entries = store.log_entries(Log::Submissions, 0, 4).await.unwrap();
    let records: HashSet<String> = entries
        .into_iter()
        .map(|(_, entry)| entry.expect("no hole").record.expect("a record"))
        .collect();
    assert_eq!(records.len(), 4);
    assert!(
        !store
            .claim_new(RecordKind::Subscriber, "someone")
            .await
            .unwrap(),
        "a claim taken before the copy stays taken"
    );
    assert!(
        sqlite_to_redis(&file, "default", &server.url())
            .await
            .is_err(),
        "a copy into a store in use is refused"
    );
    std::fs::remove_dir_all(&dir).ok();
}
