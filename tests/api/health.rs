//! The health probes (`GET /health/ready`, `GET /health/live`): what they answer with a store that
//! works, one that refuses writes, one that is gone, and one whose server holds every command.

use crate::harness::{TestApp, project_manifest, redis_server};
use ::host::kv::Location;
use serde_json::{Value, json};
use shared::store::Log;
use std::time::{Duration, Instant};

async fn probe(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.get(path).await;
    let status = response.status().as_u16();
    if status == 200 {
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    } else {
        assert_eq!(response.headers()["retry-after"], "5", "{path}");
    }
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn both_probes_answer_ok_naming_the_backend_and_leave_no_trace_in_the_register() {
    let app = TestApp::spawn().await;
    let backend = match std::env::var("TEST_KV").as_deref() {
        Ok("redis") => "redis",
        _ => "sqlite",
    };
    assert_eq!(
        probe(&app, "/health/ready").await,
        (200, json!({"store": "ok", "backend": backend}))
    );
    assert_eq!(
        probe(&app, "/health/live").await,
        (200, json!({"store": "ok"}))
    );
    let store = app.store();
    for log in [Log::Access, Log::Requests, Log::Submissions] {
        assert_eq!(store.log_head(log).await.unwrap(), 0, "{log:?}");
    }
}

#[tokio::test]
async fn a_store_that_refuses_a_write_is_not_ready_but_still_live() {
    let app = TestApp::spawn().await;
    app.kv().fail_next_writes(1);
    let (status, body) = probe(&app, "/health/ready").await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], "store_unavailable");
    assert_eq!(probe(&app, "/health/live").await.0, 200);
    assert_eq!(probe(&app, "/health/ready").await.0, 200, "ready again");
}

/// An app on `server` whose liveness probe waits `seconds`.
async fn on_redis(server: &::host::kv::RedisServer, seconds: &str) -> TestApp {
    let app = TestApp::builder(&project_manifest(), |vars| {
        vars.set("liveness_store_seconds", seconds);
    })
    .store_at(Location::Redis(server.url()))
    .build()
    .expect("the app builds");
    let address = app
        .serve("127.0.0.1:0".parse().unwrap())
        .await
        .expect("the app serves");
    TestApp::from_app(app, address)
}

#[tokio::test]
async fn a_store_that_holds_every_command_is_reported_not_live_within_the_wait_and_live_once_it_answers()
 {
    let Some(server) = redis_server() else { return };
    let app = on_redis(&server, "1").await;
    assert_eq!(probe(&app, "/health/live").await.0, 200);
    server.pause_clients(6_000).unwrap();
    let asked = Instant::now();
    let (status, body) = probe(&app, "/health/live").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "answered after the probe's wait, not the store's: {:?}",
        asked.elapsed()
    );
    // Once the server answers again, so does the probe (a fresh process would too).
    tokio::time::sleep(Duration::from_secs(6)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while probe(&app, "/health/live").await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "live again once the store answers"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let fresh = on_redis(&server, "1").await;
    assert_eq!(probe(&fresh, "/health/ready").await.0, 200);
}

#[tokio::test]
async fn a_stopped_store_is_neither_ready_nor_live() {
    let Some(server) = redis_server() else { return };
    let app = on_redis(&server, "2").await;
    assert_eq!(probe(&app, "/health/ready").await.1["backend"], "redis");
    server.stop();
    assert_eq!(probe(&app, "/health/ready").await.0, 503);
    assert_eq!(probe(&app, "/health/live").await.0, 503);
}
