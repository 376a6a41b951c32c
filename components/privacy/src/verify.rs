//! `POST /privacy/verify/{token}`: confirms the request; its clock starts (due date, CCPA
//! acknowledgement) and an acknowledgement mail goes out. Confirming twice changes nothing ("already
//! confirmed"); an expired link is refused (410) and the request expires, keeping no personal data.

use crate::config::PrivacyConfig;
use crate::show_request::{gone, open};
use crate::status::{status_page, words};
use http::{HeaderMap, Response};
use shared::capture::client_ip;
use shared::http::ApiError;
use shared::jobs::privacy::expire;
use shared::links::LinkError;
use shared::mailer::enqueue;
use shared::privacy::{DataRequest, RequestStatus, Step, mail};
use shared::records::{Action, Actor};
use shared::store::{Backend, Event, Log, RecordKind, Store, Updated};
use shared::time::Timestamp;

pub async fn verify<K: Backend>(
    headers: &HeaderMap,
    config: &PrivacyConfig,
    store: &Store<K>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let now = Timestamp::now();
    let request = open(config, store, token).await?;
    let actor = Actor::Visitor {
        ip_truncated: client_ip(headers, &config.capture)?.truncated().to_string(),
    };
    let event = |detail: &str| {
        Event::by(
            actor.clone(),
            Log::Requests,
            Action::Updated,
            Some(detail.to_owned()),
            now,
        )
    };
    match request.status_at(now) {
        RequestStatus::Unverified => {}
        RequestStatus::Expired => {
            expire(store, &request.id, &actor, now).await?;
            return Err(LinkError::Expired.into());
        }
        _ => {
            return Ok(already(config, &request, now));
        }
    }
    let updated = store
        .update(
            RecordKind::DataRequest,
            &request.id,
            event("verified"),
            |r: &mut DataRequest| {
                if r.status_at(now) != RequestStatus::Unverified {
                    return false;
                }
                r.verify(now);
                r.step(Step::Verified, now, "visitor", None);
                r.step(Step::Acknowledged, now, "system", None);
                true
            },
        )
        .await?;
    match updated {
        Updated::Missing => Err(gone()),
        // Another click won the race: the request is confirmed either way.
        Updated::Unchanged(request) => Ok(already(config, &request, now)),
        Updated::Changed(request) => {
            let acknowledgement = mail::acknowledgement(&config.privacy, &request)?;
            enqueue(store, acknowledgement, now).await?;
            store.note(&request.id, event("acknowledged")).await?;
            let w = words(&request);
            Ok(status_page(
                &config.privacy,
                &request,
                now,
                w.request_confirmed_title,
                w.request_confirmed_text,
            ))
        }
    }
}

fn already(config: &PrivacyConfig, request: &DataRequest, now: Timestamp) -> Response<String> {
    let w = words(request);
    status_page(
        &config.privacy,
        request,
        now,
        w.request_already_title,
        w.request_already_text,
    )
}
