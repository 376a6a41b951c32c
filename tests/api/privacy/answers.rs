//! Each answer end to end: the access package, erasure, opt-outs, rectification, and the person index that
//! finds what they cover.

use super::support::{
    EMAIL, NAME, OUTBOX_TOKEN, PHONE, ask, ask_for, capture_everything, decide, keyed_get, link,
    mail_with_subject, mails, only_request, patch, show, spawn, spawn_with_mail, staff_key, verify,
};
use crate::harness::{TestApp, field_errors, test_settings};
use crate::mailer::Provider;
use crate::signups::signup;
use serde_json::{Value, json};
use shared::privacy::{DataRequest, RequestStatus};
use shared::records::{ImportedContact, Submission};
use shared::store::{Channel, Log, RecordKind};
use shared::time::Timestamp;
use std::time::Duration;

async fn deliver(app: &TestApp) {
    let response = app
        .send(
            app.client
                .post(app.url("/api/outbox/deliver"))
                .bearer_auth(OUTBOX_TOKEN),
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_access_request_goes_from_asking_to_a_package_that_lists_everything_held_and_who_read_it()
 {
    let app = spawn().await;
    let captured = capture_everything(&app).await;
    // Marketing pulls the leads: the package must show that this key saw the person's submission.
    let marketing = staff_key(&app, &["leads:read"]).await;
    let pulled = keyed_get(&app, &marketing, "/api/v1/submissions").await;
    assert_eq!(pulled.status(), 200);

    let response = ask(
        &app,
        &json!({"email": EMAIL, "rights": ["access"], "consent_id": captured.consent_id}),
    )
    .await;
    assert_eq!(response.status(), 202);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "check_your_email"})
    );
    let request = only_request(&app).await;
    assert_eq!(request.status, RequestStatus::Unverified);
    assert_eq!(
        request.consent_id.as_deref(),
        Some(captured.consent_id.as_str())
    );

    // The link's page changes nothing (mail scanners fetch links); its button's POST verifies.
    let mail = mail_with_subject(&app, "Please confirm your privacy request").await;
    let page = app.get(&link(&mail, "/privacy/verify/")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=post"));
    assert_eq!(only_request(&app).await.status, RequestStatus::Unverified);
    let verified = verify(&app).await;
    assert_eq!(verified.status(), 200);
    assert!(verified.text().await.unwrap().contains("Request confirmed"));
    let request = only_request(&app).await;
    assert_eq!(request.status, RequestStatus::Open);
    let received = request.received_at.unwrap();
    assert_eq!(request.due_at, Some(received.plus_months(1)));
    mail_with_subject(&app, "We received your privacy request").await;

    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let (shown, _) = show(&app, &officer, &request.id).await;
    assert_eq!(shown["status"], "open");
    assert_eq!(
        shown["found"]["submission"]["ids"],
        json!([captured.submission])
    );
    assert_eq!(
        shown["found"]["demo-request"]["ids"],
        json!([captured.demo_request])
    );
    assert_eq!(shown["found"]["subscriber"]["count"], 1);

    let answered = decide(&app, &officer, &request.id, json!({"action": "approve"})).await;
    assert_eq!(answered["status"], "completed");
    let done = mail_with_subject(&app, "Your privacy request is complete").await;
    let download = link(&done, "/privacy/download/");

    let response = app
        .send(
            app.client
                .get(app.url(&download))
                .header("accept", "application/json"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let package: Value = response.json().await.unwrap();
    let ids = |collection: &str| -> Vec<String> {
        package["records"][collection]
            .as_array()
            .unwrap_or_else(|| panic!("no {collection} in the package"))
            .iter()
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(ids("submissions"), [captured.submission.as_str()]);
    assert_eq!(ids("demo_requests"), [captured.demo_request.as_str()]);
    assert_eq!(
        package["records"]["newsletter"][0]["email"],
        "Ada.Lovelace@example.com"
    );
    assert_eq!(
        package["records"]["consent_decisions"][0]["consent_id"],
        captured.consent_id.as_str()
    );
    assert!(
        package["records"]["mail_sent_to_you"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["subject"] == "Please confirm your subscription")
    );
    let processing = package["processing"].as_array().unwrap();
    let marketing_id = &marketing[4..26];
    assert!(
        processing
            .iter()
            .any(|e| e["by"]["key_id"] == marketing_id && e["action"] == "read"),
        "the marketing key's pull is listed: {processing:#?}"
    );
    assert!(
        processing
            .iter()
            .any(|e| e["log"] == "submissions" && e["record"] == captured.submission.as_str())
    );
    assert!(package["about_this_processing"]["purposes"].is_array());
    // A contact from another source is listed with where it came from (GDPR Art. 15(1)(g)).
    let contacts = &package["records"]["contacts_from_other_sources"];
    assert_eq!(contacts[0]["sources"][0]["name"], "Hannover Messe 2026");
    assert_eq!(contacts[0]["sources"][0]["public"], false);

    let page = app.get(&download).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Download it as JSON") && html.contains(&captured.submission));
    let steps: Vec<String> = app
        .store()
        .get::<DataRequest>(RecordKind::DataRequest, &request.id)
        .await
        .unwrap()
        .unwrap()
        .timeline
        .iter()
        .map(|t| t.step.as_str().to_owned())
        .collect();
    assert_eq!(
        steps,
        [
            "received",
            "verified",
            "acknowledged",
            "approved",
            "fulfilled",
            "downloaded",
            "downloaded"
        ]
    );
}

#[tokio::test]
async fn after_an_erasure_no_value_holds_the_address_name_or_phone_but_the_opt_out_stays() {
    let provider = Provider::start(Duration::ZERO).await;
    let app = spawn_with_mail(Some(&provider)).await;
    let captured = capture_everything(&app).await;
    let leads = staff_key(&app, &["leads:read"]).await;
    let first_page: Value = keyed_get(&app, &leads, "/api/v1/submissions")
        .await
        .json()
        .await
        .unwrap();
    ask_for(&app, &["erasure"]).await;
    assert_eq!(verify(&app).await.status(), 200);
    let request = only_request(&app).await;
    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let answered = decide(&app, &officer, &request.id, json!({"action": "approve"})).await;
    assert_eq!(answered["status"], "completed");
    assert_eq!(
        answered["outcome"]["erased"],
        json!([
            ["contact", 1],
            ["demo-request", 1],
            ["outbox", 3],
            ["submission", 1],
            ["subscriber", 1]
        ]),
        "the confirmation, verification and acknowledgement mails count as outbox records"
    );
    // The completion mail is the last value holding the address, until it is delivered.
    let done = mail_with_subject(&app, "Your privacy request is complete").await;
    assert!(done.message.text_body.contains("erased"));
    deliver(&app).await;
    assert!(
        provider
            .seen()
            .iter()
            .any(|s| s.body["Subject"] == "Your privacy request is complete")
    );

    let needles = [
        EMAIL.to_lowercase(),
        NAME.to_lowercase(),
        PHONE.to_owned(),
        "4930123456789".to_owned(),
    ];
    for (key, value) in app.kv().dump().await.unwrap() {
        let text = String::from_utf8_lossy(&value).to_lowercase();
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()) && !key.to_lowercase().contains(needle.as_str()),
                "{key} still holds {needle}: {text}"
            );
        }
    }
    let settings = test_settings();
    let email_pseudonym = settings.pseudonym(&EMAIL.to_lowercase());
    let store = app.store();
    let channels = store
        .opted_out(&[
            (Channel::Email, email_pseudonym.clone()),
            (Channel::Phone, settings.pseudonym(PHONE)),
        ])
        .await
        .unwrap();
    assert_eq!(channels, [Channel::Email, Channel::Phone]);
    assert!(
        store
            .submission(&captured.submission)
            .await
            .unwrap()
            .is_none()
    );
    // Syncing CRMs receive tombstones after their cursor.
    let next: Value = app
        .send(
            app.client
                .get(app.url(&format!(
                    "/api/v1/submissions?after={}",
                    first_page["next_cursor"].as_str().unwrap()
                )))
                .bearer_auth(&leads),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        next["items"],
        json!([{"id": captured.submission, "deleted": true}])
    );
    // A fresh signup with fresh consent still works.
    let again = app.post_json("/api/newsletter", &signup(EMAIL)).await;
    assert_eq!(again.status(), 201);
    assert_eq!(
        mails(&app).await.last().unwrap().message.subject,
        "Please confirm your subscription"
    );
}

#[tokio::test]
async fn opt_outs_take_effect_when_asked_without_verification_or_a_staff_step() {
    let app = spawn().await;
    ask_for(&app, &["objection", "opt_out_sale_share"]).await;
    let settings = test_settings();
    let email = settings.pseudonym(&EMAIL.to_lowercase());
    let in_force = app
        .store()
        .opted_out(&[
            (Channel::Email, email.clone()),
            (Channel::Phone, settings.pseudonym(PHONE)),
            (Channel::SaleShare, email.clone()),
        ])
        .await
        .unwrap();
    assert_eq!(
        in_force,
        [Channel::Email, Channel::Phone, Channel::SaleShare]
    );
    let request = only_request(&app).await;
    assert_eq!(request.status, RequestStatus::Completed);
    // Nothing to confirm: the mail says so in its subject.
    let mail = mail_with_subject(&app, "Your privacy request: nothing more needed from you").await;
    assert!(mail.message.text_body.contains("already in effect"));
    let opt_outs: Vec<_> = crate::signups::log(&app, Log::OptOuts).await;
    assert_eq!(opt_outs.len(), 3, "one registry entry per channel");
    let steps: Vec<_> = crate::signups::log(&app, Log::Requests)
        .await
        .into_iter()
        .filter_map(|e| e.detail)
        .collect();
    assert_eq!(
        steps,
        [
            "received rights=objection,opt_out_sale_share",
            "opt_outs_applied",
            "fulfilled"
        ]
    );
}

/// The id of the test person's imported contact: the pseudonym of the normalised address.
fn contact_id() -> String {
    let email = shared::domain::EmailAddress::parse(EMAIL).unwrap();
    test_settings().pseudonym(&email.normalized())
}

#[tokio::test]
async fn a_rectification_corrects_every_record_and_reaches_syncing_crms() {
    let app = spawn().await;
    let captured = capture_everything(&app).await;
    let leads = staff_key(&app, &["leads:read"]).await;
    let page: Value = keyed_get(&app, &leads, "/api/v1/demo-requests")
        .await
        .json()
        .await
        .unwrap();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let response = ask(
        &app,
        &json!({"email": EMAIL, "rights": ["rectification"], "details": "My name is Ada King."}),
    )
    .await;
    assert_eq!(response.status(), 202);
    assert_eq!(verify(&app).await.status(), 200);
    let id = only_request(&app).await.id;
    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let refused = patch(
        &app,
        &officer,
        &id,
        Some("*"),
        &json!({"action": "rectify", "changes": {"email": "ada@king.example"}}),
    )
    .await;
    assert_eq!(
        field_errors(refused).await,
        [("changes.email".into(), "not_rectifiable".into())]
    );
    decide(
        &app,
        &officer,
        &id,
        json!({"action": "rectify", "changes": {"name": "Ada King"}}),
    )
    .await;
    let submission: Submission = app
        .store()
        .submission(&captured.submission)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(submission.contact.name.as_deref(), Some("Ada King"));
    let contact: ImportedContact = app
        .store()
        .get(RecordKind::Contact, &contact_id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        contact.details.name.as_deref(),
        Some("Ada King"),
        "the imported contact too"
    );
    let next: Value = keyed_get(
        &app,
        &leads,
        &format!("/api/v1/demo-requests?after={cursor}"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(next["items"][0]["id"], captured.demo_request.as_str());
    assert_eq!(next["items"][0]["contact"]["name"], "Ada King");
    let done = decide(&app, &officer, &id, json!({"action": "approve"})).await;
    // The submission, the demo request, the subscriber and the imported contact.
    assert_eq!(done["outcome"]["rectified"], 4);
}

#[tokio::test]
async fn the_person_index_finds_old_records_and_the_tail_it_has_not_reached() {
    let app = spawn().await;
    let captured = capture_everything(&app).await;
    let settings = test_settings();
    let pseudonymise = |v: &str| settings.pseudonym(v);
    let store = app.store();
    let email = settings.pseudonym(&EMAIL.to_lowercase());
    let phone = settings.pseudonym(PHONE);
    // Nothing indexed yet: everything comes from the tail.
    let from_tail = store
        .person_references(&[&email, &phone], &pseudonymise, Timestamp::now())
        .await
        .unwrap();
    let run = shared::jobs::people::index(&store, &pseudonymise, 10_000, Timestamp::now())
        .await
        .unwrap();
    assert!(run.entries > 0 && run.behind == 0, "{run:?}");
    let indexed = store
        .person_references(&[&email, &phone], &pseudonymise, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(indexed, from_tail);
    assert!(indexed.iter().any(|r| r.id == captured.submission));
    // A capture after the run is found in the tail; a second run indexes it once.
    let later = app
        .post_json(
            "/api/forms/whitepaper",
            &json!({"email": EMAIL, "consent_policy_version": "2026-01", "consent_privacy_policy": true}),
        )
        .await;
    let later = later.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let found = store
        .person_references(&[&email], &pseudonymise, Timestamp::now())
        .await
        .unwrap();
    assert!(found.iter().any(|r| r.id == later));
    shared::jobs::people::index(&store, &pseudonymise, 10_000, Timestamp::now())
        .await
        .unwrap();
    shared::jobs::people::index(&store, &pseudonymise, 10_000, Timestamp::now())
        .await
        .unwrap();
    let again = store
        .person_references(&[&email], &pseudonymise, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(again, found);
    // Someone else's records are not found.
    let other = settings.pseudonym("grace@example.com");
    assert!(
        store
            .person_references(&[&other], &pseudonymise, Timestamp::now())
            .await
            .unwrap()
            .is_empty()
    );
}
