//! The health probes (`GET /health/ready`, `GET /health/live`): what they answer with a store that
//! works, one that refuses writes, one that is gone, one whose server holds every command, and one whose
//! client stalled after an outage (Spin 4.1's redis-rs 0.32.7: not live, while a fresh process serves).

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

/// Spin 4.1's Redis client after an outage of a few seconds: Redis is back, but the client waits out its
/// reconnect backoff (an immediate retry, one after 1–2 s, then 60–120 s: redis-rs 0.32.7 ignores its
/// `exponent_base` and backon caps the delay at 60 s, redis-rs #1717), and calls wait for that reconnect
/// with no timeout. The process is reported not live for as long as that lasts, which is what makes
/// the orchestrator restart it; a fresh process (a new client) on the same Redis serves at once.
#[tokio::test]
async fn after_an_outage_a_stalled_redis_client_is_reported_not_live_while_a_fresh_process_serves()
{
    let Some(server) = redis_server() else { return };
    let app = on_redis(&server, "1").await;
    assert_eq!(probe(&app, "/health/live").await.0, 200);
    server.stop();
    // Down long enough for the client's first two attempts to fail: the third is a minute away.
    let down = Instant::now();
    while down.elapsed() < Duration::from_secs(5) {
        probe(&app, "/health/live").await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    server.restart().unwrap();
    let back = Instant::now();
    let fresh = on_redis(&server, "1").await;
    assert_eq!(
        probe(&fresh, "/health/ready").await.0,
        200,
        "a fresh process serves"
    );
    assert_eq!(probe(&fresh, "/health/live").await.0, 200);
    while back.elapsed() < Duration::from_secs(10) {
        let (status, body) = probe(&app, "/health/live").await;
        assert_eq!(
            status,
            503,
            "the old client answered {:.1} s after Redis was back (redis-rs newer than 0.32.7?): {body}",
            back.elapsed().as_secs_f64()
        );
    }
    eprintln!(
        "stalled client: still not live {:.0} s after Redis was back; a fresh process served at once",
        back.elapsed().as_secs_f64()
    );
}
