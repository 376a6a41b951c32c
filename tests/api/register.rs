//! The processing register through the test host: sealed by the scheduler's `register` job, served as
//! C2SP tlog-tiles, checked here independently (our own RFC 6962 hashing and Ed25519 check, not the app's)
//! and by the auditor, which names a changed entry by its leaf index.

use crate::harness::TestApp;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use shared::records::{Action, Actor, LogEntry};
use shared::store::{Backend, Key, Log};
use shared::time::Timestamp;

const ADMIN_KEY: &str = "admin-key-0123456789abcdef0123456789abcdef";
const JOBS_TOKEN: &str = "jobs-token-register-0123456789";
const SEED: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

async fn spawn() -> TestApp {
    TestApp::spawn_with(vars).await
}

fn vars(v: &mut crate::harness::Vars) {
    v.set("admin_api_key", ADMIN_KEY)
        .set("jobs_token", JOBS_TOKEN)
        .set("register_signing_key", SEED)
        .set("signup_min_seconds", "0")
        .set("privacy_min_seconds", "0")
        .set("webhook_allowed_hosts", "https://hooks.example.com");
}

async fn key(app: &TestApp, scopes: &[&str]) -> String {
    let response = app
        .send(
            app.client
                .post(app.url("/api/v1/keys"))
                .bearer_auth(ADMIN_KEY)
                .json(&json!({"name": "auditor", "scopes": scopes})),
        )
        .await;
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn seal(app: &TestApp) -> Value {
    let response = app
        .send(
            app.client
                .post(app.url("/api/jobs/run?only=register"))
                .bearer_auth(JOBS_TOKEN),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["jobs"]["register"].clone()
}

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.send(
        app.client
            .get(app.url(&format!("/api/v1/register/{path}")))
            .bearer_auth(token),
    )
    .await
}

/// Leaves a trail in every log: a form, a newsletter signup, a demo request, a consent decision, a
/// do-not-call request, a privacy request, a mail in the outbox and an API pull.
async fn capture_everything(app: &TestApp) {
    let form = json!({"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+4930123456789",
        "message": "Call me about the engine", "consent_policy_version": "1", "consent_privacy_policy": true});
    assert_eq!(
        app.post_json("/api/forms/contact", &form).await.status(),
        201
    );
    let signup = json!({"email": "ada@example.com", "name": "Ada Lovelace", "consent_newsletter": true,
        "consent_policy_version": "1"});
    assert_eq!(
        app.post_json("/api/newsletter", &signup).await.status(),
        201
    );
    let demo = json!({"name": "Ada Lovelace", "email": "ada@example.com", "company": "Engines Ltd",
        "consent_policy_version": "1", "consent_privacy_policy": true});
    assert_eq!(app.post_json("/api/demo", &demo).await.status(), 201);
    let config: Value = app.get("/api/consent/config").await.json().await.unwrap();
    let decision = json!({"decisions": {}, "banner_version": config["banner_version"],
        "text_hash": config["text_hash"], "locale": "en", "method": "reject_all"});
    assert_eq!(app.post_json("/api/consent", &decision).await.status(), 201);
    let dnc = json!({"phone": "+4930123456789"});
    assert_eq!(
        app.post_json("/api/opt-out/phone", &dnc).await.status(),
        201
    );
    let ask = json!({"email": "ada@example.com", "rights": ["rectification"],
        "details": "My name is Ada King, not Ada Lovelace"});
    assert_eq!(
        app.post_json("/api/privacy/requests", &ask).await.status(),
        202
    );
    let contacts = key(app, &["contacts:write"]).await;
    let import = json!({"source": {"name": "Hannover Messe 2026", "kind": "event", "obtained_at": "2026-11-02",
        "public": false, "legal_basis": "legitimate_interest"},
        "contacts": [{"email": "ada@example.org", "name": "Ada Lovelace"}]});
    let imported = app
        .send(
            app.client
                .post(app.url("/api/v1/contacts/import"))
                .bearer_auth(&contacts)
                .json(&import),
        )
        .await;
    assert_eq!(imported.status(), 200);
    let leads = key(app, &["leads:read"]).await;
    let pulled = app
        .send(
            app.client
                .get(app.url("/api/v1/submissions"))
                .bearer_auth(&leads),
        )
        .await;
    assert_eq!(pulled.status(), 200);
}

// The independent check: RFC 6962 from the RFC, not from `shared::register`.
fn h(parts: &[&[u8]]) -> [u8; 32] {
    let mut d = Sha256::new();
    for p in parts {
        d.update(p);
    }
    d.finalize().into()
}

fn mth(leaves: &[Vec<u8>]) -> [u8; 32] {
    match leaves.len() {
        0 => h(&[]),
        1 => h(&[&[0], &leaves[0]]),
        n => {
            let k = 1 << (usize::BITS - (n - 1).leading_zeros() - 1);
            h(&[&[1], &mth(&leaves[..k]), &mth(&leaves[k..])])
        }
    }
}

/// The checkpoint's (size, root), after checking its Ed25519 signature against the served verifier key.
fn check_note(note: &str, verifier: &str) -> (u64, [u8; 32]) {
    let mut parts = verifier.splitn(3, '+');
    let (name, key) = (parts.next().unwrap(), parts.nth(1).unwrap());
    let key = STANDARD.decode(key).unwrap();
    assert_eq!(key[0], 1, "an Ed25519 key");
    let public = ed25519_dalek::VerifyingKey::from_bytes(&key[1..].try_into().unwrap()).unwrap();
    let (text, signature) = note.split_once("\n\n").unwrap();
    let text = format!("{text}\n");
    let blob = signature
        .trim_end()
        .strip_prefix(&format!("\u{2014} {name} "))
        .expect("a signature line by the log's name");
    let blob = STANDARD.decode(blob).unwrap();
    let signature = ed25519_dalek::Signature::from_bytes(&blob[4..].try_into().unwrap());
    use ed25519_dalek::Verifier;
    public
        .verify(text.as_bytes(), &signature)
        .expect("the checkpoint's signature verifies");
    let lines: Vec<&str> = text.lines().collect();
    let root = STANDARD.decode(lines[2]).unwrap().try_into().unwrap();
    (lines[1].parse().unwrap(), root)
}

/// Every leaf, from the served entry bundles.
async fn leaves(app: &TestApp, token: &str, size: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for n in 0..size.div_ceil(256) {
        let width = (size - n * 256).min(256);
        let path = if width == 256 {
            format!("tile/entries/{n:03}")
        } else {
            format!("tile/entries/{n:03}.p/{width}")
        };
        let bundle = get(app, token, &path).await;
        assert_eq!(bundle.status(), 200, "{path}");
        let bytes = bundle.bytes().await.unwrap();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
            out.push(rest[2..2 + len].to_vec());
            rest = &rest[2 + len..];
        }
    }
    out
}

#[tokio::test]
async fn every_entry_becomes_a_leaf_and_an_independent_check_recomputes_the_signed_root() {
    let app = spawn().await;
    let reader = key(&app, &["register:read"]).await;
    // Before the first run: the empty tree, signed.
    let verifier = get(&app, &reader, "key").await.text().await.unwrap();
    let note = get(&app, &reader, "checkpoint").await.text().await.unwrap();
    assert_eq!(check_note(&note, &verifier), (0, h(&[])));

    capture_everything(&app).await;
    // A webhook endpoint made (the `webhooks` log): registered without its URL or secret.
    let hook =
        json!({"url": "https://hooks.example.com/crm?token=engine", "events": ["person.erased"]});
    let made = app
        .send(
            app.client
                .post(app.url("/api/v1/webhooks"))
                .bearer_auth(ADMIN_KEY)
                .json(&hook),
        )
        .await;
    assert_eq!(made.status(), 201);
    let run = seal(&app).await;
    assert_eq!(run["ran"], true, "{run}");
    let size = run["size"].as_u64().unwrap();
    assert!(size >= 8, "{run}");
    let note = get(&app, &reader, "checkpoint").await.text().await.unwrap();
    let (signed_size, root) = check_note(&note, &verifier);
    assert_eq!(signed_size, size);
    let leaves = leaves(&app, &reader, size).await;
    assert_eq!(leaves.len() as u64, size);
    assert_eq!(mth(&leaves), root, "the served leaves give the signed root");
    // Level-0 tile: the leaf hashes.
    let tile = get(&app, &reader, &format!("tile/0/000.p/{size}"))
        .await
        .bytes()
        .await
        .unwrap();
    let expected: Vec<u8> = leaves.iter().flat_map(|l| h(&[&[0], l])).collect();
    assert_eq!(&tile[..], &expected[..]);

    // Every log is in the register, and no leaf holds an address, a name, a phone, free text or a full IP.
    let mut logs = std::collections::BTreeSet::new();
    for leaf in &leaves {
        let value: Value = serde_json::from_slice(leaf).unwrap();
        logs.insert(value["log"].as_str().unwrap().to_owned());
        let text = String::from_utf8_lossy(leaf).to_lowercase();
        for secret in [
            "ada@example.com",
            "ada lovelace",
            "ada king",
            "4930123456789",
            "engine",
            "127.0.0.1",
        ] {
            assert!(!text.contains(secret), "a leaf holds {secret:?}: {text}");
        }
    }
    let all: std::collections::BTreeSet<String> =
        Log::ALL.iter().map(|l| l.as_str().to_owned()).collect();
    assert_eq!(logs, all, "every kind of log entry was checked");

    // Nothing new: nothing sealed, the same tree.
    let again = seal(&app).await;
    assert_eq!(
        again["size"].as_u64().unwrap(),
        size + again["sealed"].as_u64().unwrap()
    );
}

#[tokio::test]
async fn tiles_beyond_the_tree_are_404_malformed_paths_400_and_reading_needs_the_scope() {
    let app = spawn().await;
    let reader = key(&app, &["register:read"]).await;
    let other = key(&app, &["leads:read"]).await;
    capture_everything(&app).await;
    let size = seal(&app).await["size"].as_u64().unwrap();
    assert_eq!(
        get(&app, &reader, &format!("tile/0/000.p/{}", size + 1))
            .await
            .status(),
        404
    );
    assert_eq!(get(&app, &reader, "tile/0/001").await.status(), 404);
    assert_eq!(get(&app, &reader, "tile/entries/000").await.status(), 404);
    assert_eq!(get(&app, &reader, "tile/0/1").await.status(), 400);
    assert_eq!(get(&app, &reader, "tile/0/000.p/0").await.status(), 400);
    assert_eq!(get(&app, &reader, "tile/x/000").await.status(), 400);
    assert_eq!(get(&app, &other, "checkpoint").await.status(), 403);
    assert_eq!(
        app.send(app.client.get(app.url("/api/v1/register/checkpoint")))
            .await
            .status(),
        401
    );
    // A narrower partial tile is the first hashes of the wider one.
    let wide = get(&app, &reader, &format!("tile/0/000.p/{size}"))
        .await
        .bytes()
        .await
        .unwrap();
    let narrow = get(&app, &reader, "tile/0/000.p/3")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(&narrow[..], &wide[..96]);

    let public = TestApp::spawn_with(|v| {
        vars(v);
        v.set("register_public", "true");
    })
    .await;
    let open = public
        .send(public.client.get(public.url("/api/v1/register/checkpoint")))
        .await;
    assert_eq!(open.status(), 200);
}

#[tokio::test]
async fn a_pending_entry_waits_and_is_sealed_once_final_and_nothing_sealed_changes() {
    let app = spawn().await;
    capture_everything(&app).await;
    let store = app.store();
    let kv = app.kv();
    // A change still landing: its entry written pending at the next number of the access log.
    let seq = u64::try_from(
        kv.increment(&Key::LogHead(Log::Access).to_string(), 1)
            .await
            .unwrap(),
    )
    .unwrap();
    let mut entry = LogEntry {
        v: 1,
        seq,
        at: Timestamp::now(),
        action: Action::Read,
        record: None,
        actor: Actor::System,
        detail: Some("test: still landing".into()),
        revision: None,
        pending: true,
        written_at: Some(Timestamp::now()),
    };
    let key = Key::LogEntry(Log::Access, seq).to_string();
    kv.set_many(vec![(key.clone(), serde_json::to_vec(&entry).unwrap())])
        .await
        .unwrap();
    let first = seal(&app).await;
    assert_eq!(first["waiting"], 1, "{first}");
    let size = first["size"].as_u64().unwrap();
    let reader = key_for(&app).await;
    let before = leaves(&app, &reader, size).await;

    entry.pending = false;
    kv.set_many(vec![(key, serde_json::to_vec(&entry).unwrap())])
        .await
        .unwrap();
    let second = seal(&app).await;
    assert_eq!(second["waiting"], 0, "{second}");
    assert!(second["sealed"].as_u64().unwrap() >= 1);
    let after = leaves(&app, &reader, second["size"].as_u64().unwrap()).await;
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "sealed leaves never change"
    );
    assert!(
        after[before.len()..]
            .iter()
            .any(|l| String::from_utf8_lossy(l).contains("still landing"))
    );
    assert_eq!(store.register_size().await.unwrap(), after.len() as u64);
}

async fn key_for(app: &TestApp) -> String {
    key(app, &["register:read"]).await
}

#[tokio::test]
async fn concurrent_runs_never_seal_an_entry_twice() {
    let app = spawn().await;
    capture_everything(&app).await;
    let run = || async {
        app.send(
            app.client
                .post(app.url("/api/jobs/run?only=register"))
                .bearer_auth(JOBS_TOKEN),
        )
        .await
        .status()
    };
    let (a, b, c) = tokio::join!(run(), run(), run());
    assert!(
        [a, b, c]
            .iter()
            .all(|s| s.is_success() || s.as_u16() == 500)
    );
    seal(&app).await;
    let reader = key_for(&app).await;
    let size = app.store().register_size().await.unwrap();
    let leaves = leaves(&app, &reader, size).await;
    let mut seen = std::collections::BTreeSet::new();
    for leaf in &leaves {
        let value: Value = serde_json::from_slice(leaf).unwrap();
        let id = (
            value["log"].as_str().unwrap().to_owned(),
            value["seq"].as_u64().unwrap(),
        );
        assert!(seen.insert(id.clone()), "{id:?} sealed twice");
    }
}

#[tokio::test]
async fn the_auditor_passes_a_clean_register_and_names_a_changed_entry_by_its_leaf_index() {
    let dir = std::env::temp_dir().join(format!("audit-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("kv.db");
    let app = TestApp::builder(&crate::harness::project_manifest(), vars)
        .file_store(&db)
        .build()
        .unwrap();
    let address = app.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let app = TestApp::from_app(app, address);
    capture_everything(&app).await;
    seal(&app).await;
    let reader = key_for(&app).await;
    let verifier = get(&app, &reader, "key").await.text().await.unwrap();
    let args = audit::Args {
        url: app.base.clone(),
        key: verifier.clone(),
        token: Some(reader.clone()),
        state: Some(dir.join("trusted.json")),
        record: None,
        store: Some(db.clone()),
    };
    let clean = audit::audit(&args).await.unwrap();
    assert!(clean.is_empty(), "{clean:?}");

    // One byte of one stored entry changed: the auditor names it.
    let kv = app.kv();
    let key = Key::LogEntry(Log::Submissions, 1).to_string();
    let mut bytes = kv.get(&key).await.unwrap().unwrap();
    let at = bytes.iter().position(|b| *b == b'c').unwrap();
    bytes[at] = b'C';
    kv.set_many(vec![(key, bytes.clone())]).await.unwrap();
    let findings = audit::audit(&args).await.unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.contains("submissions entry 1 was changed") && f.starts_with("leaf ")),
        "{findings:?}"
    );
    // A changed hash tile, and a changed checkpoint, are reported too.
    let partial = Key::RegisterPartialTile(0).to_string();
    let mut tile = kv.get(&partial).await.unwrap().unwrap();
    tile[0] ^= 1;
    kv.set_many(vec![(partial, tile)]).await.unwrap();
    let findings = audit::audit(&args).await.unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("hash tile tile/0/000")),
        "{findings:?}"
    );
    let checkpoint = Key::RegisterCheckpoint.to_string();
    let note = String::from_utf8(kv.get(&checkpoint).await.unwrap().unwrap()).unwrap();
    let lines: Vec<&str> = note.lines().collect();
    let forged = note.replacen(
        &format!("\n{}\n", lines[1]),
        &format!("\n{}\n", 1 + lines[1].parse::<u64>().unwrap()),
        1,
    );
    kv.set_many(vec![(checkpoint, forged.into_bytes())])
        .await
        .unwrap();
    let findings = audit::audit(&args).await.unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("checkpoint: signature")),
        "{findings:?}"
    );
    // A checkpoint under another key is refused.
    let name = verifier.split('+').next().unwrap();
    let stranger =
        shared::register::note::NoteSigner::from_hex_seed(name, &"ab".repeat(32)).unwrap();
    let wrong = audit::Args {
        key: stranger.verifier_key(),
        ..args.clone()
    };
    let refused = audit::audit(&wrong).await.unwrap();
    assert!(
        refused
            .iter()
            .any(|f| f.starts_with("checkpoint: signature")),
        "{refused:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
