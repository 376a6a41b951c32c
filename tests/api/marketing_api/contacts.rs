//! Contacts from other sources through the marketing API: the import (JSON and CSV, suppression-safe,
//! idempotent, bad rows named), the Art. 14 notice in the person's language from the notices job, the
//! objection link, the contacts feed and what is owed.

use super::support::{call, create_key};
use crate::harness::{TestApp, test_settings};
use crate::jobs::run;
use serde_json::{Value, json};
use shared::jobs::outbox::pending;
use shared::records::{Actor, ImportedContact, Log, OptOutSource, OutboxMessage};
use shared::store::{Channel, RecordKind};
use shared::time::Timestamp;

async fn app() -> TestApp {
    TestApp::spawn_with(|vars| {
        vars.set("admin_api_key", super::support::ADMIN_KEY)
            .set("jobs_token", crate::jobs::JOBS_TOKEN)
            .set("signup_min_seconds", "0");
    })
    .await
}

fn pseudonym(value: &str) -> String {
    test_settings().pseudonym(value)
}

fn source() -> Value {
    json!({"name": "Hannover Messe 2026", "kind": "event", "obtained_at": "2026-11-20",
           "public": false, "legal_basis": "legitimate_interest"})
}

async fn import(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    call(
        app,
        reqwest::Method::POST,
        "/api/v1/contacts/import",
        Some(key),
        &[],
        Some(body),
    )
    .await
}

async fn get(app: &TestApp, key: &str, path: &str) -> Value {
    let response = call(app, reqwest::Method::GET, path, Some(key), &[], None).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn notices(app: &TestApp) -> Vec<OutboxMessage> {
    let all = pending(&app.store(), Timestamp::now(), usize::MAX)
        .await
        .unwrap();
    all.into_iter().filter(|m| m.notice_for.is_some()).collect()
}

async fn keys(app: &TestApp) -> String {
    create_key(app, &["contacts:write", "contacts:read"], None)
        .await
        .1
}

#[tokio::test]
async fn an_import_suppresses_who_left_and_each_notice_leaves_in_the_persons_language() {
    let app = app().await;
    let key = keys(&app).await;
    app.store()
        .opt_out(
            Channel::Email,
            &pseudonym("gone@example.com"),
            OptOutSource::UnsubscribeLink,
            Actor::System,
            Timestamp::now(),
        )
        .await
        .unwrap();
    let response = import(
        &app,
        &key,
        &json!({"source": source(), "contacts": [
            {"email": "anna@example.de", "name": "Anna Schmidt", "company": "Beispiel GmbH", "country": "DE"},
            {"email": "joost@example.nl", "language": "nl"},
            {"email": "gone@example.com", "name": "Gone"},
        ]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(
        (
            &report["accepted"],
            &report["updated"],
            &report["suppressed"]
        ),
        (&json!(2), &json!(0), &json!(1))
    );
    let gone: Option<ImportedContact> = app
        .store()
        .get(RecordKind::Contact, &pseudonym("gone@example.com"))
        .await
        .unwrap();
    assert!(gone.is_none(), "a suppressed row stores nothing");
    assert!(notices(&app).await.is_empty(), "nothing before the job");
    let listed = get(&app, &key, "/api/v1/contacts").await;
    assert_eq!(listed["items"], json!([]), "not listed before the notice");

    assert_eq!(run(&app, "?only=notices").await.status(), 200);
    let sent = notices(&app).await;
    assert_eq!(sent.len(), 2);
    let to = |address: &str| sent.iter().find(|m| m.message.to == address).unwrap();
    let german = &to("anna@example.de").message;
    assert!(
        german.text_body.contains("Guten Tag Anna Schmidt"),
        "{}",
        german.text_body
    );
    assert!(german.text_body.contains("Hannover Messe 2026"));
    assert!(german.text_body.contains("WIDERSPRUCH"));
    assert_eq!(german.from, "privacy@example.com");
    let dutch = &to("joost@example.nl").message;
    assert!(dutch.text_body.contains("Hannover Messe 2026"));
    assert!(dutch.text_body.contains("BEZWAAR"), "{}", dutch.text_body);
    assert!(sent.iter().all(|m| m.message.to != "gone@example.com"));

    // The second run owes nothing more.
    assert_eq!(run(&app, "?only=notices").await.status(), 200);
    assert_eq!(notices(&app).await.len(), 2);

    // Now listed, with their sources and notice state.
    let listed = get(&app, &key, "/api/v1/contacts").await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["sources"][0]["name"], "Hannover Messe 2026");
    assert_eq!(items[0]["notice"]["status"], "queued");

    // The objection link: GET changes nothing, POST objects and the contact becomes a tombstone.
    let link = german
        .text_body
        .split_whitespace()
        .find(|w| w.contains("/privacy/object/"))
        .unwrap();
    let path = &link[link.find("/privacy/object/").unwrap()..];
    let page = app.get(path).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("lang=de"));
    let anna = pseudonym("anna@example.de");
    let held: Option<ImportedContact> = app.store().get(RecordKind::Contact, &anna).await.unwrap();
    assert!(held.is_some(), "a GET objects to nothing");
    let objected = app.post_form(path, &[]).await;
    assert_eq!(objected.status(), 200);
    let held: Option<ImportedContact> = app.store().get(RecordKind::Contact, &anna).await.unwrap();
    assert!(held.is_none());
    let opted = app
        .store()
        .opted_out(&[(Channel::Email, anna.clone())])
        .await
        .unwrap();
    assert_eq!(opted, vec![Channel::Email]);
    // An import can never bring back a person who objected.
    let again = import(
        &app,
        &key,
        &json!({"source": source(), "contacts": [{"email": "anna@example.de"}]}),
    )
    .await;
    let report: Value = again.json().await.unwrap();
    assert_eq!(
        (&report["accepted"], &report["suppressed"]),
        (&json!(0), &json!(1))
    );
    let after = listed["next_cursor"].as_str().unwrap();
    let later = get(&app, &key, &format!("/api/v1/contacts?after={after}")).await;
    assert_eq!(later["items"], json!([{"id": anna, "deleted": true}]));

    // The register holds the import with its source, and no contact's address or name.
    let entries: Vec<_> = app
        .store()
        .log_entries(Log::Contacts, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|(_, entry)| entry)
        .collect();
    let import_entry = entries
        .iter()
        .find(|e| e.record.is_none())
        .expect("the import's own entry");
    let detail = import_entry.detail.as_deref().unwrap();
    assert!(
        detail.contains("Hannover Messe 2026") && detail.contains("accepted 2"),
        "{detail}"
    );
    for entry in &entries {
        let text = serde_json::to_string(entry).unwrap();
        assert!(
            !text.contains("@example") && !text.contains("Anna"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_reimport_adds_the_source_and_sends_no_second_notice() {
    let app = app().await;
    let key = keys(&app).await;
    let row = json!({"email": "ada@example.com", "external_id": "crm-1"});
    let first = import(&app, &key, &json!({"source": source(), "contacts": [row]})).await;
    assert_eq!(first.status(), 200);
    assert_eq!(run(&app, "?only=notices").await.status(), 200);
    let mut crm = source();
    crm["name"] = json!("CRM");
    crm["kind"] = json!("crm");
    let again = import(&app, &key, &json!({"source": crm, "contacts": [row]})).await;
    let report: Value = again.json().await.unwrap();
    assert_eq!(
        (&report["accepted"], &report["updated"]),
        (&json!(0), &json!(1))
    );
    assert_eq!(run(&app, "?only=notices").await.status(), 200);
    assert_eq!(notices(&app).await.len(), 1);
    let contact: ImportedContact = app
        .store()
        .get(RecordKind::Contact, &pseudonym("ada@example.com"))
        .await
        .unwrap()
        .unwrap();
    let names: Vec<&str> = contact.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Hannover Messe 2026", "CRM"]);
    assert_eq!(contact.language, "en");
}

#[tokio::test]
async fn bad_rows_are_named_and_never_refuse_the_good_ones() {
    let app = app().await;
    let key = keys(&app).await;
    let response = import(
        &app,
        &key,
        &json!({"source": source(), "contacts": [
            {"email": "ok@example.com"},
            {"email": "not-an-email"},
            {"email": "b@example.com", "country": "XX"},
            {"email": "c@example.com", "fax": "1"},
        ]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["accepted"], 1);
    assert_eq!(
        report["rejected"],
        json!([
            {"index": 1, "field": "email", "code": "invalid_email"},
            {"index": 2, "field": "country", "code": "invalid_country"},
            {"index": 3, "field": "fax", "code": "unknown_field"},
        ])
    );
    // Every row refused is still an answer about rows: nothing stored, each named.
    let all_bad = import(
        &app,
        &key,
        &json!({"source": source(), "contacts": [{"name": "No Mail"}]}),
    )
    .await;
    assert_eq!(all_bad.status(), 200);
    let report: Value = all_bad.json().await.unwrap();
    assert_eq!(report["accepted"], 0);
    assert_eq!(
        report["rejected"],
        json!([{"index": 0, "field": "email", "code": "required"}])
    );
    // A body that is not a list of contacts is refused whole, naming the place.
    let not_text = import(
        &app,
        &key,
        &json!({"source": source(), "contacts": [{"email": "a@example.com"}, {"email": 7}]}),
    )
    .await;
    assert_eq!(not_text.status(), 422);
    assert_eq!(
        crate::harness::invalid_fields(not_text).await,
        ["contacts[1].email"]
    );
    assert!(
        app.store()
            .get::<ImportedContact>(RecordKind::Contact, &pseudonym("a@example.com"))
            .await
            .unwrap()
            .is_none(),
        "a refused call stores nothing"
    );
    let mut future = source();
    future["obtained_at"] = json!("2999-01-01");
    let refused = import(
        &app,
        &key,
        &json!({"source": future, "contacts": [{"email": "x@example.com"}]}),
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        crate::harness::invalid_fields(refused).await,
        ["source.obtained_at"]
    );
    let unscoped = create_key(&app, &["leads:read"], None).await.1;
    assert_eq!(import(&app, &unscoped, &json!({})).await.status(), 403);
}

#[tokio::test]
async fn a_csv_import_takes_its_source_from_the_query() {
    let app = app().await;
    let key = keys(&app).await;
    let csv = "email,name,country\r\nlisa@example.at,Lisa Berger,AT\r\n\"jan@example.be\",\"Jan, Peeters\",BE\r\nragged@example.com,Ragged\r\n";
    let response = app
        .send(
            app.client
                .post(app.url("/api/v1/contacts/import?source_name=Acme%20list&source_kind=licensed&obtained_at=2026-12-01&public=false&legal_basis=legitimate_interest"))
                .bearer_auth(&key)
                .header("content-type", "text/csv")
                .body(csv),
        )
        .await;
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["accepted"], 2);
    assert_eq!(
        report["rejected"],
        json!([{"index": 2, "field": "row", "code": "wrong_cell_count"}])
    );
    let jan: ImportedContact = app
        .store()
        .get(RecordKind::Contact, &pseudonym("jan@example.be"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(jan.details.name.as_deref(), Some("Jan, Peeters"));
    assert_eq!(jan.language, "nl");
    assert_eq!(jan.sources[0].kind, "licensed");
    let owed = get(&app, &key, "/api/v1/contacts/notices?status=due").await;
    assert_eq!(owed["counts"]["due"], 2);
    let due_by = Timestamp::parse_rfc3339("2027-01-01T00:00:00Z").unwrap();
    assert_eq!(jan.notice_due_by, due_by, "a month after the day obtained");
}
