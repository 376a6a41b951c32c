//! Benchmark (figures, not assertions): the marketing API's streamed export (`limit=all`) of 100 000
//! submissions in records/s, as NDJSON, JSON and CSV, against reading the same keys with bare `get-many`
//! (no wasm, no HTTP, no JSON encoding) in the same run on the same SQLite file store; and the
//! component's peak linear memory exporting 1 000 vs 100 000 records (NDJSON).
//!
//! `cargo bench -p host --bench export` (`BENCH_EXPORT_RECORDS` changes the large export's size).

use anyhow::{Context, Result, ensure};
use host::host::{peak_guest_memory, reset_peak_guest_memory};
use host::{App, KvStore, workspace_root};
use serde_json::{Value, json};
use shared::records::{Action, LogEntry};
use shared::store::{Backend, Event, Key, Log, RecordKind, Store};
use shared::time::Timestamp;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

const SECRET: &str = "bench-secret-0123456789abcdef0123456789abcdef";
/// Entries read per `get-many`, as the export reads them.
const BATCH: u64 = 256;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let large: usize = std::env::var("BENCH_EXPORT_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("export-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("creating the benchmark's scratch directory")?;
    println!("\nstreamed NDJSON export on the test host, SQLite file store:");
    let mut peaks = Vec::new();
    for count in [1_000, large] {
        let formats: &[&str] = if count == large {
            &["ndjson", "json", "csv"]
        } else {
            &["ndjson"]
        };
        for run in export(&dir, count, formats).await? {
            if run.format == "ndjson" {
                peaks.push((count, run.peak));
            }
            println!(
                "  {count:>7} records, {:<6}: export {:>8.0} records/s ({:.1} MB/s)   bare get-many {:>8.0} records/s   export = {:.2} of bare",
                run.format,
                run.exported,
                run.megabytes_per_second,
                run.bare,
                run.exported / run.bare
            );
        }
    }
    let (small, large) = (peaks[0], peaks[1]);
    println!(
        "  peak component memory: {:.1} MiB at {} records, {:.1} MiB at {} records ({:.2}x)",
        mib(small.1),
        small.0,
        mib(large.1),
        large.0,
        large.1 as f64 / small.1.max(1) as f64
    );
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

struct Run {
    format: &'static str,
    exported: f64,
    megabytes_per_second: f64,
    bare: f64,
    peak: usize,
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Seeds `count` submissions into a fresh app and exports them all in each of `formats` (each export
/// followed by a bare read of the same keys, so the two share the cache's state).
async fn export(dir: &Path, count: usize, formats: &[&'static str]) -> Result<Vec<Run>> {
    let app = App::builder(workspace_root().join("spin.toml"))
        .env_variables(false)
        .variable("admin_api_key", SECRET)
        .variable("signing_key", SECRET)
        .variable("suppression_key", SECRET)
        .file_store(dir.join(format!("export-{count}.db")))
        .build()?;
    seed(&app.kv(), count).await?;
    let addr = app.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("http://{addr}/api/v1/keys"))
        .bearer_auth(SECRET)
        .json(&json!({"name": "bench", "scopes": ["leads:read"]}))
        .send()
        .await?
        .json()
        .await?;
    let key = created["key"].as_str().context("no key created")?;
    let mut runs = Vec::new();
    for format in formats {
        reset_peak_guest_memory();
        let started = Instant::now();
        let mut response = client
            .get(format!(
                "http://{addr}/api/v1/submissions?limit=all&format={format}"
            ))
            .bearer_auth(key)
            .send()
            .await?;
        ensure!(
            response.status().is_success(),
            "export {format}: {}",
            response.status()
        );
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
        }
        let seconds = started.elapsed().as_secs_f64();
        let records = match *format {
            "json" => serde_json::from_slice::<Value>(&body)?["items"]
                .as_array()
                .map_or(0, Vec::len),
            // A header row, then one row a record (no field of the seed holds a line break).
            "csv" => body.iter().filter(|b| **b == b'\n').count() - 1,
            _ => body.iter().filter(|b| **b == b'\n').count(),
        };
        ensure!(
            records == count,
            "exported {records} of {count} records as {format}"
        );
        let peak = peak_guest_memory();

        let started = Instant::now();
        let read = bare_get_many(&app.kv(), count as u64).await?;
        let bare_seconds = started.elapsed().as_secs_f64();
        ensure!(read == count, "bare read {read} of {count} records");
        runs.push(Run {
            format,
            exported: count as f64 / seconds,
            megabytes_per_second: body.len() as f64 / seconds / 1e6,
            bare: count as f64 / bare_seconds,
            peak,
        });
    }
    Ok(runs)
}

/// `count` submissions, written as an import writes them, 1 000 per transaction.
async fn seed(kv: &KvStore, count: usize) -> Result<()> {
    let store = Store::new(kv.clone());
    let now = Timestamp::now().plus_seconds(-600);
    for start in (0..count).step_by(1000) {
        let records: Vec<(String, Value)> = (start..count.min(start + 1000))
            .map(|n| {
                let id = shared::ids::new_id();
                let record = json!({
                    "v": 1, "id": id, "form": "contact", "kind": "contact", "received_at": now,
                    "contact": {"name": format!("Person {n}"), "email": format!("p{n}@example.com"),
                                "message": "Interested in the enterprise plan; please call me back."},
                    "visit": {"page_url": "https://www.example.com/contact", "utm": {"utm_source": "bench"}},
                    "origin": {"ip": "203.0.113.7", "ip_truncated": "203.0.113.0", "ip_source": "peer",
                               "location": {"country": "NL", "eu": true}},
                    "consent": {"policy_version": "2026-01", "choices": {"privacy_policy": true}, "gpc": false},
                });
                (id, record)
            })
            .collect();
        let refs: Vec<(&str, &Value)> = records.iter().map(|(id, r)| (id.as_str(), r)).collect();
        let event = Event::system(Log::Submissions, Action::Captured, "bench".into(), now);
        store
            .append_many(RecordKind::Submission, &refs, event)
            .await?;
    }
    Ok(())
}

/// Reads every entry of the submissions log and the record it names, [`BATCH`] entries per
/// `get-many`, decoding only what is needed to find the record's key. Answers the records read.
async fn bare_get_many(kv: &KvStore, head: u64) -> Result<usize> {
    let mut read = 0;
    for start in (0..head).step_by(BATCH as usize) {
        let end = head.min(start + BATCH);
        let keys: Vec<String> = (start + 1..=end)
            .map(|seq| Key::LogEntry(Log::Submissions, seq).to_string())
            .collect();
        let entries = kv.get_many(keys).await?;
        let records: Vec<String> = entries
            .iter()
            .flatten()
            .filter_map(|bytes| serde_json::from_slice::<LogEntry>(bytes).ok()?.record)
            .map(|id| Key::Record(RecordKind::Submission, &id).to_string())
            .collect();
        read += kv.get_many(records).await?.iter().flatten().count();
    }
    Ok(read)
}
