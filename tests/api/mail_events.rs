//! Bounces and spam complaints from the mail provider (`POST /api/mail/events`, Postmark's webhooks as
//! Postmark sends them): a hard bounce, or soft bounces past the limit, puts the address on the
//! do-not-contact registry as undeliverable, a complaint unsubscribes it, a bounced Art. 14 notice makes
//! its contact undeliverable; the opt-out check and the webhooks say so.

use crate::harness::{TestApp, test_settings};
use crate::jobs::{JOBS_TOKEN, run};
use crate::marketing_api::support::{ADMIN_KEY, create_key};
use crate::receiver::Receiver;
use crate::signups::signup;
use serde_json::{Value, json};
use shared::records::{ImportedContact, NoticeStatus, Subscriber, SubscriberStatus};
use shared::store::RecordKind;

const SECRET: &str = "pm-events-secret-0123456789";

async fn spawn_with(hosts: &str) -> TestApp {
    TestApp::spawn_with(|vars| {
        vars.set("admin_api_key", ADMIN_KEY)
            .set("jobs_token", JOBS_TOKEN)
            .set("signup_min_seconds", "0")
            .set("mail_events_secret", SECRET)
            .set("webhook_allowed_hosts", hosts);
    })
    .await
}

async fn event(app: &TestApp, password: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.client.post(app.url("/api/mail/events")).json(body);
    if let Some(password) = password {
        request = request.basic_auth("postmark", Some(password));
    }
    app.send(request).await
}

async fn event_ok(app: &TestApp, body: &Value) -> Value {
    let response = event(app, Some(SECRET), body).await;
    assert_eq!(response.status(), 200, "{body}");
    response.json().await.unwrap()
}

fn bounce(kind: &str, email: &str) -> Value {
    json!({"RecordType": "Bounce", "Type": kind, "TypeCode": 1, "MessageID": "not-ours",
           "Email": email, "Description": "The server was unable to deliver your message",
           "BouncedAt": "2026-12-07T10:00:00Z", "MessageStream": "outbound"})
}

/// The opt-out check's answer for `email`.
async fn checked(app: &TestApp, email: &str) -> Value {
    let (_, key) = create_key(app, &["opt-outs:read"], None).await;
    let response = app
        .send(
            app.client
                .post(app.url("/api/v1/opt-outs/check"))
                .bearer_auth(key)
                .json(&json!({"emails": [email]})),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["emails"][0].clone()
}

async fn subscriber(app: &TestApp, email: &str) -> Subscriber {
    let id = test_settings().pseudonym(email);
    app.store()
        .get(RecordKind::Subscriber, &id)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_hard_bounce_marks_a_subscribed_address_undeliverable_and_the_systems_fed_learn_it() {
    let receiver = Receiver::start().await;
    let app = spawn_with(&receiver.origin).await;
    let created = app
        .send(
            app.client
                .post(app.url("/api/v1/webhooks"))
                .bearer_auth(ADMIN_KEY)
                .json(
                    &json!({"url": receiver.url(), "events": ["opt_out.created"],
                              "scopes": ["opt-outs:read", "leads:read"]}),
                ),
        )
        .await;
    assert_eq!(created.status(), 201);
    assert_eq!(
        app.post_json("/api/newsletter", &signup("ada@example.com"))
            .await
            .status(),
        201
    );

    let answer = event_ok(&app, &bounce("HardBounce", "Ada@Example.com")).await;
    assert_eq!(answer, json!({"outcome": "undeliverable"}));
    let check = checked(&app, "ada@example.com").await;
    assert_eq!(
        (&check["opted_out"], &check["reason"]),
        (&json!(true), &json!("hard_bounce"))
    );

    // The mail tool fed by a webhook stops mailing it: it is told, with the address it knows.
    assert_eq!(run(&app, "?only=webhooks").await.status(), 200);
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].event_type(), "opt_out.created");
    assert_eq!(seen[0].body["data"]["source"], "hard_bounce");
    assert_eq!(seen[0].body["data"]["address"], "ada@example.com");
}

#[tokio::test]
async fn a_spam_complaint_unsubscribes_the_address_and_puts_it_on_the_registry() {
    let app = spawn_with("").await;
    assert_eq!(
        app.post_json("/api/newsletter", &signup("grace@example.com"))
            .await
            .status(),
        201
    );
    let complaint = json!({"RecordType": "SpamComplaint", "Email": "grace@example.com", "ID": 42});
    assert_eq!(
        event_ok(&app, &complaint).await,
        json!({"outcome": "complaint"})
    );
    let stored = subscriber(&app, "grace@example.com").await;
    assert_eq!(stored.status, SubscriberStatus::Unsubscribed);
    let check = checked(&app, "grace@example.com").await;
    assert_eq!(
        (&check["opted_out"], &check["reason"]),
        (&json!(true), &json!("spam_complaint"))
    );
}

#[tokio::test]
async fn soft_bounces_become_a_hard_one_at_the_limit() {
    let app = spawn_with("").await;
    for n in 1..=2 {
        let answer = event_ok(&app, &bounce("SoftBounce", "linus@example.com")).await;
        assert_eq!(
            answer,
            json!({"outcome": "soft_bounce_counted", "soft_bounces": n})
        );
        assert_eq!(checked(&app, "linus@example.com").await["opted_out"], false);
    }
    let answer = event_ok(&app, &bounce("Transient", "linus@example.com")).await;
    assert_eq!(
        answer,
        json!({"outcome": "undeliverable", "soft_bounces": 3})
    );
    assert_eq!(
        checked(&app, "linus@example.com").await["reason"],
        "hard_bounce"
    );
    let other = json!({"RecordType": "Delivery", "Email": "linus@example.com"});
    assert_eq!(event_ok(&app, &other).await, json!({"outcome": "ignored"}));
    // Counted anew, so once a confirmed signup lifts the mark the limit holds in full again.
    assert_eq!(
        event_ok(&app, &bounce("SoftBounce", "linus@example.com")).await,
        json!({"outcome": "soft_bounce_counted", "soft_bounces": 1})
    );
}

#[tokio::test]
async fn only_the_provider_with_the_secret_is_heard_and_a_bad_event_is_named() {
    let app = spawn_with("").await;
    let body = bounce("HardBounce", "ada@example.com");
    assert_eq!(event(&app, None, &body).await.status(), 401);
    assert_eq!(event(&app, Some("wrong"), &body).await.status(), 401);
    let missing = event(&app, Some(SECRET), &json!({"Email": "ada@example.com"})).await;
    assert_eq!(
        crate::harness::invalid_fields(missing).await,
        ["RecordType"]
    );
    let bad = event(
        &app,
        Some(SECRET),
        &json!({"RecordType": "Bounce", "Type": "HardBounce", "Email": "nope"}),
    )
    .await;
    assert_eq!(crate::harness::invalid_fields(bad).await, ["Email"]);
    assert_eq!(
        checked(&app, "ada@example.com").await["opted_out"],
        false,
        "nothing stored"
    );

    let closed = TestApp::spawn().await;
    assert_eq!(
        event(&closed, Some(""), &body).await.status(),
        401,
        "no secret: nobody"
    );
}

#[tokio::test]
async fn a_bounced_art_14_notice_makes_its_contact_undeliverable() {
    let app = spawn_with("").await;
    let (_, key) = create_key(&app, &["contacts:write"], None).await;
    let source = json!({"name": "Hannover Messe 2026", "kind": "event", "obtained_at": "2026-11-20",
                        "public": false, "legal_basis": "legitimate_interest"});
    let response = app
        .send(
            app.client
                .post(app.url("/api/v1/contacts/import"))
                .bearer_auth(key)
                .json(&json!({"source": source, "contacts": [{"email": "anna@example.de", "country": "DE"}]})),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(run(&app, "?only=notices").await.status(), 200);
    assert_eq!(
        event_ok(&app, &bounce("HardBounce", "anna@example.de")).await["outcome"],
        "undeliverable"
    );
    let contact: ImportedContact = app
        .store()
        .get(
            RecordKind::Contact,
            &test_settings().pseudonym("anna@example.de"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(contact.notice_status(), NoticeStatus::Undeliverable);
}
