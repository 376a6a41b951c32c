//! Retention with a clock the test controls: the policy's rules applied by the store's retention job as
//! if days had passed; only what the rules name changes, nothing under a legal hold. The run's rate-limit
//! sweep leaves no client's entry past its window.

use crate::harness::{TestApp, test_settings};
use crate::signups::{log, signup};
use serde_json::json;
use shared::jobs::retention::{self, RATE_LIMIT_RULE, RetentionReport};
use shared::records::retention::Retention;
use shared::records::{Action, Submission, Subscriber};
use shared::store::{Log, RateEntry, RecordKind, rate_slot};
use shared::time::Timestamp;
use std::collections::BTreeMap;

/// The contact form without the render-time check, so a post without a token is a person's.
pub(crate) const FORMS: &str = r#"
[contact]
kind = "contact"
fields = ["name", "email", "message"]
required = ["email"]
consents = ["privacy_policy"]
required_consents = ["privacy_policy"]
thank_you = "http://127.0.0.1:3000/thanks.html"
min_seconds = 0
"#;

async fn spawn() -> TestApp {
    TestApp::spawn_with(|v| {
        v.set("forms", FORMS).set("signup_min_seconds", "0");
    })
    .await
}

fn policy() -> Retention {
    let manifest = ::host::manifest::Manifest::load(&crate::harness::project_manifest()).unwrap();
    let raw = manifest.variables["retention"].default.clone().unwrap();
    Retention::parse(&raw).unwrap()
}

async fn submit(app: &TestApp, email: &str, spam: bool) -> String {
    let mut body =
        json!({"email": email, "consent_policy_version": "1", "consent_privacy_policy": true});
    if spam {
        body["_gotcha"] = json!("a bot fills every field");
    }
    let response = app.post_json("/api/forms/contact", &body).await;
    assert_eq!(response.status(), 201);
    response.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn retention_deletes_what_its_rules_name_minimises_old_ips_and_spares_the_rest() {
    let app = spawn().await;
    submit(&app, "ada@example.com", false).await;
    let bot = submit(&app, "bot@example.com", true).await;
    assert_eq!(
        app.post_json("/api/newsletter", &signup("pending@example.com"))
            .await
            .status(),
        201
    );
    let store = app.store();
    let now = Timestamp::now();

    // 29 days on: no record is due yet (the posts' rate-limit windows are long over).
    let early = retention::apply(&store, &policy(), &[], now.plus_days(29), false, 10_000)
        .await
        .unwrap();
    assert!(
        early
            .rules
            .iter()
            .all(|r| r.changed == 0 || r.rule == RATE_LIMIT_RULE),
        "{early:?}"
    );

    // A dry run 31 days on reports and changes nothing.
    let later = now.plus_days(31);
    let dry = retention::apply(&store, &policy(), &[], later, true, 10_000)
        .await
        .unwrap();
    let changed = |report: &RetentionReport, rule: &str| {
        report
            .rules
            .iter()
            .find(|r| r.rule == rule)
            .map(|r| (r.changed, r.held))
            .unwrap()
    };
    assert_eq!(changed(&dry, "submission-spam-30d-captured"), (1, 0));
    assert_eq!(changed(&dry, "subscriber-unconfirmed-30d-captured"), (1, 0));
    assert!(store.submission(&bot).await.unwrap().is_some());

    // Under a legal hold on submissions, the spam submission is counted and kept.
    let held = retention::apply(
        &store,
        &policy(),
        &[RecordKind::Submission],
        later,
        false,
        10_000,
    )
    .await
    .unwrap();
    assert_eq!(changed(&held, "submission-spam-30d-captured"), (0, 1));
    assert!(store.submission(&bot).await.unwrap().is_some());

    // A fresh app: the same rules without a hold.
    let app = spawn().await;
    let person = submit(&app, "ada@example.com", false).await;
    let bot = submit(&app, "bot@example.com", true).await;
    assert_eq!(
        app.post_json("/api/newsletter", &signup("pending@example.com"))
            .await
            .status(),
        201
    );
    let store = app.store();
    let later = Timestamp::now().plus_days(31);
    let run = retention::apply(&store, &policy(), &[], later, false, 10_000)
        .await
        .unwrap();
    assert_eq!(changed(&run, "submission-spam-30d-captured"), (1, 0));
    assert_eq!(changed(&run, "subscriber-unconfirmed-30d-captured"), (1, 0));
    assert_eq!(changed(&run, "full-ip-submission"), (1, 0));
    assert!(
        store.submission(&bot).await.unwrap().is_none(),
        "spam is gone"
    );
    let kept: Submission = store.submission(&person).await.unwrap().unwrap();
    assert!(kept.origin.ip.is_none(), "the full IP is gone");
    assert!(
        !kept.origin.ip_truncated.is_empty(),
        "the truncated one stays"
    );
    let subscribers: Vec<Option<Subscriber>> = store
        .records(
            RecordKind::Subscriber,
            &[&crate::harness::test_settings().pseudonym("pending@example.com")],
        )
        .await
        .unwrap();
    assert!(subscribers[0].is_none(), "the unconfirmed signup is gone");
    // Deletions are tombstones in the feed, and the run's report is a register entry.
    let erased: Vec<_> = log(&app, Log::Submissions)
        .await
        .into_iter()
        .filter(|e| e.action == Action::Erased)
        .collect();
    assert_eq!(erased.len(), 1);
    assert!(log(&app, Log::Access).await.iter().any(|e| {
        e.detail
            .as_deref()
            .is_some_and(|d| d.starts_with("retention run"))
    }));
    // Idempotent: a second run finds nothing more.
    let again = retention::apply(&store, &policy(), &[], later, false, 10_000)
        .await
        .unwrap();
    assert!(again.rules.iter().all(|r| r.changed == 0), "{again:?}");
}

/// The app behind a trusted proxy on loopback, so a test chooses each post's client address.
async fn spawn_behind_proxy(rate_limit: &str) -> TestApp {
    TestApp::spawn_with(|v| {
        v.set("forms", FORMS)
            .set("trusted_proxies", "127.0.0.1/32")
            .set("rate_limit", rate_limit);
    })
    .await
}

async fn submit_from(app: &TestApp, ip: &str) {
    let body = json!({"email": "ada@example.com", "consent_policy_version": "1",
                      "consent_privacy_policy": true});
    let response = app
        .post_json_with("/api/forms/contact", &body, &[("x-forwarded-for", ip)])
        .await;
    assert_eq!(response.status(), 201);
}

/// Every rate-limit entry stored, by client bucket; each in the slot its bucket hashes to.
async fn rate_entries(app: &TestApp) -> BTreeMap<String, RateEntry> {
    let mut entries = BTreeMap::new();
    for (n, slot) in app.store().rate_slots().await.unwrap() {
        assert!(!slot.is_empty(), "an empty slot is deleted, not kept");
        for (client, entry) in slot.clients() {
            assert_eq!(rate_slot(client), n, "{client} is in its own slot");
            entries.insert(client.to_owned(), entry);
        }
    }
    entries
}

fn bucket(ip: &str) -> String {
    test_settings().rate_bucket(ip.parse().unwrap())
}

fn sweep(report: &RetentionReport) -> (u64, u64) {
    let rule = report
        .rules
        .iter()
        .find(|r| r.rule == RATE_LIMIT_RULE)
        .expect("the sweep is in every run's report");
    (rule.examined, rule.changed)
}

#[tokio::test]
async fn after_their_window_a_retention_run_leaves_no_rate_limit_entry_stored() {
    let app = spawn_behind_proxy("20/600").await;
    let before = Timestamp::now();
    for ip in ["203.0.113.7", "2001:db8::7"] {
        submit_from(&app, ip).await;
        submit_from(&app, ip).await;
    }
    let counts: BTreeMap<String, u64> = rate_entries(&app)
        .await
        .into_iter()
        .map(|(client, entry)| (client, entry.count))
        .collect();
    let expected: BTreeMap<String, u64> = [(bucket("203.0.113.7"), 2), (bucket("2001:db8::7"), 2)]
        .into_iter()
        .collect();
    assert_eq!(counts, expected);
    let store = app.store();

    // Within the window the sweep reads both clients and clears neither.
    let within = retention::apply(&store, &policy(), &[], before, false, 10_000)
        .await
        .unwrap();
    assert_eq!(sweep(&within), (2, 0));
    assert_eq!(rate_entries(&app).await.len(), 2);

    // After it, a dry run reports both and clears nothing; a run clears both and deletes their slots.
    let after = Timestamp::now().plus_seconds(601);
    let dry = retention::apply(&store, &policy(), &[], after, true, 10_000)
        .await
        .unwrap();
    assert_eq!(sweep(&dry), (2, 2));
    assert_eq!(rate_entries(&app).await.len(), 2);
    let run = retention::apply(&store, &policy(), &[], after, false, 10_000)
        .await
        .unwrap();
    assert_eq!(sweep(&run), (2, 2));
    assert!(store.rate_slots().await.unwrap().is_empty(), "no slot left");
    // Clearing hashed addresses is no record's deletion: the register gets no retention entry for it.
    assert!(!log(&app, Log::Access).await.iter().any(|e| {
        e.detail
            .as_deref()
            .is_some_and(|d| d.starts_with("retention run"))
    }));
    // A client posting again starts a new window.
    submit_from(&app, "203.0.113.7").await;
    assert_eq!(rate_entries(&app).await[&bucket("203.0.113.7")].count, 1);
}
