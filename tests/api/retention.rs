//! Retention with a clock the test controls: the policy's rules applied by the store's retention job as
//! if days had passed; only what the rules name changes, nothing under a legal hold.

use crate::harness::TestApp;
use crate::signups::{log, signup};
use serde_json::json;
use shared::records::{Action, Submission, Subscriber};
use shared::retention::Retention;
use shared::store::{Log, RecordKind};
use shared::time::Timestamp;

/// The contact form without the render-time check, so a post without a token is a person's.
const FORMS: &str = r#"
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

    // 29 days on: nothing is due yet.
    let early = store
        .apply_retention(&policy(), &[], now.plus_days(29), false, 10_000)
        .await
        .unwrap();
    assert!(early.rules.iter().all(|r| r.changed == 0), "{early:?}");

    // A dry run 31 days on reports and changes nothing.
    let later = now.plus_days(31);
    let dry = store
        .apply_retention(&policy(), &[], later, true, 10_000)
        .await
        .unwrap();
    let changed = |report: &shared::store::RetentionReport, rule: &str| {
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
    let held = store
        .apply_retention(&policy(), &[RecordKind::Submission], later, false, 10_000)
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
    let run = store
        .apply_retention(&policy(), &[], later, false, 10_000)
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
    let again = store
        .apply_retention(&policy(), &[], later, false, 10_000)
        .await
        .unwrap();
    assert!(again.rules.iter().all(|r| r.changed == 0), "{again:?}");
}
