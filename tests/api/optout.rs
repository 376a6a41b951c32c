//! The opt-out component through the test host: unsubscribe links (page, button, RFC 8058 one-click),
//! the do-not-call request, and a registry that survives erasure.

use crate::harness::{TestApp, test_settings, test_unsubscribe_keys};
use crate::signups::{link_path, log, only_subscriber, outbox, signup, spawn};
use serde_json::json;
use shared::links::{UnsubscribeLink, UnsubscribeScope};
use shared::records::{Action, Actor, OptOut, OptOutSource, SubscriberStatus};
use shared::store::{Channel, Event, Log, RecordKind};
use shared::time::Timestamp;
use shared::tokens::Keyring;

/// The app's pseudonym of an address or number.
fn pseudonym(value: &str) -> String {
    test_settings().pseudonym(value)
}

/// Signs up and confirms `email`; returns the unsubscribe path from the confirmation mail.
async fn confirmed_subscriber(app: &TestApp, email: &str) -> String {
    app.post_json("/api/newsletter", &signup(email)).await;
    let mail = outbox(app)
        .await
        .pop()
        .expect("a confirmation mail")
        .message;
    let confirm = link_path(&mail.text_body, "/api/newsletter/confirm/");
    assert_eq!(app.post_form(&confirm, &[]).await.status(), 200);
    link_path(mail.header("List-Unsubscribe").unwrap(), "/u/")
}

async fn email_opt_out(app: &TestApp, email: &str) -> Option<OptOut> {
    app.store()
        .opt_out_entry(Channel::Email, &pseudonym(email))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_unsubscribe_page_changes_nothing_and_its_button_unsubscribes_from_all_email() {
    let app = spawn().await;
    let path = confirmed_subscriber(&app, "ada@example.com").await;

    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=post"));
    assert_eq!(
        only_subscriber(&app).await.status,
        SubscriberStatus::Confirmed
    );
    assert!(email_opt_out(&app, "ada@example.com").await.is_none());

    let done = app.post_form(&path, &[]).await;

    assert_eq!(done.status(), 200);
    let subscriber = only_subscriber(&app).await;
    assert_eq!(subscriber.status, SubscriberStatus::Unsubscribed);
    assert!(subscriber.unsubscribed_at.is_some());
    let entry = email_opt_out(&app, "ada@example.com")
        .await
        .expect("on the registry");
    assert!(entry.in_force());
    assert_eq!(entry.source, OptOutSource::UnsubscribeLink);
    assert_eq!(log(&app, Log::OptOuts).await.len(), 1);
}

#[tokio::test]
async fn rfc_8058_one_click_unsubscribes_at_once_and_repeating_it_changes_nothing() {
    let app = spawn().await;
    let path = confirmed_subscriber(&app, "ada@example.com").await;

    let first = app
        .post_form(&path, &[("List-Unsubscribe", "One-Click")])
        .await;
    let entries = (
        log(&app, Log::Subscribers).await.len(),
        log(&app, Log::OptOuts).await.len(),
    );
    let second = app
        .post_form(&path, &[("List-Unsubscribe", "One-Click")])
        .await;

    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    assert_eq!(
        only_subscriber(&app).await.status,
        SubscriberStatus::Unsubscribed
    );
    assert_eq!(
        (
            log(&app, Log::Subscribers).await.len(),
            log(&app, Log::OptOuts).await.len()
        ),
        entries,
        "nothing new in the register"
    );
}

#[tokio::test]
async fn the_link_in_the_confirmation_mail_works_before_confirming() {
    let app = spawn().await;
    app.post_json("/api/newsletter", &signup("ada@example.com"))
        .await;
    let mail = outbox(&app).await.pop().unwrap().message;
    let path = link_path(mail.header("List-Unsubscribe").unwrap(), "/u/");

    assert_eq!(
        app.post_form(&path, &[("List-Unsubscribe", "One-Click")])
            .await
            .status(),
        200
    );

    assert_eq!(
        only_subscriber(&app).await.status,
        SubscriberStatus::Unsubscribed
    );
    assert!(
        email_opt_out(&app, "ada@example.com")
            .await
            .unwrap()
            .in_force()
    );
}

#[tokio::test]
async fn a_list_link_leaves_the_other_lists_and_the_registry_alone() {
    let app = spawn().await;
    let mut body = signup("ada@example.com");
    body["list_product-news"] = json!(true);
    app.post_json("/api/newsletter", &body).await;
    let subscriber = only_subscriber(&app).await;
    assert_eq!(subscriber.lists, ["product-news", "events"]);
    let token = UnsubscribeLink {
        pseudonym: subscriber.id.clone(),
        scope: UnsubscribeScope::List("events".into()),
    }
    .seal(&test_unsubscribe_keys());

    assert_eq!(
        app.post_form(&format!("/u/{token}"), &[]).await.status(),
        200
    );

    let subscriber = only_subscriber(&app).await;
    assert_eq!(subscriber.lists, ["product-news"]);
    assert_eq!(subscriber.status, SubscriberStatus::Pending);
    assert!(email_opt_out(&app, "ada@example.com").await.is_none());
}

#[tokio::test]
async fn forged_and_tampered_unsubscribe_links_get_an_error_page_and_change_nothing() {
    let app = spawn().await;
    let path = confirmed_subscriber(&app, "ada@example.com").await;
    let forged = UnsubscribeLink {
        pseudonym: pseudonym("ada@example.com"),
        scope: UnsubscribeScope::AllEmail,
    }
    .seal(&Keyring::parse("k9:somebody-elses-key-long-enough-00000000").unwrap());

    for bad in [
        format!("{}x", &path[..path.len() - 1]),
        path[..path.len() - 5].to_owned(),
        format!("/u/{forged}"),
        "/u/garbage".to_owned(),
    ] {
        let get = app
            .send(app.client.get(app.url(&bad)).header("accept", "text/html"))
            .await;
        let post = app
            .post_form_with(
                &bad,
                &[("List-Unsubscribe", "One-Click")],
                &[("accept", "text/html")],
            )
            .await;
        assert_eq!(
            (get.status().as_u16(), post.status().as_u16()),
            (400, 400),
            "{bad}"
        );
        assert!(post.text().await.unwrap().contains("not valid"));
    }
    assert_eq!(
        only_subscriber(&app).await.status,
        SubscriberStatus::Confirmed
    );
    assert!(email_opt_out(&app, "ada@example.com").await.is_none());
}

#[tokio::test]
async fn a_do_not_call_request_puts_the_number_on_the_registry_by_pseudonym() {
    let app = spawn().await;

    let invalid = app
        .post_json("/api/opt-out/phone", &json!({"phone": "call me maybe"}))
        .await;
    let recorded = app
        .post_json(
            "/api/opt-out/phone",
            &json!({"phone": "+31 (0)20 123 4567"}),
        )
        .await;
    let again = app
        .post_form("/api/opt-out/phone", &[("phone", "0031 20 1234567")])
        .await;

    assert_eq!(invalid.status(), 422);
    assert_eq!(recorded.status(), 201);
    assert_eq!(again.status(), 200, "a plain form gets a page");
    let store = app.store();
    let entry = store
        .opt_out_entry(Channel::Phone, &pseudonym("+31201234567"))
        .await
        .unwrap()
        .expect("on the registry");
    assert!(entry.in_force());
    assert_eq!(entry.source, OptOutSource::DoNotCallRequest);
    assert!(!entry.id.contains("3120"), "no number in clear");
    assert_eq!(
        log(&app, Log::OptOuts).await.len(),
        1,
        "the same number twice is one entry"
    );
}

#[tokio::test]
async fn opt_outs_survive_the_erasure_of_the_persons_records_and_a_confirmed_signup_lifts_the_email_one()
 {
    let app = spawn().await;
    let path = confirmed_subscriber(&app, "ada@example.com").await;
    app.post_form(&path, &[]).await;
    app.post_json("/api/opt-out/phone", &json!({"phone": "+44 20 7946 0018"}))
        .await;
    let store = app.store();
    let id = only_subscriber(&app).await.id;

    let erasure = Event::by(
        Actor::System,
        Log::Subscribers,
        Action::Erased,
        None,
        Timestamp::now(),
    );
    store
        .erase(RecordKind::Subscriber, &id, erasure)
        .await
        .unwrap();

    assert!(
        store
            .get::<shared::records::Subscriber>(RecordKind::Subscriber, &id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        email_opt_out(&app, "ada@example.com")
            .await
            .unwrap()
            .in_force()
    );
    assert!(
        store
            .opt_out_entry(Channel::Phone, &pseudonym("+442079460018"))
            .await
            .unwrap()
            .unwrap()
            .in_force()
    );

    // Signing up again is fresh consent: the confirmation mail goes out, the opt-out holds until confirmed.
    app.post_json("/api/newsletter", &signup("ada@example.com"))
        .await;
    let mails = outbox(&app).await;
    assert_eq!(mails.len(), 2, "a second confirmation mail");
    assert!(
        email_opt_out(&app, "ada@example.com")
            .await
            .unwrap()
            .in_force()
    );
    let confirm = link_path(&mails[1].message.text_body, "/api/newsletter/confirm/");
    app.post_form(&confirm, &[]).await;
    assert!(
        !email_opt_out(&app, "ada@example.com")
            .await
            .unwrap()
            .in_force()
    );
    assert!(
        store
            .opt_out_entry(Channel::Phone, &pseudonym("+442079460018"))
            .await
            .unwrap()
            .unwrap()
            .in_force()
    );
}

#[tokio::test]
async fn signing_up_again_after_unsubscribing_starts_a_fresh_opt_in() {
    let app = spawn().await;
    let path = confirmed_subscriber(&app, "ada@example.com").await;
    app.post_form(&path, &[]).await;

    app.post_json("/api/newsletter", &signup("ada@example.com"))
        .await;

    let subscriber = only_subscriber(&app).await;
    assert_eq!(subscriber.status, SubscriberStatus::Pending);
    assert!(subscriber.confirmed.is_none());
    assert_eq!(outbox(&app).await.len(), 2);
}

#[tokio::test]
async fn form_capture_and_demo_requests_record_the_persons_opt_outs() {
    let app = spawn().await;
    let path = confirmed_subscriber(&app, "ada@example.com").await;
    app.post_form(&path, &[]).await;
    app.post_json("/api/opt-out/phone", &json!({"phone": "+44 20 7946 0018"}))
        .await;
    let contact = json!({
        "name": "Ada", "email": "ADA@example.com", "phone": "+44 20 7946 0018", "company": "AE",
        "consent_policy_version": "1", "consent_privacy_policy": true,
    });

    let demo = app.post_json("/api/demo", &contact).await;
    let mut form = contact.clone();
    form.as_object_mut().unwrap().remove("company");
    form["message"] = json!("hi");
    let submission = app.post_json("/api/forms/contact", &form).await;

    assert_eq!(
        (demo.status().as_u16(), submission.status().as_u16()),
        (201, 201),
        "still captured"
    );
    let demo_id = demo.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submission_id = submission.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let store = app.store();
    let demo: shared::records::DemoRequest = store
        .get(RecordKind::DemoRequest, &demo_id)
        .await
        .unwrap()
        .unwrap();
    let submission = store.submission(&submission_id).await.unwrap().unwrap();
    assert_eq!(demo.do_not_contact, [Channel::Email, Channel::Phone]);
    assert_eq!(submission.do_not_contact, [Channel::Email, Channel::Phone]);
}
