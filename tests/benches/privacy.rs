//! Benchmark (figures, not assertions): does the privacy centre's intake tell known addresses from
//! unknown ones by its timing? Seeds people with a form submission and a newsletter signup each, then asks
//! for access once per known and once per unknown address, interleaved, one at a time, and prints the
//! mean and median answer times of both and their ratio (1.00 = indistinguishable). Each request closes its
//! connection (`Connection: close`): with keep-alive every answer waits ~40 ms for Nagle and delayed ACK
//! (on Spin as on this host), which would hide differences of a few milliseconds.
//!
//! `cargo bench -p host --bench privacy` (`BENCH_PEOPLE` sets how many of each, default 300).

use anyhow::{Context, Result, ensure};
use host::{App, workspace_root};
use serde_json::json;
use std::time::{Duration, Instant};

const KEY: &str = "bench-signing-key-0123456789abcdef0123456789";

const FORMS: &str = r#"
[contact]
kind = "contact"
fields = ["name", "email", "message"]
required = ["name", "email"]
consents = ["privacy_policy"]
required_consents = ["privacy_policy"]
thank_you = "http://127.0.0.1:3000/thanks.html"
min_seconds = 0
"#;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let people: usize = std::env::var("BENCH_PEOPLE")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let dir = std::env::temp_dir().join(format!("privacy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let app = App::builder(workspace_root().join("spin.toml"))
        .env_variables(false)
        .variable("signing_key", KEY)
        .variable("suppression_key", format!("{KEY}-suppression"))
        .variable("rate_limit", "1000000000/600")
        .variable("forms", FORMS)
        .variable("signup_min_seconds", "0")
        .variable("privacy_min_seconds", "0")
        .file_store(dir.join("privacy.db"))
        .build()?;
    let addr = app.serve("127.0.0.1:0".parse()?).await?;
    let base = format!("http://{addr}");
    let client = reqwest::Client::new();

    for i in 0..people {
        let email = format!("known{i}@example.com");
        let form = json!({"name": "Ada", "email": email, "message": "hi",
                          "consent_policy_version": "1", "consent_privacy_policy": true});
        let signup =
            json!({"email": email, "consent_newsletter": true, "consent_policy_version": "1"});
        for (path, body) in [("/api/forms/contact", form), ("/api/newsletter", signup)] {
            let status = client
                .post(format!("{base}{path}"))
                .json(&body)
                .send()
                .await?
                .status();
            ensure!(status.is_success(), "seeding {path}: {status}");
        }
    }

    let ask = |email: String| {
        let client = client.clone();
        let url = format!("{base}/api/privacy/requests");
        async move {
            let started = Instant::now();
            let response = client
                .post(url)
                .header("connection", "close")
                .json(&json!({"email": email, "rights": ["access"]}))
                .send()
                .await?;
            let status = response.status();
            let body = response.text().await?;
            ensure!(status == 202, "answered {status}: {body}");
            Ok::<_, anyhow::Error>((started.elapsed(), body))
        }
    };
    // Warm the instance cache so neither side pays for the first compile.
    ask("warmup@example.com".into()).await?;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    let mut bodies = std::collections::BTreeSet::new();
    for i in 0..people {
        let (k, kb) = ask(format!("known{i}@example.com")).await?;
        let (u, ub) = ask(format!("unknown{i}@example.org")).await?;
        known.push(k);
        unknown.push(u);
        bodies.insert(kb);
        bodies.insert(ub);
    }
    ensure!(bodies.len() == 1, "the answers differ: {bodies:?}");
    let (km, kmed) = stats(&mut known);
    let (um, umed) = stats(&mut unknown);
    println!(
        "privacy request intake, {people} known and {people} unknown addresses, one at a time:"
    );
    println!(
        "  known:   mean {:>7.3} ms, median {:>7.3} ms",
        ms(km),
        ms(kmed)
    );
    println!(
        "  unknown: mean {:>7.3} ms, median {:>7.3} ms",
        ms(um),
        ms(umed)
    );
    println!(
        "  known / unknown: mean {:.2}, median {:.2} (1.00 = indistinguishable); bodies identical",
        ms(km) / ms(um),
        ms(kmed) / ms(umed)
    );
    std::fs::remove_dir_all(&dir).context("removing the scratch store")?;
    Ok(())
}

fn stats(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort_unstable();
    let mean = samples.iter().sum::<Duration>() / samples.len().max(1) as u32;
    (mean, samples[samples.len() / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
