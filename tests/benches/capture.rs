//! Benchmarks (figures, not assertions): requests/s of form capture against a component that does one
//! key-value `set`, in the same run on the same host and store; geo lookups/s natively and inside wasm.
//!
//! `cargo bench -p host` (set `BENCH_REQUESTS` to change the number of requests per measurement).

use anyhow::{Context, Result};
use host::{App, workspace_root};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SIGNING_KEY: &str = "bench-signing-key-0123456789abcdef0123456789";

/// The contact form without the render-time check, so every post takes the full capture path.
const BENCH_FORMS: &str = r#"
[contact]
kind = "contact"
fields = ["name", "email", "message"]
required = ["name", "email"]
consents = ["privacy_policy"]
required_consents = ["privacy_policy"]
thank_you = "http://127.0.0.1:3000/thanks.html"
min_seconds = 0
"#;

const CONTACT: &str = r#"{"name":"Ada Lovelace","email":"ada@example.com","message":"Benchmark","page_url":"https://www.example.com/contact","utm_source":"bench","consent_policy_version":"2026-01","consent_privacy_policy":true}"#;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000);
    geo_native();

    let dir = scratch_dir()?;
    let forms = App::builder(workspace_root().join("spin.toml"))
        .env_variables(false)
        .variable("signing_key", SIGNING_KEY)
        .variable("suppression_key", SIGNING_KEY)
        .variable("rate_limit", "1000000000/600")
        .variable("forms", BENCH_FORMS)
        .file_store(dir.join("forms.db"))
        .build()?;
    let probe = App::builder(workspace_root().join("tests/fixtures/spin.toml"))
        .env_variables(false)
        .variable("secret_thing", "bench")
        .file_store(dir.join("probe.db"))
        .build()?;
    let forms_addr = forms.serve(loopback()).await?;
    let probe_addr = probe.serve(loopback()).await?;

    geo_wasm(probe_addr).await?;

    println!(
        "\nrequests/s on the test host, SQLite file store, {} concurrent clients, {requests} requests each:",
        concurrency()
    );
    for keep_alive in [false, true] {
        let mode = if keep_alive {
            "keep-alive"
        } else {
            "Connection: close"
        };
        let set = measure(probe_addr, "/set", None, requests, keep_alive).await?;
        let capture = measure(
            forms_addr,
            "/api/forms/contact",
            Some(CONTACT.to_owned()),
            requests,
            keep_alive,
        )
        .await?;
        let consent = measure(
            forms_addr,
            "/api/consent",
            Some(consent_body(forms_addr).await?),
            requests,
            keep_alive,
        )
        .await?;
        println!(
            "  {mode:<18} one KV set: {set:>8.0}/s   form capture: {capture:>8.0}/s ({:.2} of set)   consent decision: {consent:>8.0}/s ({:.2} of set)",
            capture / set,
            consent / set
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// A first "reject all" decision for the banner the app serves (a new visitor: the busiest case).
async fn consent_body(app: SocketAddr) -> Result<String> {
    let config: serde_json::Value = reqwest::get(format!("http://{app}/api/consent/config"))
        .await?
        .json()
        .await?;
    Ok(serde_json::json!({
        "decisions": {},
        "banner_version": config["banner_version"],
        "text_hash": config["text_hash"],
        "locale": "en",
        "method": "reject_all",
    })
    .to_string())
}

/// Clients sending at once (`BENCH_CONCURRENCY`, default 8).
fn concurrency() -> usize {
    std::env::var("BENCH_CONCURRENCY")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8)
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn scratch_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("capture-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("creating the benchmark's scratch directory")?;
    Ok(dir)
}

/// Requests/s for `requests` posts (or gets) spread over `concurrency()` clients.
async fn measure(
    addr: SocketAddr,
    path: &str,
    json: Option<String>,
    requests: usize,
    keep_alive: bool,
) -> Result<f64> {
    let url = format!("http://{addr}{path}");
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if !keep_alive {
        builder = builder.pool_max_idle_per_host(0);
    }
    let client = builder.build()?;
    let per_client = requests / concurrency();
    let started = Instant::now();
    let workers = (0..concurrency()).map(|_| {
        let (client, url, json) = (client.clone(), url.clone(), json.clone());
        tokio::spawn(async move {
            for _ in 0..per_client {
                let request = match json.clone() {
                    Some(body) => client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body),
                    None => client.get(&url),
                };
                let request = if keep_alive {
                    request
                } else {
                    request.header("connection", "close")
                };
                let response = request.send().await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "{url}: {}",
                    response.status()
                );
                response.bytes().await?;
            }
            anyhow::Ok(())
        })
    });
    for worker in futures::future::join_all(workers).await {
        worker??;
    }
    Ok((per_client * concurrency()) as f64 / started.elapsed().as_secs_f64())
}

fn geo_native() {
    let ips: Vec<IpAddr> = shared::geo::sample_addresses(2_000_000).collect();
    let started = Instant::now();
    let found = ips
        .iter()
        .filter(|ip| shared::geo::lookup(**ip).is_some())
        .count();
    let elapsed = started.elapsed();
    println!(
        "geo lookups natively: {:.1} M/s ({} of {} addresses located)",
        ips.len() as f64 / elapsed.as_secs_f64() / 1e6,
        found,
        ips.len()
    );
}

/// The geo-bench fixture component runs the same lookups inside wasm and reports how long they took.
async fn geo_wasm(probe: SocketAddr) -> Result<()> {
    let n = 2_000_000;
    let body = reqwest::get(format!("http://{probe}/geo-bench/{n}"))
        .await?
        .text()
        .await?;
    let nanos: u64 = body
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("geo-bench answered {body:?}"))?;
    let elapsed = Duration::from_nanos(nanos);
    println!(
        "geo lookups inside wasm (geo-bench component): {:.1} M/s",
        n as f64 / elapsed.as_secs_f64() / 1e6
    );
    Ok(())
}
