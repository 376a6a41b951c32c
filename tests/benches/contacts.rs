//! Benchmark (figures, not assertions): contacts from other sources imported through the marketing API
//! in calls of 10 000 (contacts/s on the test host, SQLite file store), the component's peak linear
//! memory per call, and the notices job's rate (notices queued per second).
//!
//! `cargo bench --profile host -p host --bench contacts` (`BENCH_CONTACTS` changes the total).

use anyhow::{Context, Result, ensure};
use host::host::{peak_guest_memory, reset_peak_guest_memory};
use host::{App, workspace_root};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Instant;

const SECRET: &str = "bench-secret-0123456789abcdef0123456789abcdef";
const JOBS_TOKEN: &str = "bench-jobs-token-0123456789";
/// Contacts a call.
const CALL: usize = 10_000;
/// Runs of the notices job timed (each queues up to its budget of 1 000).
const NOTICE_RUNS: usize = 5;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let total: usize = std::env::var("BENCH_CONTACTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("contacts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("creating the benchmark's scratch directory")?;
    let app = App::builder(workspace_root().join("spin.toml"))
        .env_variables(false)
        .variable("admin_api_key", SECRET)
        .variable("signing_key", SECRET)
        .variable("suppression_key", SECRET)
        .variable("jobs_token", JOBS_TOKEN)
        .file_store(dir.join("contacts.db"))
        .build()?;
    let addr = app.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("http://{addr}/api/v1/keys"))
        .bearer_auth(SECRET)
        .json(&json!({"name": "bench", "scopes": ["contacts:write"]}))
        .send()
        .await?
        .json()
        .await?;
    let key = created["key"]
        .as_str()
        .context("no key created")?
        .to_owned();

    println!("\ncontacts imported on the test host, SQLite file store, {CALL} a call:");
    // Wasm memory only grows, and an instance serves call after call: the peak after each call is the
    // most any call so far needed.
    reset_peak_guest_memory();
    let started = Instant::now();
    let mut peaks = Vec::new();
    for call in 0..total.div_ceil(CALL) {
        let contacts: Vec<Value> = (call * CALL..total.min((call + 1) * CALL))
            .map(|n| {
                json!({"email": format!("contact{n}@example.com"), "name": format!("Contact {n}"),
                       "company": "Example GmbH", "title": "Head of Data", "country": "DE"})
            })
            .collect();
        let body = json!({
            "source": {"name": "Hannover Messe 2026", "kind": "event", "obtained_at": "2026-11-20",
                       "public": false, "legal_basis": "legitimate_interest"},
            "contacts": contacts,
        });
        let call_started = Instant::now();
        let response = client
            .post(format!("http://{addr}/api/v1/contacts/import"))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await?;
        ensure!(response.status() == 200, "import: {}", response.status());
        let report: Value = response.json().await?;
        ensure!(
            report["accepted"].as_u64() == Some(contacts.len() as u64),
            "{report}"
        );
        let seconds = call_started.elapsed().as_secs_f64();
        let peak = peak_guest_memory();
        peaks.push(peak);
        println!(
            "  call {:>2}: {:>6} contacts in {:>5.2} s ({:>7.0} contacts/s), component memory so far {:.1} MiB",
            call + 1,
            contacts.len(),
            seconds,
            contacts.len() as f64 / seconds,
            mib(peak)
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "  all {total}: {:.1} s, {:.0} contacts/s; component memory after the first call {:.1} MiB, after the last {:.1} MiB ({:.2}x)",
        seconds,
        total as f64 / seconds,
        mib(peaks[0]),
        mib(*peaks.last().unwrap_or(&0)),
        *peaks.last().unwrap_or(&0) as f64 / peaks[0].max(1) as f64
    );

    println!("the notices job ({NOTICE_RUNS} runs, each up to 1 000 notices):");
    let mut queued = 0;
    let started = Instant::now();
    for _ in 0..NOTICE_RUNS {
        let report: Value = client
            .post(format!("http://{addr}/api/jobs/run?only=notices"))
            .bearer_auth(JOBS_TOKEN)
            .send()
            .await?
            .json()
            .await?;
        queued += report["jobs"]["notices"]["queued"].as_u64().unwrap_or(0);
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "  {queued} notices queued in {seconds:.1} s: {:.0} notices/s",
        queued as f64 / seconds
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
