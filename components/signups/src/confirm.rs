//! `POST /api/newsletter/confirm/{token}`: confirm a pending signup, recording when and from where
//! (proof of opt-in). Confirming twice changes nothing; a superseded or expired link is refused.

use crate::config::SignupsConfig;
use http::{HeaderMap, Response, StatusCode};
use shared::capture::client_ip;
use shared::http::{ApiError, escape_html, page_in};
use shared::links::ConfirmLink;
use shared::records::{Action, Actor, NetworkOrigin, OptOut, Proof, Subscriber, SubscriberStatus};
use shared::store::{Backend, Channel, Event, Log, RecordKind, Store, Updated};
use shared::time::Timestamp;

pub async fn confirm<K: Backend>(
    headers: &HeaderMap,
    config: &SignupsConfig,
    store: &Store<K>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let now = Timestamp::now();
    let link = ConfirmLink::open(&config.capture.keys, token, now)?;
    let client = client_ip(headers, &config.capture)?;
    let proof = Proof {
        at: now,
        origin: NetworkOrigin::of(&client),
        user_agent: shared::http::last_header(headers, "user-agent").map(str::to_owned),
    };
    let actor = Actor::Visitor {
        ip_truncated: proof.origin.ip_truncated.clone(),
    };
    let event = Event::by(
        actor.clone(),
        Log::Subscribers,
        Action::Updated,
        Some("confirmed".into()),
        now,
    );
    let mut superseded = false;
    let updated = store
        .update(
            RecordKind::Subscriber,
            &link.subscriber,
            event,
            |s: &mut Subscriber| {
                superseded = s.signed_up.at != link.signed_up_at
                    || s.status == SubscriberStatus::Unsubscribed;
                if superseded || s.status == SubscriberStatus::Confirmed {
                    return false;
                }
                s.status = SubscriberStatus::Confirmed;
                s.confirmed = Some(proof.clone());
                true
            },
        )
        .await?;
    let w = crate::show_confirmation::words(headers, store, &link.subscriber).await?;
    let answer = |title: &str, text: &str| {
        page_in(
            StatusCode::OK,
            w.lang,
            title,
            &format!("<p>{}</p>", escape_html(text)),
        )
    };
    match updated {
        Updated::Missing => Err(ApiError::Gone {
            message: "This subscription no longer exists.".into(),
        }),
        Updated::Unchanged(_) if superseded => Err(ApiError::Gone {
            message: "This link belongs to an earlier signup. Use the link in the latest email."
                .into(),
        }),
        Updated::Unchanged(_) => Ok(answer(w.already_confirmed_title, w.already_confirmed_text)),
        Updated::Changed(subscriber) => {
            lift_email_opt_out(store, &subscriber, actor, now).await?;
            Ok(answer(w.confirmed_title, w.confirmed_text))
        }
    }
}

/// A confirmed signup is fresh consent: an earlier "no more email" for this address no longer applies.
async fn lift_email_opt_out<K: Backend>(
    store: &Store<K>,
    subscriber: &Subscriber,
    actor: Actor,
    now: Timestamp,
) -> Result<(), ApiError> {
    let id = Channel::Email.opt_out_id(&subscriber.id);
    let event = Event::by(
        actor,
        Log::OptOuts,
        Action::Updated,
        Some("lifted by confirmed signup".into()),
        now,
    );
    store
        .update(RecordKind::OptOut, &id, event, |o: &mut OptOut| {
            let in_force = o.in_force();
            o.lifted_at.get_or_insert(now);
            in_force
        })
        .await?;
    Ok(())
}
