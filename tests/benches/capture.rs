//! Benchmarks (figures, not assertions) of the capture hot path: requests/s and p99 of every public post
//! beside two reference handlers in the same run (one `set` of a new key: one inserting commit; one
//! `get` + `set` of an existing key), printed as ratios, on the test host and, when a `spin` binary is
//! found (`$SPIN`, `spin` on PATH, `../shared/bin/spin`), on real Spin. `Connection: close` throughout;
//! every post has its own email and its own forwarded address through a trusted proxy, with the rate
//! limit raised; and a page of the submissions feed. Also geo lookups/s natively and inside wasm.
//!
//! `cargo bench -p host --bench capture` (`BENCH_REQUESTS`, default 2000 a measurement;
//! `BENCH_CONCURRENCY`, default 8; `BENCH_KV`: `sqlite` (default), `redis`, or `both` in one run; `BENCH_ON`: `host` or `spin` for one
//! of the two only).

use anyhow::{Context, Result};
use host::kv::{Location, RedisServer};
use host::{App, workspace_root};
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const SIGNING_KEY: &str = "bench-signing-key-0123456789abcdef0123456789";
const ADMIN_KEY: &str = "bench-admin-key-0123456789abcdef0123456789";

/// The forms: `contact` needs a render token at least a second old; `quick` takes none (check off).
fn bench_forms() -> String {
    [("contact", 1), ("quick", 0)]
        .map(|(name, min_seconds)| {
            format!(
                "[{name}]\nkind = \"contact\"\nfields = [\"name\", \"email\", \"message\"]\n\
                 required = [\"name\", \"email\"]\nconsents = [\"privacy_policy\"]\n\
                 required_consents = [\"privacy_policy\"]\n\
                 thank_you = \"http://127.0.0.1:3000/thanks.html\"\nmin_seconds = {min_seconds}\n"
            )
        })
        .join("\n")
}

/// The app's variables for the benchmark, as (name, value).
fn variables() -> Vec<(&'static str, String)> {
    [
        ("signing_key", SIGNING_KEY),
        ("suppression_key", SIGNING_KEY),
        ("rate_limit", "1000000000/600"),
        ("trusted_proxies", "127.0.0.1/32"),
        ("forms", &bench_forms()),
        ("signup_min_seconds", "0"),
        ("admin_api_key", ADMIN_KEY),
    ]
    .map(|(name, value)| (name, value.to_owned()))
    .to_vec()
}

/// The store a row of measurements runs on (`BENCH_KV`: `sqlite`, the default; `redis`; or `both`).
#[derive(Clone, Copy, PartialEq)]
enum Kv {
    Sqlite,
    Redis,
}

fn backends() -> Vec<Kv> {
    match std::env::var("BENCH_KV").as_deref() {
        Ok("redis") => vec![Kv::Redis],
        Ok("both") => vec![Kv::Sqlite, Kv::Redis],
        _ => vec![Kv::Sqlite],
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    geo_native();
    let dir = scratch_dir()?;
    let spin = spin_binary();
    if spin.is_none() {
        println!("\nno spin binary ($SPIN, PATH, ../shared/bin/spin): real Spin skipped");
    }
    // `BENCH_ON=spin` skips the test host (and `host` skips Spin).
    let on = std::env::var("BENCH_ON").unwrap_or_default();
    for kv in backends() {
        if on != "spin" {
            on_test_host(kv, &dir).await?;
        }
        if let Some(spin) = spin.as_ref().filter(|_| on != "host") {
            on_spin(kv, spin, &dir).await?;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// Where an app of the test host keeps its store: a SQLite file, or a Redis server of its own.
fn test_host_store(kv: Kv, file: PathBuf) -> Location {
    match kv {
        Kv::Sqlite => Location::File(file),
        Kv::Redis => Location::FreshRedis,
    }
}

async fn on_test_host(kv: Kv, dir: &Path) -> Result<()> {
    let mut app = App::builder(workspace_root().join("spin.toml")).env_variables(false);
    for (name, value) in variables() {
        app = app.variable(name, value);
    }
    let app = app
        .store_at(test_host_store(kv, dir.join("app.db")))
        .build()?;
    let probe = App::builder(workspace_root().join("tests/fixtures/spin.toml"))
        .env_variables(false)
        .variable("secret_thing", "bench")
        .store_at(test_host_store(kv, dir.join("probe.db")))
        .build()?;
    let app_addr = app.serve(loopback()).await?;
    let probe_addr = probe.serve(loopback()).await?;
    if kv == Kv::Sqlite {
        geo_wasm(probe_addr).await?;
    }
    let on = format!("the test host ({})", app.database().summary());
    let counters = Counters {
        app: Box::new(move || app.database().commits()),
        probe: Box::new(move || probe.database().commits()),
    };
    run(&on, app_addr, probe_addr, Some(&counters)).await
}

async fn on_spin(kv: Kv, spin: &Path, dir: &Path) -> Result<()> {
    // One Redis server for both apps, as Spin's Redis store ignores labels and the keys do not meet.
    let redis = match kv {
        Kv::Sqlite => None,
        Kv::Redis => Some(RedisServer::start()?),
    };
    let config = match &redis {
        None => None,
        Some(server) => {
            let path = dir.join("runtime-config.toml");
            std::fs::write(
                &path,
                format!(
                    "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
                    server.url()
                ),
            )?;
            Some(path)
        }
    };
    let app = Spin::start(
        spin,
        &workspace_root().join("spin.toml"),
        dir,
        &variables(),
        config.as_deref(),
    )?;
    let probe = Spin::start(
        spin,
        &workspace_root().join("tests/fixtures/spin.toml"),
        dir,
        &[("secret_thing", "bench".to_owned())],
        config.as_deref(),
    )?;
    app.ready("/api/consent/config").await?;
    probe.ready("/instance").await?;
    let store = match kv {
        Kv::Sqlite => "SQLite",
        Kv::Redis => "Redis",
    };
    run(
        &format!("real Spin ({}, {store})", spin.display()),
        app.addr,
        probe.addr,
        None,
    )
    .await
}

/// The test host's count of commits (write calls) of each app so far.
struct Counters {
    app: Box<dyn Fn() -> usize>,
    probe: Box<dyn Fn() -> usize>,
}

/// Every measurement against one app and one probe, printed as a table; with `counters`, also the
/// commits each request cost on average.
async fn run(
    on: &str,
    app: SocketAddr,
    probe: SocketAddr,
    counters: Option<&Counters>,
) -> Result<()> {
    let requests = env_number("BENCH_REQUESTS", 2000);
    let c = env_number("BENCH_CONCURRENCY", 8);
    println!(
        "\n{on}: {requests} requests a row, {c} clients, Connection: close; ratio = req/s over the reference's"
    );
    let tokens = Arc::new(render_tokens(app, requests).await?);
    let banner = banner(app).await?;

    let app_count = counters.map(|c| &c.app);
    let probe_count = counters.map(|c| &c.probe);
    let measure = |addr, load, requests, c| {
        let count = if addr == probe {
            probe_count
        } else {
            app_count
        };
        async move {
            let before = count.map(|f| f());
            let mut figures = measure_collecting(addr, load, requests, c).await?;
            if let (Some(f), Some(before)) = (count, before) {
                figures.0.commits = Some((f() - before) as f64 / requests as f64);
            }
            anyhow::Ok(figures)
        }
    };
    let new_key = measure(probe, Load::get("/ref/new-key"), requests, c)
        .await?
        .0;
    let get_set = measure(probe, Load::get("/ref/get-set"), requests, c)
        .await?
        .0;
    let mut rows = vec![
        ("reference: set one new key", new_key.clone()),
        ("reference: get + set one existing key", get_set.clone()),
    ];
    // Each post with a token of its own: a token used twice is a replay, flagged as spam.
    let contact = |form: &'static str, tokens: Option<Arc<Vec<String>>>| {
        Load::post(&format!("/api/forms/{form}"), move |n| {
            let token = tokens
                .as_ref()
                .map(|t| format!(r#","_token":"{}""#, t[n as usize % t.len()]))
                .unwrap_or_default();
            format!(
                r#"{{"name":"Ada Lovelace","email":"ada{n}@example.com","message":"Benchmark","page_url":"https://www.example.com/contact","utm_source":"bench","consent_policy_version":"2026-01","consent_privacy_policy":true{token}}}"#
            )
        })
    };
    rows.push((
        "form capture, render token",
        measure(app, contact("contact", Some(tokens)), requests, c)
            .await?
            .0,
    ));
    rows.push((
        "form capture, no render token",
        measure(app, contact("quick", None), requests, c).await?.0,
    ));
    let first = {
        let banner = banner.clone();
        Load::post("/api/consent", move |_| banner.decision(None))
    };
    let (first_figures, ids) = measure(app, first, requests, c).await?;
    rows.push(("consent, first decision", first_figures));
    let ids = Arc::new(ids);
    let later = {
        let banner = banner.clone();
        Load::post("/api/consent", move |n| {
            banner.decision(Some(&ids[n as usize % ids.len()]))
        })
    };
    rows.push((
        "consent, later decision",
        measure(app, later, requests, c).await?.0,
    ));
    rows.push((
        "newsletter signup",
        measure(
            app,
            Load::post("/api/newsletter", |n| {
                format!(
                    r#"{{"email":"reader{n}@example.com","consent_newsletter":true,"consent_policy_version":"2026-01"}}"#
                )
            }),
            requests,
            c,
        )
        .await?
        .0,
    ));
    rows.push((
        "demo request",
        measure(
            app,
            Load::post("/api/demo", |n| {
                format!(
                    r#"{{"name":"Grace Hopper","email":"grace{n}@example.com","company":"Navy","consent_policy_version":"1","consent_privacy_policy":true}}"#
                )
            }),
            requests,
            c,
        )
        .await?
        .0,
    ));

    let key = api_key(app).await?;
    rows.push((
        "feed page (100 submissions, JSON)",
        measure(
            app,
            Load::get("/api/v1/submissions?limit=100").with_key(&key),
            requests,
            c,
        )
        .await?
        .0,
    ));

    println!(
        "  {:<40} {:>9} {:>9} {:>11} {:>11} {:>13}",
        "handler", "req/s", "p99 ms", "÷ new key", "÷ get+set", "commits/req"
    );
    for (name, figures) in &rows {
        let commits = figures
            .commits
            .map(|c| format!("{c:.2}"))
            .unwrap_or_else(|| "-".into());
        println!(
            "  {:<40} {:>9.0} {:>9.1} {:>11.2} {:>11.2} {:>13}",
            name,
            figures.rate,
            figures.p99.as_secs_f64() * 1000.0,
            figures.rate / new_key.rate,
            figures.rate / get_set.rate,
            commits
        );
    }
    let single = measure(app, contact("quick", None), (requests / 4).max(50), 1)
        .await?
        .0;
    println!(
        "  form capture at c=1: p50 {:.1} ms, p99 {:.1} ms",
        single.p50.as_secs_f64() * 1000.0,
        single.p99.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// A marketing API key that may read the feeds, made with the admin key.
async fn api_key(app: SocketAddr) -> Result<String> {
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{app}/api/v1/keys"))
        .bearer_auth(ADMIN_KEY)
        .json(&serde_json::json!({"name": "bench", "scopes": ["leads:read"]}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    created["key"]
        .as_str()
        .map(str::to_owned)
        .context("no key in the answer")
}

/// The banner the app serves: what a decision must name.
#[derive(Clone)]
struct Banner {
    version: String,
    hash: String,
}

impl Banner {
    /// A "reject all" decision, first (no id) or later (an id).
    fn decision(&self, id: Option<&str>) -> String {
        let id = id
            .map(|id| format!(r#""consent_id":"{id}","#))
            .unwrap_or_default();
        format!(
            r#"{{{id}"decisions":{{}},"banner_version":"{}","text_hash":"{}","locale":"en","method":"reject_all"}}"#,
            self.version, self.hash
        )
    }
}

async fn banner(app: SocketAddr) -> Result<Banner> {
    let config: serde_json::Value = reqwest::get(format!("http://{app}/api/consent/config"))
        .await?
        .json()
        .await?;
    Ok(Banner {
        version: config["banner_version"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        hash: config["text_hash"].as_str().unwrap_or_default().to_owned(),
    })
}

/// `count` render tokens for `contact`, old enough to pass its one-second minimum.
async fn render_tokens(app: SocketAddr, count: usize) -> Result<Vec<String>> {
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for _ in 0..count {
        let answer: serde_json::Value = client
            .get(format!("http://{app}/api/forms/contact/token"))
            .send()
            .await?
            .json()
            .await?;
        tokens.push(answer["token"].as_str().unwrap_or_default().to_owned());
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    Ok(tokens)
}

/// What each request of a measurement sends: a GET, or a POST of the JSON body for request `n`.
#[derive(Clone)]
struct Load {
    path: String,
    body: Option<Arc<dyn Fn(u64) -> String + Send + Sync>>,
    /// `Authorization: Bearer` (the marketing API).
    key: Option<String>,
}

impl Load {
    fn get(path: &str) -> Self {
        Self {
            path: path.to_owned(),
            body: None,
            key: None,
        }
    }

    fn post(path: &str, body: impl Fn(u64) -> String + Send + Sync + 'static) -> Self {
        Self {
            path: path.to_owned(),
            body: Some(Arc::new(body)),
            key: None,
        }
    }

    fn with_key(self, key: &str) -> Self {
        Self {
            key: Some(key.to_owned()),
            ..self
        }
    }
}

#[derive(Clone)]
struct Figures {
    rate: f64,
    p50: Duration,
    p99: Duration,
    /// Commits (store write calls) per request, where the host counts them.
    commits: Option<f64>,
}

/// Sends `requests` requests over `c` clients, each on a new connection (`Connection: close`), from
/// a distinct forwarded address each; answers the figures and each answer's `consent_id`, if any.
async fn measure_collecting(
    addr: SocketAddr,
    load: Load,
    requests: usize,
    c: usize,
) -> Result<(Figures, Vec<String>)> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let url = format!("http://{addr}{}", load.path);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()?;
    let per_client = requests.div_ceil(c);
    let started = Instant::now();
    let workers = (0..c).map(|_| {
        let (client, url, load) = (client.clone(), url.clone(), load.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            let mut ids = Vec::new();
            for _ in 0..per_client {
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                let forwarded = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
                let request = match &load.body {
                    Some(body) => client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body(n)),
                    None => client.get(&url),
                }
                .header("connection", "close")
                .header("x-forwarded-for", forwarded);
                let request = match &load.key {
                    Some(key) => request.bearer_auth(key),
                    None => request,
                };
                let sent = Instant::now();
                let response = request.send().await?;
                let status = response.status();
                let body = response.bytes().await?;
                latencies.push(sent.elapsed());
                anyhow::ensure!(
                    status.is_success(),
                    "{url}: {status} {}",
                    String::from_utf8_lossy(&body)
                );
                if let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&body)
                    && let Some(id) = answer["consent_id"].as_str()
                {
                    ids.push(id.to_owned());
                }
            }
            anyhow::Ok((latencies, ids))
        })
    });
    let mut latencies = Vec::new();
    let mut ids = Vec::new();
    for worker in futures::future::join_all(workers).await {
        let (l, i) = worker??;
        latencies.extend(l);
        ids.extend(i);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Ok((
        Figures {
            rate: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50: at(0.5),
            p99: at(0.99),
            commits: None,
        },
        ids,
    ))
}

/// A `spin up` of one manifest on a free loopback port, stopped when dropped.
struct Spin {
    child: Child,
    addr: SocketAddr,
}

impl Spin {
    fn start(
        spin: &Path,
        manifest: &Path,
        scratch: &Path,
        variables: &[(&str, String)],
        runtime_config: Option<&Path>,
    ) -> Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut command = Command::new(spin);
        command
            .arg("up")
            .arg("-f")
            .arg(manifest)
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--state-dir")
            .arg(scratch.join(format!("spin-{port}")))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(config) = runtime_config {
            command.arg("--runtime-config-file").arg(config);
        }
        for (name, value) in variables {
            command.env(
                format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()),
                value,
            );
        }
        // Its own process group: `spin up` starts `spin trigger` children, which must go with it.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().context("starting spin")?;
        Ok(Self { child, addr })
    }

    async fn ready(&self, path: &str) -> Result<()> {
        for _ in 0..240 {
            if reqwest::get(format!("http://{}{path}", self.addr))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        anyhow::bail!("spin on {} did not answer {path}", self.addr)
    }
}

impl Drop for Spin {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .ok();
        self.child.wait().ok();
    }
}

/// The `spin` binary to measure: `$SPIN`, `spin` on PATH, or `../shared/bin/spin` beside the checkout.
fn spin_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SPIN").map(PathBuf::from) {
        return path.is_file().then_some(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("spin"))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        let beside = workspace_root().join("../shared/bin/spin");
        beside.is_file().then_some(beside)
    })
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn scratch_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("capture-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).context("creating the benchmark's scratch directory")?;
    Ok(dir)
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
