//! The test host killed with SIGKILL: `serve`, a process of its own on a SQLite file, killed in the
//! middle of a 200-post burst, of a retention run and of a register run, and started again on the same
//! store each time; then every post answered `201` is in the feed exactly once, no record is half
//! written, retention and the register finish what the killed runs began, and the auditor, reading the
//! store, finds nothing wrong. And a full disk: `503`, nothing half written, served again once space
//! returns. (The Spin smoke run does the same on real Spin.)

use crate::harness::project_manifest;
use crate::retention::FORMS;
use ::host::kv::{Database, KvStore, Location};
use futures::StreamExt;
use serde_json::{Value, json};
use shared::records::{Log, Submission};
use shared::store::{Backend, Key, RecordKind, Store};
use shared::time::Timestamp;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ADMIN_KEY: &str = "crash-admin-key-0123456789abcdef0123456789";
const JOBS_TOKEN: &str = "crash-jobs-token-0123456789";
const SEED: &str = "4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a";

/// One `serve` process; killed with SIGKILL when dropped.
struct Served {
    child: Arc<Mutex<Child>>,
    base: String,
    client: reqwest::Client,
}

impl Served {
    /// Starts `serve` on `state` (its SQLite file inside) with the app's clock `days_ahead`, the
    /// scheduler off (the test calls the jobs), and waits until it is ready.
    async fn start(state: &Path, days_ahead: u32) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(state.with_extension("log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_serve"))
            .args(["--manifest", project_manifest().to_str().unwrap()])
            .args(["--listen", &format!("127.0.0.1:{port}"), "--no-jobs"])
            .args(["--state-dir", state.to_str().unwrap()])
            .args(["--days-ahead", &days_ahead.to_string()])
            .envs(variables())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("the serve binary");
        let served = Served {
            child: Arc::new(Mutex::new(child)),
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        };
        // It compiles every component first: seconds, more on a loaded machine.
        for _ in 0..1200 {
            if let Ok(r) = served.client.get(served.url("/health/ready")).send().await
                && r.status() == 200
            {
                return served;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("serve did not become ready on {}", served.base);
    }

    /// The readiness probe's status.
    async fn ready(&self) -> u16 {
        let response = self.client.get(self.url("/health/ready")).send().await;
        response.unwrap().status().as_u16()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL, as a crash: nothing of the process runs after it.
    fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Posts contact form `email` from its own client address; answers the status (0: no answer).
    async fn post(&self, email: &str, n: usize, spam: bool) -> u16 {
        let mut body = json!({"name": "Crash", "email": email, "message": "Hi",
            "consent_policy_version": "2026-01", "consent_privacy_policy": true});
        if spam {
            body["_gotcha"] = json!("a bot fills every field");
        }
        let forwarded = format!("10.9.{}.{}", n / 250, n % 250);
        match self
            .client
            .post(self.url("/api/forms/contact"))
            .header("x-forwarded-for", forwarded)
            .json(&body)
            .send()
            .await
        {
            Ok(response) => response.status().as_u16(),
            Err(_) => 0,
        }
    }

    /// Runs one job through the scheduler entry point; its report.
    async fn job(&self, only: &str) -> Value {
        let response = self
            .client
            .post(self.url(&format!("/api/jobs/run?only={only}")))
            .bearer_auth(JOBS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "jobs/run?only={only}");
        response.json().await.unwrap()
    }

    /// A new API key with `scopes`, made with the admin key.
    async fn key(&self, scopes: &[&str]) -> String {
        let response = self
            .client
            .post(self.url("/api/v1/keys"))
            .bearer_auth(ADMIN_KEY)
            .json(&json!({"name": "crash test", "scopes": scopes}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        response.json::<Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// How many records of each address the submissions feed holds, read whole (a record changed since
    /// its capture, e.g. its IP minimised, is in the feed again under the same id).
    async fn feed(&self, key: &str) -> BTreeMap<String, usize> {
        let response = self
            .client
            .get(self.url("/api/v1/submissions?limit=all&format=ndjson"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for line in response.text().await.unwrap().lines() {
            let item: Value = serde_json::from_str(line).unwrap();
            if let (Some(email), Some(id)) =
                (item["contact"]["email"].as_str(), item["id"].as_str())
            {
                ids.entry(email.to_owned())
                    .or_default()
                    .insert(id.to_owned());
            }
        }
        ids.into_iter()
            .map(|(email, ids)| (email, ids.len()))
            .collect()
    }

    /// The auditor, with the store: its findings (none for a sound register).
    async fn audit(&self, db: &Path, dir: &Path) -> Vec<String> {
        let reader = self.key(&["register:read"]).await;
        let verifier = self
            .client
            .get(self.url("/api/v1/register/key"))
            .bearer_auth(&reader)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let args = audit::Args {
            url: self.base.clone(),
            key: verifier,
            token: Some(reader),
            state: Some(dir.join(format!("trusted-{}.json", shared::ids::new_id()))),
            record: None,
            store: Some(db.to_owned()),
        };
        audit::audit(&args)
            .await
            .unwrap()
            .into_iter()
            .map(|f| format!("{f:?}"))
            .collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The app's variables, fixed across restarts (serve would make up secrets that change each start).
fn variables() -> Vec<(String, String)> {
    [
        ("admin_api_key", ADMIN_KEY),
        ("jobs_token", JOBS_TOKEN),
        ("register_signing_key", SEED),
        (
            "signing_key",
            "crash-signing-key-0123456789abcdef0123456789",
        ),
        (
            "suppression_key",
            "crash-suppression-key-0123456789abcdef0123",
        ),
        ("outbox_token", "crash-outbox-token-0123456789"),
        ("forms", FORMS),
        ("trusted_proxies", "127.0.0.1/32"),
        ("signup_min_seconds", "0"),
    ]
    .into_iter()
    .map(|(name, value)| {
        (
            format!("SPIN_VARIABLE_{}", name.to_uppercase()),
            value.to_owned(),
        )
    })
    .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "crash-{name}-{}-{}",
        std::process::id(),
        shared::ids::new_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The store `serve` writes, opened beside it (SQLite takes both processes).
fn open(state: &Path) -> (KvStore, PathBuf) {
    let file = state.join("sqlite_key_value.db");
    let db = Database::open(Location::File(file.clone())).unwrap();
    (db.store("default"), file)
}

/// Every stored submission reads back whole as a [`Submission`].
async fn submissions(kv: &KvStore) -> usize {
    let prefix = Key::Record(RecordKind::Submission, "").to_string();
    let stored: Vec<_> = kv
        .dump()
        .await
        .unwrap()
        .into_iter()
        .filter(|(key, _)| key.starts_with(&prefix))
        .collect();
    for (key, value) in &stored {
        serde_json::from_slice::<Submission>(value)
            .unwrap_or_else(|e| panic!("{key} is not a whole submission: {e}"));
    }
    stored.len()
}

/// Waits (polling the store) until `moved` says the killed-for moment came, then kills; answers
/// whether it came before the job's answer did.
async fn kill_when(
    served: &Served,
    job: &str,
    kv: &KvStore,
    mut moved: impl AsyncFnMut(&KvStore) -> bool,
) -> bool {
    let request = served
        .client
        .post(served.url(&format!("/api/jobs/run?only={job}")))
        .bearer_auth(JOBS_TOKEN)
        .send();
    let mut request = std::pin::pin!(request);
    loop {
        tokio::select! {
            _ = &mut request => { served.kill(); return false; }
            _ = tokio::time::sleep(Duration::from_millis(2)) => {
                if moved(kv).await {
                    served.kill();
                    return true;
                }
            }
        }
    }
}

#[tokio::test]
async fn a_host_killed_mid_burst_mid_retention_and_mid_register_run_loses_nothing_it_acknowledged()
{
    if matches!(Location::for_tests(), Location::FreshRedis) {
        eprintln!("crash: SQLite only (the Spin smoke run kills Spin on Redis)");
        return;
    }
    let dir = scratch("kill");
    let state = dir.join("state");
    let (kv, db) = open(&state);
    let store = Store::new(kv.clone());

    // Spam that retention will delete 30 days on, then a burst killed at its 80th post.
    let served = Served::start(&state, 0).await;
    let spam: Vec<String> = (0..300).map(|n| format!("bot{n}@example.com")).collect();
    let statuses = futures::stream::iter(spam.iter().enumerate())
        .map(|(n, email)| served.post(email, 1000 + n, true))
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let served = Arc::new(served);
    let burst = futures::stream::iter(1..=200)
        .map(|n| {
            let served = served.clone();
            async move {
                if n == 80 {
                    served.kill();
                }
                (
                    n,
                    served
                        .post(&format!("crash{n}@example.com"), n, false)
                        .await,
                )
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let acked: Vec<usize> = burst
        .iter()
        .filter(|(_, status)| *status == 201)
        .map(|(n, _)| *n)
        .collect();
    assert!(acked.len() < 200, "every post answered although killed");
    assert!(
        acked.len() >= 60,
        "the first posts were answered: {burst:?}"
    );
    drop(served);

    // Started again 31 days on: retention deletes the spam (300 records in two batches), killed as
    // soon as its first erasure took a number in the submissions log.
    let served = Served::start(&state, 31).await;
    let head = store.log_head(Log::Submissions).await.unwrap();
    let mid_retention = kill_when(&served, "retention", &kv, async |_| {
        store.log_head(Log::Submissions).await.unwrap() > head
    })
    .await;
    drop(served);

    // Again, a day later; the register run is killed once it holds its lease.
    let served = Served::start(&state, 32).await;
    let sealed_before = store.register_size().await.unwrap();
    let window = |now: Timestamp| (now.unix_millis() / 1000 / shared::store::LEASE_SECONDS) as u64;
    let now = Timestamp::now().plus_days(32);
    let mid_register = kill_when(&served, "register", &kv, async |kv| {
        let key = Key::JobLease {
            job: "register",
            window: window(now),
        };
        matches!(kv.get(&key.to_string()).await, Ok(Some(_)))
    })
    .await;
    let sealed_at_kill = store.register_size().await.unwrap();
    drop(served);
    eprintln!(
        "crash: {} of 200 acknowledged; retention killed {}; register killed {} ({sealed_before} \
         leaves before, {sealed_at_kill} at the kill)",
        acked.len(),
        if mid_retention {
            "mid-run"
        } else {
            "after its answer"
        },
        if mid_register {
            "mid-run"
        } else {
            "after its answer"
        },
    );

    // A day later still (every cut-off write is past the grace): the killed runs' work is finished by
    // the next ones, every acknowledged post is in the feed once, no spam is left, nothing is half
    // written, and the auditor passes.
    let served = Served::start(&state, 33).await;
    let retention = served.job("retention").await;
    assert_eq!(retention["jobs"]["retention"]["ran"], true, "{retention}");
    submissions(&kv).await;
    for _ in 0..3 {
        served.job("register").await;
    }
    let feed = served.feed(&served.key(&["leads:read"]).await).await;
    for n in &acked {
        assert_eq!(
            feed.get(&format!("crash{n}@example.com")),
            Some(&1),
            "post {n}"
        );
    }
    assert!(feed.values().all(|count| *count == 1), "twice: {feed:?}");
    assert!(
        feed.keys().all(|email| !email.starts_with("bot")),
        "spam left: {feed:?}"
    );
    assert_eq!(
        submissions(&kv).await,
        feed.len(),
        "stored submissions and the feed agree"
    );
    let findings = served.audit(&db, &dir).await;
    assert!(findings.is_empty(), "{findings:#?}");
}

/// Mounts a tmpfs of `size` at `dir` (root only); `None` where mounting is not allowed, except under
/// CI, which must run the test.
fn tmpfs(dir: &Path, size: &str) -> Option<()> {
    std::fs::create_dir_all(dir).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    match mounted {
        true => Some(()),
        false if std::env::var_os("CI").is_none() => {
            eprintln!("full disk: skipped (cannot mount a tmpfs here; CI runs it as root)");
            None
        }
        false => panic!("CI must run the full-disk test: mounting a tmpfs failed (not root?)"),
    }
}

/// Fills the file system holding `dir` to its last byte.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 4096];
    while file.write_all(&chunk).is_ok() {}
    while file.write_all(&[0]).is_ok() {}
    let _ = file.flush();
    filler
}

#[tokio::test]
async fn a_full_disk_answers_503_writes_nothing_half_and_serves_again_once_space_returns() {
    if matches!(Location::for_tests(), Location::FreshRedis) {
        eprintln!("full disk: SQLite only");
        return;
    }
    let dir = scratch("disk");
    let state = dir.join("state");
    if tmpfs(&state, "4m").is_none() {
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(state.clone());
    let (kv, db) = open(&state);
    let served = Served::start(&state, 0).await;
    for n in 0..5 {
        assert_eq!(
            served
                .post(&format!("before{n}@example.com"), n, false)
                .await,
            201
        );
    }

    let filler = fill(&state);
    let mut refused = 0;
    let mut acked = Vec::new();
    for n in 0..20 {
        let status = served
            .post(&format!("full{n}@example.com"), 100 + n, false)
            .await;
        match status {
            503 => refused += 1,
            201 => acked.push(n),
            other => panic!("post {n} on a full disk answered {other}"),
        }
    }
    assert!(refused >= 15, "a full disk refused {refused} of 20 posts");
    assert_eq!(
        served.ready().await,
        503,
        "not ready while the disk is full"
    );

    std::fs::remove_file(filler).unwrap();
    assert_eq!(served.post("after@example.com", 200, false).await, 201);
    assert_eq!(served.ready().await, 200);
    drop(served);

    // A day on, every write the full disk cut off is past the grace: what was acknowledged is in the
    // feed once, nothing refused is half there, and the auditor passes.
    let served = Served::start(&state, 1).await;
    for _ in 0..2 {
        served.job("register").await;
    }
    let feed = served.feed(&served.key(&["leads:read"]).await).await;
    for n in 0..5 {
        assert_eq!(feed.get(&format!("before{n}@example.com")), Some(&1));
    }
    for n in &acked {
        assert_eq!(feed.get(&format!("full{n}@example.com")), Some(&1));
    }
    assert_eq!(feed.get("after@example.com"), Some(&1));
    assert!(feed.values().all(|count| *count == 1), "twice: {feed:?}");
    assert_eq!(submissions(&kv).await, feed.len());
    let findings = served.audit(&db, &dir).await;
    assert!(findings.is_empty(), "{findings:#?}");
}
