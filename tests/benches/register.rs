//! Benchmarks (figures, not assertions) of the scheduler's jobs on the test host, SQLite file store:
//! the register job sealing N log entries inside wasm (leaves/s), the auditor verifying them natively
//! (seconds, all checks including the store comparison), and the retention job deleting expired spam
//! (records/s).
//!
//! `cargo bench --profile host -p host --bench register` (`BENCH_ENTRIES` sets N, default 100 000).

use anyhow::{Context, Result, ensure};
use host::{App, KvStore, workspace_root};
use serde_json::{Value, json};
use shared::records::Action;
use shared::store::{Event, Log, RecordKind, Store};
use shared::time::Timestamp;
use std::time::Instant;

const KEY: &str = "bench-signing-key-0123456789abcdef0123456789";
const SEED: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const ADMIN: &str = "bench-admin-key-0123456789abcdef0123456789";
const JOBS: &str = "bench-jobs-token";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let n: usize = std::env::var("BENCH_ENTRIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("register-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("kv.db");
    let app = App::builder(workspace_root().join("spin.toml"))
        .env_variables(false)
        .variable("signing_key", KEY)
        .variable("suppression_key", format!("{KEY}-suppression"))
        .variable("admin_api_key", ADMIN)
        .variable("jobs_token", JOBS)
        .variable("register_signing_key", SEED)
        .file_store(&db)
        .build()?;
    let addr = app.serve("127.0.0.1:0".parse()?).await?;
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();
    // Spam captured 40 days ago: n entries for the register, n records for retention to delete.
    seed(&app.kv(), n, Timestamp::now().plus_days(-40)).await?;

    let run = |job: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let response = client
                .post(format!("{base}/api/jobs/run?only={job}"))
                .bearer_auth(JOBS)
                .header("connection", "close")
                .send()
                .await?;
            ensure!(response.status() == 200, "{job}: {}", response.status());
            Ok::<Value, anyhow::Error>(response.json::<Value>().await?["jobs"][job].clone())
        }
    };

    let started = Instant::now();
    let mut size = 0;
    while size < n as u64 {
        size = run("register").await?["size"].as_u64().context("a size")?;
    }
    let seal = started.elapsed().as_secs_f64();
    println!(
        "register job: {size} leaves sealed in {seal:.1} s: {:.0} leaves/s (inside wasm, 20 000 per call)",
        size as f64 / seal
    );

    let key: Value = client
        .post(format!("{base}/api/v1/keys"))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "bench", "scopes": ["register:read"]}))
        .send()
        .await?
        .json()
        .await?;
    let token = key["key"].as_str().context("a key")?.to_owned();
    let verifier = client
        .get(format!("{base}/api/v1/register/key"))
        .bearer_auth(&token)
        .send()
        .await?
        .text()
        .await?;
    let args = audit::Args {
        url: base.clone(),
        key: verifier,
        token: Some(token),
        state: None,
        record: None,
        store: Some(db.clone()),
    };
    let started = Instant::now();
    let findings = audit::audit(&args).await?;
    ensure!(findings.is_empty(), "{findings:?}");
    println!(
        "auditor: {size} leaves verified in {:.1} s natively (signature, every tile, the root, every stored entry)",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let mut deleted = 0;
    loop {
        let report = run("retention").await?;
        let now: u64 = report["rules"]
            .as_array()
            .context("rules")?
            .iter()
            .filter(|r| r["rule"] == "submission-spam-30d-captured")
            .map(|r| r["changed"].as_u64().unwrap_or(0))
            .sum();
        if now == 0 {
            break;
        }
        deleted += now;
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "retention job: {deleted} expired spam submissions deleted in {took:.1} s: {:.0} records/s (10 000 per rule per call)",
        deleted as f64 / took
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

async fn seed(kv: &KvStore, count: usize, at: Timestamp) -> Result<()> {
    let store = Store::new(kv.clone());
    for start in (0..count).step_by(1000) {
        let records: Vec<(String, Value)> = (start..count.min(start + 1000))
            .map(|n| {
                let id = shared::ids::new_id();
                let record = json!({
                    "v": 1, "id": id, "form": "contact", "kind": "contact", "received_at": at,
                    "contact": {"email": format!("bot{n}@example.com")},
                    "visit": {}, "spam": "honeypot",
                    "origin": {"ip": "203.0.113.7", "ip_truncated": "203.0.113.0", "ip_source": "peer"},
                    "consent": {"choices": {}, "gpc": false},
                });
                (id, record)
            })
            .collect();
        let refs: Vec<(&str, &Value)> = records.iter().map(|(id, r)| (id.as_str(), r)).collect();
        let event = Event::system(Log::Submissions, Action::CapturedAsSpam, "bench".into(), at);
        store
            .append_many(RecordKind::Submission, &refs, event)
            .await?;
    }
    Ok(())
}
