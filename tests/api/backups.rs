//! Backups and restores through the test host: a backup taken while the app runs, the register mirrored
//! off the machine, then an erasure, an unsubscribe and a retention deletion; the restore of the backup
//! with the mirror brings none of them back, keeps everything else, and leaves a register the auditor
//! passes. A mirror that is not this backup's register is refused. On SQLite, or with `TEST_KV=redis`
//! from Redis into a fresh Redis.

use crate::harness::{TestApp, fresh_redis, project_manifest, test_settings};
use crate::privacy::support::{
    ADMIN_KEY, EMAIL, NAME, OUTBOX_TOKEN, PHONE, ask_for, capture_everything, decide, only_request,
    staff_key, verify,
};
use crate::signups::{link_path, outbox, signup};
use ::host::kv::backup::{backup, restore};
use ::host::kv::{Database, Location};
use serde_json::{Value, json};
use shared::jobs::retention;
use shared::records::retention::Retention;
use shared::records::{Subscriber, SubscriberStatus};
use shared::store::{Channel, RecordKind};
use shared::time::Timestamp;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const JOBS_TOKEN: &str = "jobs-token-backups-0123456789";
const SEED: &str = "4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a";

/// The contact form without the render-time check, so that a post without a token is a person's.
const FORMS: &str = r#"
[contact]
kind = "contact"
fields = ["name", "email", "company", "title", "phone", "message"]
required = ["name", "email", "message"]
consents = ["privacy_policy", "marketing_email"]
required_consents = ["privacy_policy"]
thank_you = "http://127.0.0.1:3000/thanks.html"
min_seconds = 0
"#;

fn vars(v: &mut crate::harness::Vars) {
    v.set("admin_api_key", ADMIN_KEY)
        .set("forms", FORMS)
        .set("jobs_token", JOBS_TOKEN)
        .set("outbox_token", OUTBOX_TOKEN)
        .set("register_signing_key", SEED)
        .set("signup_min_seconds", "0")
        .set("privacy_min_seconds", "0")
        .set("trusted_proxies", "127.0.0.1/32");
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "backups-{name}-{}-{}",
        std::process::id(),
        shared::ids::new_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The app on a store a backup can be taken from: a SQLite file in `dir`, or with `TEST_KV=redis` a
/// Redis server of its own; answers it with the store's name for the tools.
async fn spawn_in(dir: &Path) -> (TestApp, String) {
    let builder = TestApp::builder(&project_manifest(), vars);
    let builder = match Location::for_tests() {
        Location::FreshRedis => builder.store_at(Location::FreshRedis),
        _ => builder.file_store(dir.join("live.db")),
    };
    let app = builder.build().unwrap();
    let address = app.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let app = TestApp::from_app(app, address);
    let db = app.app.database();
    let name = match (db.path(), db.redis_server()) {
        (Some(path), _) => path.display().to_string(),
        (None, Some(server)) => server.url(),
        _ => unreachable!("a file or a Redis server"),
    };
    (app, name)
}

/// An empty store to restore into, of the same kind; the database is kept open while it is used.
fn empty_target(dir: &Path) -> (String, Option<Database>) {
    match Location::for_tests() {
        Location::FreshRedis => {
            let db = fresh_redis().expect("redis-server");
            let url = db.redis_server().unwrap().url();
            (url, Some(db))
        }
        _ => (dir.join("restored.db").display().to_string(), None),
    }
}

async fn post_jobs(app: &TestApp, only: &str) -> Value {
    let response = app
        .send(
            app.client
                .post(app.url(&format!("/api/jobs/run?only={only}")))
                .bearer_auth(JOBS_TOKEN),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn register_reader(app: &TestApp) -> String {
    staff_key(app, &["register:read"]).await
}

fn auditor(
    app: &TestApp,
    token: &str,
    key: &str,
    state: &Path,
    store: Option<PathBuf>,
) -> audit::Args {
    audit::Args {
        url: app.base.clone(),
        key: key.to_owned(),
        token: Some(token.to_owned()),
        state: Some(state.to_owned()),
        record: None,
        store,
    }
}

/// Every record of the kinds a backup keeps and a restore must give back exactly, by key.
async fn kept_records(app_kv: &::host::kv::KvStore) -> BTreeMap<String, Vec<u8>> {
    let kinds = [
        RecordKind::Submission,
        RecordKind::Subscriber,
        RecordKind::DemoRequest,
        RecordKind::Consent,
        RecordKind::OptOut,
        RecordKind::Contact,
    ];
    let prefixes: Vec<String> = kinds
        .iter()
        .map(|k| shared::store::Key::Record(*k, "").to_string())
        .collect();
    app_kv
        .dump()
        .await
        .unwrap()
        .into_iter()
        .filter(|(key, _)| prefixes.iter().any(|p| key.starts_with(p.as_str())))
        .collect()
}

#[tokio::test]
async fn a_restore_brings_back_everything_but_what_was_erased_unsubscribed_or_deleted_since() {
    let dir = scratch("restore");
    let (app, live) = spawn_in(&dir).await;
    // The person who will be erased, one who will unsubscribe, a bot, and someone who stays.
    capture_everything(&app).await;
    let una = "una@example.com";
    assert_eq!(
        app.post_json("/api/newsletter", &{
            let mut body = signup(una);
            body["name"] = json!("Una Example");
            body
        })
        .await
        .status(),
        201
    );
    let mail = outbox(&app).await.pop().unwrap().message;
    let confirm = link_path(&mail.text_body, "/api/newsletter/confirm/");
    assert_eq!(app.post_form(&confirm, &[]).await.status(), 200);
    let unsubscribe = link_path(mail.header("List-Unsubscribe").unwrap(), "/u/");
    let form = |email: &str| {
        json!({"name": "Someone", "email": email, "message": "hello", "consent_policy_version": "2026-01",
               "consent_privacy_policy": true})
    };
    let mut bot = form("bot@example.com");
    bot["_gotcha"] = json!("a bot fills every field");
    let spam = app.post_json("/api/forms/contact", &bot).await;
    assert_eq!(spam.status(), 201);
    let spam: String = spam.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .into();
    let kim = app
        .post_json("/api/forms/contact", &form("kim@example.com"))
        .await;
    let kim: String = kim.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .into();
    post_jobs(&app, "register").await;

    // The nightly backup, while the app runs, and the register mirrored off the machine.
    let file = dir.join("nightly.backup");
    let taken = backup(&live, "default", &file).await.unwrap();
    assert!(
        taken.checkpoint.is_some(),
        "the backup names the register's checkpoint"
    );
    let mirror_dir = dir.join("mirror");
    let reader = register_reader(&app).await;
    let mirror_args = audit::Args {
        url: app.base.clone(),
        token: Some(reader.clone()),
        ..audit::Args::default()
    };
    audit::mirror::mirror(&mirror_args, &mirror_dir)
        .await
        .unwrap();

    // After it: Ada is erased through the privacy centre, Una unsubscribes, retention deletes the spam.
    ask_for(&app, &["erasure"]).await;
    assert_eq!(verify(&app).await.status(), 200);
    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let request = only_request(&app).await;
    let answered = decide(&app, &officer, &request.id, json!({"action": "approve"})).await;
    assert_eq!(answered["status"], "completed");
    assert_eq!(app.post_form(&unsubscribe, &[]).await.status(), 200);
    let policy = Retention::parse(
        &::host::manifest::Manifest::load(&project_manifest())
            .unwrap()
            .variables["retention"]
            .default
            .clone()
            .unwrap(),
    )
    .unwrap();
    let later = Timestamp::now().plus_days(31);
    retention::apply(&app.store(), &policy, &[], later, false, 10_000)
        .await
        .unwrap();
    assert!(app.store().submission(&spam).await.unwrap().is_none());
    post_jobs(&app, "register").await;
    // The mirror's last run before the machine is lost; the auditor trusts its checkpoint.
    audit::mirror::mirror(&mirror_args, &mirror_dir)
        .await
        .unwrap();
    let verifier = app
        .send(
            app.client
                .get(app.url("/api/v1/register/key"))
                .bearer_auth(&reader),
        )
        .await
        .text()
        .await
        .unwrap();
    let trusted = dir.join("trusted.json");
    let findings = audit::audit(&auditor(&app, &reader, &verifier, &trusted, None))
        .await
        .unwrap();
    assert!(findings.is_empty(), "{findings:?}");
    let expected = kept_records(&app.kv()).await;

    // The machine is lost; the backup and the mirror are restored into an empty store.
    let (target, _held) = empty_target(&dir);
    let restored = restore(&file, &mirror_dir, &target).await.unwrap();
    assert!(restored.size > restored.from, "{restored:?}");
    let replayed = &restored.replayed;
    assert!(replayed.erased >= 3, "Ada's records: {replayed:?}");
    assert!(
        replayed.opt_outs >= 2 && replayed.unsubscribed == 1,
        "{replayed:?}"
    );
    assert_eq!(replayed.lost_requests, vec![request.id]);

    let builder = TestApp::builder(&project_manifest(), vars);
    let builder = match &restored_location(&target) {
        Location::File(path) => builder.file_store(path.clone()),
        other => builder.store_at(other.clone()),
    };
    let app2 = builder.build().unwrap();
    let address = app2.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let app2 = TestApp::from_app(app2, address);

    // Nothing erased came back: no stored value holds Ada's address, name or phone.
    let needles = [EMAIL.to_lowercase(), NAME.to_lowercase(), PHONE.to_owned()];
    for (key, value) in app2.kv().dump().await.unwrap() {
        let text = String::from_utf8_lossy(&value).to_lowercase();
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "{key} holds {needle} again"
            );
        }
    }
    let store = app2.store();
    assert!(
        store.submission(&spam).await.unwrap().is_none(),
        "the spam post stays deleted"
    );
    assert!(
        store.submission(&kim).await.unwrap().is_some(),
        "Kim's post is back"
    );
    let settings = test_settings();
    let una_id = settings.pseudonym(una);
    let subscriber: Subscriber = store
        .get(RecordKind::Subscriber, &una_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subscriber.status, SubscriberStatus::Unsubscribed);
    assert_eq!(
        store.opted_out(&[(Channel::Email, una_id)]).await.unwrap(),
        [Channel::Email],
        "Una gets no newsletter"
    );
    // Every record the backup held is as the lost machine last had it (or gone, as there).
    assert_eq!(kept_records(&app2.kv()).await, expected);

    // The register goes on as the same tree: the restored app seals the replay's entries, and the
    // auditor that trusted the lost machine's checkpoint passes, store included.
    post_jobs(&app2, "register").await;
    let reader2 = register_reader(&app2).await;
    let store_arg = match restored_location(&target) {
        Location::File(path) => Some(path),
        _ => Some(PathBuf::from(&target)),
    };
    let findings = audit::audit(&auditor(&app2, &reader2, &verifier, &trusted, store_arg))
        .await
        .unwrap();
    assert!(findings.is_empty(), "{findings:?}");
    std::fs::remove_dir_all(&dir).ok();
}

fn restored_location(target: &str) -> Location {
    ::host::kv::backup::location(target)
}

#[tokio::test]
async fn a_mirror_that_is_not_the_backups_register_is_refused_and_nothing_is_written() {
    let dir = scratch("refused");
    let (app, live) = spawn_in(&dir).await;
    app.post_json("/api/newsletter", &signup("one@example.com"))
        .await;
    post_jobs(&app, "register").await;
    let file = dir.join("nightly.backup");
    backup(&live, "default", &file).await.unwrap();

    // Another app under the same key whose register grew differently: its tree does not extend the
    // backup's checkpoint.
    let other_dir = scratch("refused-other");
    let (other, _) = spawn_in(&other_dir).await;
    for n in 0..3 {
        other
            .post_json("/api/newsletter", &signup(&format!("other{n}@example.com")))
            .await;
    }
    post_jobs(&other, "register").await;
    let mirror_dir = dir.join("mirror");
    let args = audit::Args {
        url: other.base.clone(),
        token: Some(register_reader(&other).await),
        ..audit::Args::default()
    };
    audit::mirror::mirror(&args, &mirror_dir).await.unwrap();

    let target = dir.join("restored.db");
    let refused = restore(&file, &mirror_dir, &target.display().to_string())
        .await
        .unwrap_err();
    assert!(
        format!("{refused:#}").contains("not consistent with the backup's checkpoint"),
        "{refused:#}"
    );
    assert!(!target.exists(), "nothing was written");
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&other_dir).ok();
}

#[tokio::test]
async fn the_mirror_refuses_a_register_that_was_rewritten_since_its_last_run() {
    let dir = scratch("rewritten");
    let (app, _) = spawn_in(&dir).await;
    app.post_json("/api/newsletter", &signup("one@example.com"))
        .await;
    post_jobs(&app, "register").await;
    let mirror_dir = dir.join("mirror");
    let args = audit::Args {
        url: app.base.clone(),
        token: Some(register_reader(&app).await),
        ..audit::Args::default()
    };
    let first = audit::mirror::mirror(&args, &mirror_dir).await.unwrap();
    assert_eq!(first.before, 0);

    // Another register under the same key, served at the same mirror: a rewritten history.
    let (other, _) = spawn_in(&scratch("rewritten-other")).await;
    for n in 0..4 {
        other
            .post_json("/api/newsletter", &signup(&format!("other{n}@example.com")))
            .await;
    }
    post_jobs(&other, "register").await;
    let forged = audit::Args {
        url: other.base.clone(),
        token: Some(register_reader(&other).await),
        ..audit::Args::default()
    };
    let mirrored = files_under(&mirror_dir);
    let refused = audit::mirror::mirror(&forged, &mirror_dir)
        .await
        .unwrap_err();
    assert!(
        format!("{refused:#}").contains("changed since they were mirrored"),
        "{refused:#}"
    );
    assert_eq!(
        files_under(&mirror_dir),
        mirrored,
        "nothing of the rewritten register was kept"
    );
    let again = audit::mirror::mirror(&args, &mirror_dir).await.unwrap();
    assert_eq!(
        (again.before, again.fetched),
        (first.size, 0),
        "nothing new, nothing fetched"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Every file under `dir` with its bytes, by path.
fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(at) = todo.pop() {
        for item in std::fs::read_dir(&at).unwrap() {
            let path = item.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}
