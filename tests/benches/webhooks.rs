//! Benchmark (figures, not assertions): events/s the webhooks job delivers to a receiver on 127.0.0.1
//! (signed, one at a time per endpoint, through the jobs component's outbound HTTP on the test host),
//! beside the same number of bare POSTs from the host to the same receiver (the ratio is the figure to
//! watch), and the rate at which the job turns log entries into events.
//!
//! `cargo bench --profile host -p host --bench webhooks` (`BENCH_EVENTS` changes the number, `BENCH_VERBOSE` prints each run's report).

use anyhow::{Context, Result, ensure};
use bytes::Bytes;
use host::{App, workspace_root};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use shared::records::{Action, Actor, Event, Log, RecordKind, Submission};
use shared::store::Store;
use shared::time::Timestamp;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

const SECRET: &str = "bench-secret-0123456789abcdef0123456789abcdef";
const JOBS_TOKEN: &str = "bench-jobs-token-0123456789";

/// A receiver that answers 200 to everything and counts.
async fn receiver(count: Arc<AtomicUsize>) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let count = count.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
                    let count = count.clone();
                    // Reads the body as a receiver does before answering (an answer sent before the
                    // body was read closes the connection under the sender).
                    async move {
                        let _ = req.into_body().collect().await;
                        count.fetch_add(1, Ordering::Relaxed);
                        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                            Bytes::from_static(b"ok"),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

fn submission(id: &str, n: usize) -> Result<Submission> {
    Ok(serde_json::from_value(json!({
        "v": 1, "id": id, "form": "contact", "kind": "contact", "received_at": Timestamp::now(),
        "contact": {"name": format!("Person {n}"), "email": format!("p{n}@example.com")},
        "visit": {},
        "origin": {"ip": "203.0.113.7", "ip_truncated": "203.0.113.0", "ip_source": "peer", "location": null},
        "consent": {"choices": {"privacy_policy": true}, "gpc": false},
    }))?)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let total: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3_000);
    let count = Arc::new(AtomicUsize::new(0));
    let hooks = receiver(count.clone()).await?;
    let dir = std::env::temp_dir().join(format!("webhooks-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("creating the benchmark's scratch directory")?;
    let app = App::builder(workspace_root().join("spin.toml"))
        .env_variables(false)
        .variable("admin_api_key", SECRET)
        .variable("signing_key", SECRET)
        .variable("suppression_key", SECRET)
        .variable("jobs_token", JOBS_TOKEN)
        .variable("webhook_allowed_hosts", format!("http://{hooks}"))
        .file_store(dir.join("webhooks.db"))
        .build()?;
    let addr = app.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let client = reqwest::Client::new();
    let made = client
        .post(format!("http://{addr}/api/v1/webhooks"))
        .bearer_auth(SECRET)
        .json(&json!({"url": format!("http://{hooks}/in"), "events": ["submission.created"]}))
        .send()
        .await?;
    ensure!(made.status() == 201, "endpoint: {}", made.status());

    // The submissions, stored as the forms component stores them (record and entry in one write).
    let store = Store::new(app.kv());
    let ids: Vec<String> = (0..total).map(|_| shared::ids::new_id()).collect();
    let records: Vec<(&str, Submission)> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| Ok((id.as_str(), submission(id, n)?)))
        .collect::<Result<_>>()?;
    let event = Event::by(
        Actor::System,
        Log::Submissions,
        Action::Captured,
        Some("contact".into()),
        Timestamp::now(),
    );
    for chunk in records.chunks(1000) {
        store
            .append_many(RecordKind::Submission, chunk, event.clone())
            .await?;
    }

    println!(
        "\nwebhooks: {total} submission.created events to one endpoint on 127.0.0.1, test host, SQLite file:"
    );
    let started = Instant::now();
    let (mut runs, mut made_events, mut first_collect_ms) = (0, 0, None);
    while count.load(Ordering::Relaxed) < total && runs < 1000 {
        let report: Value = client
            .post(format!("http://{addr}/api/jobs/run?only=webhooks"))
            .bearer_auth(JOBS_TOKEN)
            .send()
            .await?
            .json()
            .await?;
        let job = &report["jobs"]["webhooks"];
        if std::env::var_os("BENCH_VERBOSE").is_some() {
            println!("  run {runs}: {report}");
        }
        made_events += job["events"].as_u64().unwrap_or(0);
        if first_collect_ms.is_none() {
            first_collect_ms = job["ms"].as_u64();
        }
        runs += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    ensure!(
        count.load(Ordering::Relaxed) >= total,
        "not all delivered after {runs} runs"
    );
    let job_rate = total as f64 / seconds;
    println!(
        "  the job: {made_events} events made and {total} delivered in {runs} runs, {seconds:.1} s: {job_rate:.0} events/s"
    );

    // The reference: the same number of bare POSTs of a similar body, one at a time, from the host.
    let body = vec![b'x'; 700];
    let started = Instant::now();
    for _ in 0..total {
        let r = client
            .post(format!("http://{hooks}/in"))
            .body(body.clone())
            .send()
            .await?;
        ensure!(r.status() == 200);
    }
    let bare = total as f64 / started.elapsed().as_secs_f64();
    println!(
        "  bare POSTs from the host: {bare:.0}/s; the job delivers at {:.2}x that",
        job_rate / bare
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
