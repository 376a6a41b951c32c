//! `POST /api/newsletter`: sign up for the newsletter (double opt-in). Every address, new, pending,
//! confirmed or unknown, gets the same answer, so the endpoint tells nobody who is subscribed.

use crate::config::SignupsConfig;
use crate::mail;
use http::Response;
use http_body::Body;
use serde::Serialize;
use shared::capture::{ContactField, ContactFields, Intake, Screening, VisitFields, screen};
use shared::domain::{ConsentId, FormId, parse_tick};
use shared::http::ApiError;
use shared::records::{
    Action, Actor, NetworkOrigin, Proof, SCHEMA_VERSION, Subscriber, SubscriberStatus,
};
use shared::store::{Backend, Event, Log, RecordKind, Store, Updated};

/// The render-token form id of the newsletter signup.
pub const FORM: &str = "newsletter";
/// The consent checkbox a signup must tick.
pub const CONSENT: &str = "newsletter";

#[derive(Serialize)]
struct Answer {
    status: &'static str,
}

pub async fn subscribe<B, K>(
    request: http::Request<B>,
    config: &SignupsConfig,
    store: &Store<K>,
) -> Result<Response<String>, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    K: Backend,
{
    let settings = &config.capture;
    let mut intake = Intake::read(request, settings).await?;
    let consent = [ConsentId::parse(CONSENT).expect("a valid id")];
    let common = VisitFields::read(&mut intake, settings, &consent, &consent);
    let contact = ContactFields::new(
        vec![ContactField::Name, ContactField::Email],
        vec![ContactField::Email],
    )
    .expect("email is offered")
    .read(&mut intake.fields);
    let mut lists: Vec<String> = config
        .lists
        .iter()
        .filter(|list| {
            intake
                .fields
                .optional(&format!("list_{}", list.as_str()), parse_tick)
                == Some(true)
        })
        .map(|list| list.as_str().to_owned())
        .collect();
    intake.fields.finish()?;
    if lists.is_empty() {
        lists.push(config.lists[0].as_str().to_owned());
    }
    let email = contact
        .email
        .expect("a required field is present once finish() passed");

    let form = FormId::parse(FORM).expect("a valid id");
    let screening = Screening {
        form: &form,
        honeypot: common.honeypot.as_deref(),
        render_token: common.render_token.as_deref(),
        min_seconds: config.min_submit_seconds(),
    };
    let spam = screen(store, settings, &intake, screening).await?;
    let now = intake.received_at;
    let id = settings.pseudonym(&email.normalized());
    let proof = Proof {
        at: now,
        origin: NetworkOrigin::of(&intake.client),
        user_agent: intake.user_agent.clone(),
    };
    let actor = Actor::Visitor {
        ip_truncated: proof.origin.ip_truncated.clone(),
    };
    let resend_after = now.plus_seconds(-60 * config.resend_interval_minutes);
    // Built before anything is written, so a mail that cannot be composed leaves no half-done signup.
    let confirmation = mail::confirmation(config, &id, email.as_str(), now)?;
    let fresh = Subscriber {
        v: SCHEMA_VERSION,
        id: id.clone(),
        email: email.as_str().to_owned(),
        name: contact.name.map(|n| n.as_str().to_owned()),
        lists,
        status: SubscriberStatus::Pending,
        consent: common.consent,
        visit: common.visit,
        signed_up: proof,
        confirmed: None,
        confirmation_sent_at: spam.is_none().then_some(now),
        unsubscribed_at: None,
        spam,
    };
    let event = |action, detail: Option<&str>| Event {
        log: Log::Subscribers,
        action,
        actor: actor.clone(),
        detail: detail.map(str::to_owned),
        at: now,
    };

    let created = store.claim_new(RecordKind::Subscriber, &id).await?;
    let send = if spam.is_some() {
        if created {
            store
                .append(
                    RecordKind::Subscriber,
                    &id,
                    &fresh,
                    event(Action::CapturedAsSpam, None),
                )
                .await?;
        } else {
            // A bot must not re-send mail to, or change, someone else's subscription; the attempt is
            // still registered.
            store
                .note(
                    &id,
                    event(
                        Action::CapturedAsSpam,
                        Some("signup for an existing address"),
                    ),
                )
                .await?;
        }
        false
    } else if created {
        store
            .append(
                RecordKind::Subscriber,
                &id,
                &fresh,
                event(Action::Captured, None),
            )
            .await?;
        true
    } else {
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
        match updated {
            Updated::Changed(_) => true,
            Updated::Unchanged(_) => false,
            // Claimed, but the record never landed (its writer failed): create it now, so the address
            // is not locked out. A concurrent creator writes the same pending signup.
            Updated::Missing => {
                store
                    .append(
                        RecordKind::Subscriber,
                        &id,
                        &fresh,
                        event(Action::Captured, None),
                    )
                    .await?;
                true
            }
        }
    };
    if send {
        mail::queue(store, confirmation, now).await?;
    }
    let thank_you = common.next.as_ref().unwrap_or(&config.newsletter_thank_you);
    Ok(intake.accepted(thank_you, &Answer { status: "pending" }))
}
