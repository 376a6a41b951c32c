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
use shared::mailer::Transport;
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

pub async fn subscribe<B, K, T>(
    request: http::Request<B>,
    config: &SignupsConfig,
    store: &Store<K>,
    transport: T,
) -> Result<Response<String>, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    K: Backend,
    T: Transport,
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

    let send = if store.claim_new(RecordKind::Subscriber, &id).await? {
        let subscriber = Subscriber {
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
        let action = if spam.is_some() {
            Action::CapturedAsSpam
        } else {
            Action::Captured
        };
        let event = Event {
            log: Log::Subscribers,
            action,
            actor,
            detail: None,
            at: now,
        };
        store
            .append(RecordKind::Subscriber, &id, &subscriber, event)
            .await?;
        spam.is_none().then_some(subscriber)
    } else if spam.is_some() {
        // A bot must not re-send mail to, or change, someone else's subscription.
        None
    } else {
        let event = Event {
            log: Log::Subscribers,
            action: Action::Updated,
            actor,
            detail: Some("signup".into()),
            at: now,
        };
        let updated = store
            .update(
                RecordKind::Subscriber,
                &id,
                event,
                |s: &mut Subscriber| match s.status {
                    SubscriberStatus::Confirmed => false,
                    SubscriberStatus::Pending => {
                        let due = s
                            .confirmation_sent_at
                            .is_none_or(|sent| sent < resend_after);
                        if due {
                            s.confirmation_sent_at = Some(now);
                            for list in &lists {
                                if !s.lists.contains(list) {
                                    s.lists.push(list.clone());
                                }
                            }
                        }
                        due
                    }
                    // Signing up again after unsubscribing is fresh consent: a new opt-in from scratch.
                    SubscriberStatus::Unsubscribed => {
                        s.status = SubscriberStatus::Pending;
                        s.lists = lists.clone();
                        s.consent = common.consent.clone();
                        s.visit = common.visit.clone();
                        s.signed_up = proof.clone();
                        s.confirmed = None;
                        s.unsubscribed_at = None;
                        s.confirmation_sent_at = Some(now);
                        true
                    }
                },
            )
            .await?;
        match updated {
            Updated::Changed(subscriber) => Some(subscriber),
            // Unchanged: confirmed, or a confirmation went out recently. Missing: another request
            // claimed the address a moment ago and is creating the record now.
            Updated::Unchanged(_) | Updated::Missing => None,
        }
    };
    if let Some(subscriber) = send {
        mail::send_confirmation(config, store, transport, &subscriber, now).await?;
    }
    let thank_you = common.next.as_ref().unwrap_or(&config.newsletter_thank_you);
    Ok(intake.accepted(thank_you, &Answer { status: "pending" }))
}
