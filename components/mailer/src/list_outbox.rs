//! `GET /api/outbox?limit=N`: the messages still waiting, oldest first (`{"pending": [...]}`): how a
//! developer reads the local outbox when no provider is configured. Each listing is registered as a
//! staff read.

use crate::config::MailerConfig;
use crate::limit::limit;
use http::{HeaderMap, Response, StatusCode};
use serde::Serialize;
use shared::http::{ApiError, json_response};
use shared::jobs::outbox::pending;
use shared::mailer::OutboxMessage;
use shared::records::{Action, Actor};
use shared::store::{Backend, Event, Log, Store};
use shared::time::Timestamp;

#[derive(Serialize)]
struct Pending<'a> {
    pending: &'a [OutboxMessage],
}

pub async fn list_outbox<B: Backend>(
    headers: &HeaderMap,
    query: Option<&str>,
    config: &MailerConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    if !config.authorized(headers) {
        return Err(ApiError::Unauthorized);
    }
    let messages = pending(store, now, limit(query)?).await?;
    // Recipients and live links are personal data: reading them is a staff read, so it is registered.
    let event = Event::by(
        Actor::ApiKey {
            key_id: "outbox_token".into(),
        },
        Log::Access,
        Action::Read,
        Some(format!(
            "outbox: {} pending messages listed",
            messages.len()
        )),
        now,
    );
    store.note("outbox", event).await?;
    Ok(json_response(
        StatusCode::OK,
        &Pending { pending: &messages },
    ))
}
