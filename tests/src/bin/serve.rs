//! The local run, like `spin up`: serves the project's spin.toml on 127.0.0.1:3000 with the file store
//! `.spin/sqlite_key_value.db` next to the manifest.
//!
//! `cargo run -p host --bin serve -- [--manifest PATH] [--listen ADDR] [--state-dir DIR | --in-memory]
//! [--jobs-report | --no-jobs] [--days-ahead N]`
//!
//! `--state-dir DIR` keeps the store in `DIR/sqlite_key_value.db`, as `spin up --state-dir` does.
//! `--in-memory` keeps the data in memory for this run only (a throwaway app, e.g. for the fuzz run).
//! `--days-ahead N` runs the app with its clock N days ahead (what retention will delete, which requests
//! will expire); Spin has no such setting.
//!
//! App variables come from `SPIN_VARIABLE_<NAME>` or their defaults. Unlike Spin, a required *secret*
//! variable with no value gets a random ephemeral value (announced loudly on stderr), so a first run
//! needs no setup; set the variable to keep signatures valid across restarts.
//!
//! Like a cron line beside `spin up`, it calls the scheduler entry point `POST /api/jobs/run` every
//! minute (with `SPIN_VARIABLE_JOBS_TOKEN`, or an ephemeral token of its own when that is unset), and
//! prints one line when a job did something (`jobs: 2 mails sent, 14 entries sealed`); `--jobs-report`
//! prints each run's whole JSON report instead, `--no-jobs` leaves the calls to you (as `spin up` does).

use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<()> {
    let mut manifest = host::workspace_root().join("spin.toml");
    let mut listen: SocketAddr = "127.0.0.1:3000".parse()?;
    let mut in_memory = false;
    let mut state_dir = None;
    let mut whole_report = false;
    let mut jobs = true;
    let mut days_ahead = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--manifest" | "-f" => {
                manifest = PathBuf::from(args.next().context("--manifest needs a path")?);
            }
            "--listen" => {
                listen = args
                    .next()
                    .context("--listen needs an address")?
                    .parse()
                    .context("--listen expects ADDR:PORT, e.g. 127.0.0.1:3000")?;
            }
            "--in-memory" => in_memory = true,
            "--state-dir" => {
                state_dir = Some(PathBuf::from(
                    args.next().context("--state-dir needs a folder")?,
                ));
            }
            "--jobs-report" => whole_report = true,
            "--no-jobs" => jobs = false,
            "--days-ahead" => {
                days_ahead = args
                    .next()
                    .context("--days-ahead needs a number of days")?
                    .parse()
                    .context("--days-ahead expects a whole number of days, e.g. 31")?;
            }
            "-h" | "--help" => {
                println!(
                    "usage: serve [--manifest PATH] [--listen ADDR:PORT] [--state-dir DIR | --in-memory] \
                     [--jobs-report | --no-jobs] [--days-ahead N]"
                );
                return Ok(());
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    let jobs_token = match std::env::var("SPIN_VARIABLE_JOBS_TOKEN") {
        Ok(token) if !token.trim().is_empty() => token,
        _ => ephemeral_token()?,
    };
    let builder = host::App::builder(&manifest).days_ahead(days_ahead);
    let builder = match (in_memory, state_dir) {
        (true, _) => builder.store_at(host::kv::Location::InMemory),
        (false, Some(dir)) => builder.file_store(
            std::env::current_dir()?
                .join(dir)
                .join("sqlite_key_value.db"),
        ),
        (false, None) => builder.default_file_store(),
    };
    let app = builder
        .ephemeral_secrets(true)
        .variable("jobs_token", jobs_token.clone())
        .print_routes(true)
        .build()?;
    println!(
        "Storing default key-value data to {}.",
        app.database().summary()
    );
    let address = app.serve(listen).await?;
    if days_ahead > 0 {
        println!("The app's clock runs {days_ahead} days ahead of this machine's.");
    }
    if jobs {
        tokio::spawn(schedule(address, jobs_token, whole_report));
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// 32 random bytes as hex: the scheduler's token for this run only.
fn ephemeral_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Calls `POST /api/jobs/run` every minute, as a cron line would, and prints what the jobs did when they
/// did something (or, with `whole_report`, every report).
async fn schedule(address: SocketAddr, token: String, whole_report: bool) {
    let mut every_minute = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every_minute.tick().await;
        match run_jobs(address, &token).await {
            Ok(report) if whole_report => println!("jobs: {report}"),
            Ok(report) => {
                let parsed = serde_json::from_str(&report).unwrap_or_default();
                if let Some(line) = host::jobs_line::jobs_line(&parsed) {
                    println!("jobs: {line}");
                }
            }
            Err(error) => eprintln!("jobs: {error:#}"),
        }
    }
}

async fn run_jobs(address: SocketAddr, token: &str) -> Result<String> {
    use http_body_util::BodyExt;
    let stream = tokio::net::TcpStream::connect(address).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = http::Request::post(format!("http://{address}/api/jobs/run"))
        .header(http::header::HOST, address.to_string())
        .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(http_body_util::Empty::<bytes::Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    let body = String::from_utf8_lossy(&body).into_owned();
    if !status.is_success() {
        bail!("POST /api/jobs/run answered {status}: {body}");
    }
    Ok(body)
}
