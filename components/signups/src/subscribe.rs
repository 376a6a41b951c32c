//! `POST /api/newsletter`: sign up for the newsletter (double opt-in). Every address, new, pending,
//! confirmed or unknown, gets the same answer, so the endpoint tells nobody who is subscribed.

use crate::config::SignupsConfig;
use crate::mail;
use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use serde::Serialize;
use shared::capture::{ContactField, ContactFields, Offer, Post};
use shared::domain::{ConsentId, FormId};
use shared::http::ApiError;
use shared::mailer::enqueue_write;
use shared::records::{Action, Proof, SCHEMA_VERSION, Subscriber, SubscriberStatus};
use shared::store::{Backend, Capture, Event, Log, RecordKind, Store, Updated, Write};

/// The render-token form id of the newsletter signup.
pub const FORM: &str = "newsletter";
/// The consent checkbox a signup must tick.
pub const CONSENT: &str = "newsletter";

#[derive(Serialize)]
struct Answer {
    status: &'static str,
}

pub async fn subscribe<K: Backend>(
    request: http::Request<Full<Bytes>>,
    config: &SignupsConfig,
    store: &Store<K>,
) -> Result<Response<String>, ApiError> {
    let settings = &config.capture;
    let consent = [ConsentId::parse(CONSENT).expect("a valid id")];
    let offer = Offer::Visit {
        consents: &consent,
        required: &consent,
    };
    let mut post = Post::read(request, settings, offer).await?;
    let contact = ContactFields::new(
        vec![ContactField::Name, ContactField::Email],
        vec![ContactField::Email],
    )
    .expect("email is offered")
    .read(post.fields());
    let mut lists: Vec<String> = config
        .lists
        .iter()
        .filter(|list| post.fields().tick(&format!("list_{}", list.as_str())) == Some(true))
        .map(|list| list.as_str().to_owned())
        .collect();
    post.finish()?;
    if lists.is_empty() {
        lists.push(config.lists[0].as_str().to_owned());
    }
    let email = contact
        .email
        .expect("a required field is present once finish() passed");

    let form = FormId::parse(FORM).expect("a valid id");
    let spam = post.judge(settings, &form, config.min_submit_seconds());
    let now = post.at();
    let id = settings.pseudonym(&email.normalized());
    let proof = Proof {
        at: now,
        origin: post.origin(),
        user_agent: post.intake.user_agent.clone(),
    };
    let resend_after = now.plus_seconds(-60 * config.resend_interval_minutes);
    // Built before anything is written, so a mail that cannot be composed leaves no half-done signup.
    let language = post.common.visit.language.clone();
    let confirmation = mail::confirmation(config, &id, email.as_str(), now, language.as_deref())?;
    let fresh = Subscriber {
        v: SCHEMA_VERSION,
        id: id.clone(),
        email: email.as_str().to_owned(),
        name: contact.name.map(|n| n.as_str().to_owned()),
        lists,
        status: SubscriberStatus::Pending,
        consent: post.common.consent.clone(),
        visit: post.common.visit.clone(),
        signed_up: proof,
        confirmed: None,
        confirmation_sent_at: spam.is_none().then_some(now),
        unsubscribed_at: None,
        spam,
    };
    let actor = post.actor();
    let event = |action, detail: Option<&str>| {
        Event::by(
            actor.clone(),
            Log::Subscribers,
            action,
            detail.map(str::to_owned),
            now,
        )
    };

    // A new address is stored with its confirmation mail in the batch; a known one is changed after
    // it, by compare-and-swap, since its state decides what the signup does.
    let capture = {
        let (fresh, confirmation) = (fresh.clone(), confirmation.clone());
        let subscriber = id.clone();
        let captured = event(Action::Captured, None);
        let as_spam = event(Action::CapturedAsSpam, None);
        let spam_again = event(
            Action::CapturedAsSpam,
            Some("signup for an existing address"),
        );
        Capture::writing(move |found| {
            let id = &subscriber;
            let spam = found.spam(spam);
            let fresh = Subscriber {
                spam,
                confirmation_sent_at: spam.is_none().then_some(now),
                ..fresh
            };
            Ok(match (spam.is_some(), found.exists()) {
                // A bot must not re-send mail to, or change, someone else's subscription; the attempt
                // is still registered.
                (true, true) => vec![Write::note(id, spam_again)],
                (true, false) => vec![Write::record(RecordKind::Subscriber, id, &fresh, as_spam)?],
                (false, false) => vec![
                    Write::record(RecordKind::Subscriber, id, &fresh, captured)?,
                    enqueue_write(confirmation, now)?,
                ],
                (false, true) => Vec::new(),
            })
        })
        .reading(RecordKind::Subscriber, &id)
    };
    let found = post.store(store, settings, capture).await?;
    let spam = found.spam(spam);
    post.honour_browser(store, settings, Some(&email), spam)
        .await;
    if spam.is_none() && found.exists() {
        let updated = store
            .update(
                RecordKind::Subscriber,
                &id,
                event(Action::Updated, Some("signup")),
                |s: &mut Subscriber| {
                    let due = match s.status {
                        SubscriberStatus::Confirmed => false,
                        SubscriberStatus::Pending => s
                            .confirmation_sent_at
                            .is_none_or(|sent| sent < resend_after),
                        // Signing up again after unsubscribing is fresh consent: a new opt-in from scratch.
                        SubscriberStatus::Unsubscribed => true,
                    };
                    if due {
                        // The proof of opt-in is this signup's (its consent, address, time), not an earlier
                        // one's that nobody confirmed (a typo, a bot, someone else).
                        let mut lists = fresh.lists.clone();
                        if s.status == SubscriberStatus::Pending {
                            lists.extend(
                                s.lists.iter().filter(|l| !fresh.lists.contains(l)).cloned(),
                            );
                        }
                        *s = Subscriber {
                            lists,
                            ..fresh.clone()
                        };
                    }
                    due
                },
            )
            .await?;
        // Gone since the batch read it (erased a moment ago): this signup is a new one.
        if let Updated::Missing = updated {
            store
                .append(
                    RecordKind::Subscriber,
                    &id,
                    &fresh,
                    event(Action::Captured, None),
                )
                .await?;
        }
        if !matches!(updated, Updated::Unchanged(_)) {
            mail::queue(store, confirmation, now).await?;
        }
    }
    Ok(post.accepted(&config.newsletter_thank_you, &Answer { status: "pending" }))
}
