//! The signups component through the test host: newsletter double opt-in, confirmation links, demo requests.

use crate::harness::{
    TestApp, invalid_fields, test_settings, test_signing_keys, test_unsubscribe_keys,
};
use crate::mailer::{PROVIDER_TOKEN, Provider};
use serde_json::{Value, json};
use shared::links::{ConfirmLink, UnsubscribeLink, UnsubscribeScope};
use shared::mailer::{OutboxMessage, OutboxStatus};
use shared::records::{
    Action, Actor, DemoRequest, DemoStatus, LogEntry, SpamReason, Subscriber, SubscriberStatus,
};
use shared::store::{Event, Log, RecordKind};
use shared::time::Timestamp;
use shared::tokens::Keyring;
use std::time::Duration;

pub async fn spawn() -> TestApp {
    TestApp::spawn_with(|vars| {
        vars.set("signup_min_seconds", "0");
        vars.set("trusted_proxies", "127.0.0.1/32");
    })
    .await
}

pub fn signup(email: &str) -> Value {
    json!({
        "email": email,
        "name": "Ada Lovelace",
        "list_events": true,
        "consent_policy_version": "2026-01",
        "consent_text_hash": format!("sha256:{}", "cd".repeat(32)),
        "consent_newsletter": true,
        "page_url": "https://www.example.com/blog",
    })
}

/// Every mail in the outbox, oldest first (a message's later log entries, its delivery attempts, are
/// the same mail).
pub async fn outbox(app: &TestApp) -> Vec<OutboxMessage> {
    let mut ids: Vec<String> = Vec::new();
    for id in log(app, Log::Outbox)
        .await
        .into_iter()
        .filter_map(|e| e.record)
    {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mails = app.store().records(RecordKind::Outbox, &ids).await.unwrap();
    mails
        .into_iter()
        .map(|m| m.expect("each outbox entry's message exists"))
        .collect()
}

pub async fn log(app: &TestApp, log: Log) -> Vec<LogEntry> {
    let store = app.store();
    let head = store.log_head(log).await.unwrap();
    store
        .log_entries(log, 0, head)
        .await
        .unwrap()
        .into_iter()
        .map(|(seq, entry)| entry.unwrap_or_else(|| panic!("hole at {seq}")))
        .collect()
}

/// The one subscriber stored so far.
pub async fn only_subscriber(app: &TestApp) -> Subscriber {
    let entries = log(app, Log::Subscribers).await;
    let id = entries
        .first()
        .and_then(|e| e.record.clone())
        .expect("a subscriber was captured");
    assert!(
        entries
            .iter()
            .all(|e| e.record.as_deref() == Some(id.as_str())),
        "one subscriber only"
    );
    app.store()
        .get(RecordKind::Subscriber, &id)
        .await
        .unwrap()
        .expect("the subscriber exists")
}

/// The path (`/api/...` or `/u/...`) of the first link in `text` that starts with `marker`.
pub fn link_path(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} link in {text:?}"));
    text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>')
        .collect()
}

async fn confirmation_path(app: &TestApp) -> String {
    let mails = outbox(app).await;
    link_path(
        &mails.last().expect("a mail").message.text_body,
        "/api/newsletter/confirm/",
    )
}

#[tokio::test]
async fn a_signup_is_pending_and_queues_a_confirmation_mail_with_one_click_unsubscribe_headers() {
    let app = spawn().await;

    let response = app
        .post_json_with(
            "/api/newsletter",
            &signup("Ada@Example.com"),
            &[("x-forwarded-for", "80.128.0.1")],
        )
        .await;

    assert_eq!(response.status(), 201);
    let subscriber = only_subscriber(&app).await;
    assert_eq!(subscriber.status, SubscriberStatus::Pending);
    assert_eq!(subscriber.email, "Ada@example.com");
    assert_eq!(subscriber.lists, ["events"]);
    assert_eq!(subscriber.consent.choices.get("newsletter"), Some(&true));
    assert_eq!(
        subscriber.signed_up.origin.ip.as_deref(),
        Some("80.128.0.1")
    );
    assert_eq!(
        subscriber
            .signed_up
            .origin
            .location
            .as_ref()
            .map(|l| l.country.as_str()),
        Some("DE")
    );
    let mails = outbox(&app).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0].message;
    assert_eq!(mail.to, "Ada@example.com");
    assert!(mail.text_body.contains("/api/newsletter/confirm/"));
    let list_unsubscribe = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        list_unsubscribe.starts_with("<http://127.0.0.1:3000/u/"),
        "{list_unsubscribe}"
    );
    assert!(list_unsubscribe.contains(">, <mailto:unsubscribe@example.com?subject=unsubscribe%20"));
    assert!(!list_unsubscribe.contains(['\r', '\n']));
    assert_eq!(
        mail.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let token = link_path(list_unsubscribe, "/u/")
        .trim_start_matches("/u/")
        .to_owned();
    let link = UnsubscribeLink::open(&test_unsubscribe_keys(), &token).expect("our signed link");
    assert_eq!(
        link.pseudonym, subscriber.id,
        "the link names the mailbox by pseudonym only"
    );
    assert_eq!(link.scope, UnsubscribeScope::AllEmail);
}

#[tokio::test]
async fn the_confirmation_page_confirms_nothing_and_its_button_confirms_with_proof() {
    let app = spawn().await;
    app.post_json("/api/newsletter", &signup("ada@example.com"))
        .await;
    let path = confirmation_path(&app).await;

    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<form method=post"),
        "a button that posts: {html}"
    );
    assert_eq!(
        only_subscriber(&app).await.status,
        SubscriberStatus::Pending,
        "a GET confirms nothing"
    );

    let confirmed = app
        .post_form_with(&path, &[], &[("x-forwarded-for", "193.0.6.139")])
        .await;

    assert_eq!(confirmed.status(), 200);
    let subscriber = only_subscriber(&app).await;
    assert_eq!(subscriber.status, SubscriberStatus::Confirmed);
    let proof = subscriber.confirmed.expect("proof of confirmation");
    assert_eq!(proof.origin.ip.as_deref(), Some("193.0.6.139"));
    assert_eq!(proof.origin.ip_truncated, "193.0.6.0");
    assert_eq!(proof.origin.location.map(|l| l.country), Some("NL".into()));
    let actions: Vec<_> = log(&app, Log::Subscribers)
        .await
        .iter()
        .map(|e| (e.action, e.detail.clone()))
        .collect();
    assert_eq!(
        actions,
        [
            (Action::Captured, None),
            (Action::Updated, Some("confirmed".into()))
        ]
    );
}

#[tokio::test]
async fn a_used_confirmation_link_changes_nothing_the_second_time() {
    let app = spawn().await;
    app.post_json("/api/newsletter", &signup("ada@example.com"))
        .await;
    let path = confirmation_path(&app).await;
    app.post_form(&path, &[]).await;
    let first = only_subscriber(&app).await;

    let again = app.post_form(&path, &[]).await;

    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("Already confirmed"));
    assert_eq!(only_subscriber(&app).await, first);
    assert_eq!(
        log(&app, Log::Subscribers).await.len(),
        2,
        "no new register entry"
    );
}

#[tokio::test]
async fn forged_tampered_expired_and_unknown_key_links_are_refused_and_change_nothing() {
    let app = spawn().await;
    app.post_json("/api/newsletter", &signup("ada@example.com"))
        .await;
    let path = confirmation_path(&app).await;
    let subscriber = only_subscriber(&app).await;
    let token = path.rsplit('/').next().unwrap().to_owned();
    let ours = test_signing_keys();
    let expired = ConfirmLink {
        subscriber: subscriber.id.clone(),
        signed_up_at: subscriber.signed_up.at,
        expires_at: Timestamp::now().plus_seconds(-1),
    }
    .seal(&ours);
    let unknown_key = ConfirmLink {
        subscriber: subscriber.id.clone(),
        signed_up_at: subscriber.signed_up.at,
        expires_at: Timestamp::now().plus_seconds(3600),
    }
    .seal(&Keyring::parse("retired:an-old-key-that-is-long-enough-000000").unwrap());
    let mut tampered = token.clone();
    tampered.insert(token.len() / 2, 'x');

    let cases = [
        (
            format!("/api/newsletter/confirm/{}", &token[..token.len() - 3]),
            400,
        ),
        (format!("/api/newsletter/confirm/{tampered}"), 400),
        ("/api/newsletter/confirm/not-a-token".to_owned(), 400),
        (format!("/api/newsletter/confirm/{unknown_key}"), 400),
        (format!("/api/newsletter/confirm/{expired}"), 410),
    ];
    for (path, status) in &cases {
        assert_eq!(app.get(path).await.status(), *status, "GET {path}");
        let post = app
            .post_form_with(path, &[], &[("accept", "text/html")])
            .await;
        assert_eq!(post.status(), *status, "POST {path}");
        assert!(
            post.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    assert_eq!(
        only_subscriber(&app).await.status,
        SubscriberStatus::Pending
    );
}

#[tokio::test]
async fn a_signup_with_a_render_token_used_before_is_kept_as_spam_and_mails_nobody() {
    let app = TestApp::spawn_with(|vars| {
        vars.set("signup_min_seconds", "1");
    })
    .await;
    let answer: Value = app.get("/api/newsletter/token").await.json().await.unwrap();
    let token = answer["token"].clone();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    for email in ["ada@example.com", "bot@example.com"] {
        let mut body = signup(email);
        body["_token"] = token.clone();
        assert_eq!(app.post_json("/api/newsletter", &body).await.status(), 201);
    }

    let ids: Vec<String> = log(&app, Log::Subscribers)
        .await
        .into_iter()
        .filter_map(|e| e.record)
        .collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let subscribers: Vec<Subscriber> = app
        .store()
        .records(RecordKind::Subscriber, &ids)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.expect("each entry's subscriber exists"))
        .collect();
    let verdicts: Vec<_> = subscribers
        .iter()
        .map(|s| (s.email.as_str(), s.spam, s.confirmation_sent_at.is_some()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("ada@example.com", None, true),
            (
                "bot@example.com",
                Some(SpamReason::ReplayedRenderToken),
                false
            )
        ]
    );
    let mails = outbox(&app).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].message.to, "ada@example.com");
}

#[tokio::test]
async fn a_pending_signup_again_does_not_send_another_mail_within_the_interval() {
    let app = spawn().await;

    for _ in 0..3 {
        assert_eq!(
            app.post_json("/api/newsletter", &signup("ada@example.com"))
                .await
                .status(),
            201
        );
    }

    assert_eq!(outbox(&app).await.len(), 1);
}

#[tokio::test]
async fn new_pending_and_confirmed_addresses_get_the_same_answer() {
    let app = spawn().await;
    let new = app
        .post_json("/api/newsletter", &signup("new@example.com"))
        .await;
    let pending = app
        .post_json("/api/newsletter", &signup("new@example.com"))
        .await;
    app.post_json("/api/newsletter", &signup("old@example.com"))
        .await;
    let path = confirmation_path(&app).await;
    app.post_form(&path, &[]).await;
    let confirmed = app
        .post_json("/api/newsletter", &signup("old@example.com"))
        .await;

    let mut answers = Vec::new();
    for response in [new, pending, confirmed] {
        answers.push((response.status().as_u16(), response.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    assert_eq!(
        outbox(&app).await.len(),
        2,
        "no mail to a confirmed address"
    );
}

#[tokio::test]
async fn a_plain_form_signup_is_redirected_and_needs_the_consent_box() {
    let app = spawn().await;

    let without_consent = app
        .post_form_with(
            "/api/newsletter",
            &[
                ("email", "ada@example.com"),
                ("consent_policy_version", "2026-01"),
            ],
            &[("accept", "application/json")],
        )
        .await;
    let with_consent = app
        .post_form(
            "/api/newsletter",
            &[
                ("email", "ada@example.com"),
                ("consent_policy_version", "2026-01"),
                ("consent_newsletter", "on"),
            ],
        )
        .await;

    assert_eq!(
        invalid_fields(without_consent).await[0],
        "consent_newsletter"
    );
    assert_eq!(with_consent.status(), 303);
    assert_eq!(
        with_consent.headers()["location"],
        "http://127.0.0.1:3000/thanks.html"
    );
    assert_eq!(
        only_subscriber(&app).await.lists,
        ["product-news"],
        "the default list"
    );
}

#[tokio::test]
async fn a_demo_request_is_stored_as_a_lead_with_status_and_free_mail_flag() {
    let app = spawn().await;
    let body = json!({
        "name": "Grace Hopper",
        "email": "grace@gmail.com",
        "company": "Navy Labs",
        "title": "Rear Admiral",
        "phone": "+1 202 555 0100",
        "country": "us",
        "message": "Show me the product",
        "preferred_time": "Tuesday mornings EST",
        "consent_policy_version": "2026-01",
        "consent_privacy_policy": true,
        "consent_phone_contact": true,
    });

    let response = app
        .post_json_with("/api/demo", &body, &[("x-forwarded-for", "8.8.8.8")])
        .await;

    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().await.unwrap();
    assert_eq!(receipt["status"], "requested");
    let id = receipt["id"].as_str().unwrap();
    let demo: DemoRequest = app
        .store()
        .get(RecordKind::DemoRequest, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(demo.status, DemoStatus::Requested);
    assert!(demo.free_mail);
    assert_eq!(demo.contact.phone.as_deref(), Some("+12025550100"));
    assert_eq!(demo.contact.country.as_deref(), Some("US"));
    assert_eq!(demo.preferred_time.as_deref(), Some("Tuesday mornings EST"));
    assert_eq!(demo.consent.choices.get("phone_contact"), Some(&true));
    assert_eq!(demo.consent.choices.get("marketing_email"), Some(&false));
    assert_eq!(demo.origin.location.map(|l| l.country), Some("US".into()));
    assert_eq!(log(&app, Log::DemoRequests).await.len(), 1);
}

#[tokio::test]
async fn a_demo_request_without_company_or_with_unknown_fields_is_refused() {
    let app = spawn().await;

    let response = app
        .post_json("/api/demo", &json!({"name": "G", "email": "g@navy.mil", "age": "41", "consent_policy_version": "1", "consent_privacy_policy": true}))
        .await;

    let fields = invalid_fields(response).await;
    assert!(
        fields.iter().any(|f| f == "company") && fields.iter().any(|f| f == "age"),
        "{fields:?}"
    );
    assert_eq!(app.store().log_head(Log::DemoRequests).await.unwrap(), 0);
}

#[tokio::test]
async fn the_mailer_delivers_the_queued_confirmation_mail_to_the_provider() {
    let provider = Provider::start(Duration::ZERO).await;
    let app = TestApp::spawn_with(|vars| {
        vars.set("signup_min_seconds", "0")
            .set("mail_api_url", provider.url.clone())
            .set("mail_api_token", PROVIDER_TOKEN)
            .set("outbox_token", "outbox-token-for-signups");
    })
    .await;
    app.post_json("/api/newsletter", &signup("ada@example.com"))
        .await;
    assert_eq!(
        outbox(&app).await[0].status,
        OutboxStatus::Queued,
        "queued, not sent during the signup"
    );

    let run = app
        .send(
            app.client
                .post(app.url("/api/outbox/deliver"))
                .bearer_auth("outbox-token-for-signups"),
        )
        .await;

    assert_eq!(run.status(), 200);
    assert_eq!(outbox(&app).await[0].status, OutboxStatus::Sent);
    let seen = provider.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body["To"], "ada@example.com");
    assert_eq!(seen[0].body["Subject"], "Please confirm your subscription");
}

#[tokio::test]
async fn a_pending_signup_after_the_interval_gets_a_new_mail_and_this_signups_proof() {
    let app = spawn().await;
    let mut bot = signup("ada@example.com");
    bot["_gotcha"] = json!("http://spam.example");
    app.post_json_with(
        "/api/newsletter",
        &bot,
        &[("x-forwarded-for", "203.0.113.66")],
    )
    .await;
    let flagged = only_subscriber(&app).await;
    assert!(flagged.spam.is_some());
    assert!(outbox(&app).await.is_empty(), "no mail for a bot's signup");

    // The real person signs up: the bot's record is replaced, the mail goes out.
    app.post_json_with(
        "/api/newsletter",
        &signup("ada@example.com"),
        &[("x-forwarded-for", "80.128.0.1")],
    )
    .await;
    let person = only_subscriber(&app).await;
    assert_eq!(person.spam, None);
    assert_eq!(person.signed_up.origin.ip.as_deref(), Some("80.128.0.1"));
    assert_eq!(outbox(&app).await.len(), 1);

    // Within the interval nothing is re-sent; after it, a new mail carries this signup's proof.
    app.post_json_with(
        "/api/newsletter",
        &signup("ada@example.com"),
        &[("x-forwarded-for", "193.0.6.139")],
    )
    .await;
    assert_eq!(outbox(&app).await.len(), 1);
    let earlier = person.confirmation_sent_at.unwrap().plus_seconds(-3600);
    let event = Event::by(
        Actor::System,
        Log::Subscribers,
        Action::Updated,
        None,
        Timestamp::now(),
    );
    app.store()
        .update(
            RecordKind::Subscriber,
            &person.id,
            event,
            |s: &mut Subscriber| {
                s.confirmation_sent_at = Some(earlier);
                true
            },
        )
        .await
        .unwrap();
    app.post_json_with(
        "/api/newsletter",
        &signup("ada@example.com"),
        &[("x-forwarded-for", "193.0.6.139")],
    )
    .await;
    assert_eq!(outbox(&app).await.len(), 2);
    assert_eq!(
        only_subscriber(&app).await.signed_up.origin.ip.as_deref(),
        Some("193.0.6.139")
    );
    let first_link = link_path(
        &outbox(&app).await[0].message.text_body,
        "/api/newsletter/confirm/",
    );
    assert_eq!(
        app.post_form(&first_link, &[]).await.status(),
        410,
        "the earlier mail's link is superseded"
    );
}

#[tokio::test]
async fn a_signup_in_german_gets_its_confirmation_in_german_and_the_browser_decides_without_a_field()
 {
    let app = spawn().await;
    let mut german = signup("anna@example.de");
    german["language"] = json!("de");
    assert_eq!(
        app.post_json("/api/newsletter", &german).await.status(),
        201
    );
    let dutch = app
        .post_json_with(
            "/api/newsletter",
            &signup("joost@example.nl"),
            &[("accept-language", "nl-BE,nl;q=0.9,en;q=0.5")],
        )
        .await;
    assert_eq!(dutch.status(), 201);
    let mails = outbox(&app).await;
    let to = |address: &str| {
        &mails
            .iter()
            .find(|m| m.message.to == address)
            .unwrap()
            .message
    };
    assert_eq!(
        to("anna@example.de").subject,
        "Bitte bestätigen Sie Ihre Newsletter-Anmeldung"
    );
    assert!(
        to("anna@example.de")
            .text_body
            .contains("/api/newsletter/confirm/")
    );
    assert!(
        to("joost@example.nl").text_body.starts_with("Goedendag"),
        "{}",
        to("joost@example.nl").text_body
    );
    let subscriber: Subscriber = app
        .store()
        .get(
            RecordKind::Subscriber,
            &test_settings().pseudonym("anna@example.de"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subscriber.visit.language.as_deref(), Some("de"));
    let refused = {
        let mut bad = signup("bad@example.com");
        bad["language"] = json!("deutsch");
        app.post_json("/api/newsletter", &bad).await
    };
    assert_eq!(refused.status(), 422);
    assert_eq!(invalid_fields(refused).await, ["language"]);
}
