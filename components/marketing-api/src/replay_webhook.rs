//! `POST /api/v1/webhooks/{id}/replay` (admin key or `webhooks:write`): `{"event_id"}` sends one event
//! again, `{"since": RFC 3339}` every event since then; sent on the next job run, ahead of the endpoint's
//! backoff, with the events' original `webhook-id`s. `202` with how many events the replay covers. A
//! register entry says so.

use crate::caller::Caller;
use http::{Response, StatusCode};
use serde::Deserialize;
use shared::http::{ApiError, FieldError, json_response};
use shared::records::WebhookEndpoint;
use shared::store::{Backend, RecordKind, Store};
use shared::time::Timestamp;
use shared::webhooks::endpoints::{self, Replay};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Asked {
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    since: Option<String>,
}

impl TryFrom<Asked> for Replay {
    type Error = ApiError;

    fn try_from(asked: Asked) -> Result<Self, ApiError> {
        let invalid = |field: &str, code, message: &str| {
            ApiError::Invalid(vec![FieldError::new(field, code, message)])
        };
        match (asked.event_id, asked.since) {
            (Some(id), None) if !id.trim().is_empty() && id.len() <= 100 => {
                Ok(Replay::Event(id.trim().to_owned()))
            }
            (Some(_), None) => Err(invalid(
                "event_id",
                "invalid_event_id",
                "must be an event's webhook-id",
            )),
            (None, Some(since)) => Timestamp::parse_rfc3339(&since)
                .map(Replay::Since)
                .ok_or_else(|| invalid("since", "invalid_time", "must be an RFC 3339 time")),
            _ => Err(invalid(
                "event_id",
                "one_of",
                "name either event_id or since",
            )),
        }
    }
}

pub async fn replay_webhook<B: Backend>(
    id: &str,
    body: &[u8],
    caller: &Caller<'_>,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let asked: Asked = serde_json::from_slice(body).map_err(|e| ApiError::BadRequest {
        code: "malformed_json",
        message: format!("Send {{\"event_id\"}} or {{\"since\"}} as JSON: {e}"),
    })?;
    let replay = Replay::try_from(asked)?;
    let endpoint: WebhookEndpoint = store
        .get(RecordKind::Webhook, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let covered = endpoints::replay(store, &endpoint, replay, &caller.actor(), now).await?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &serde_json::json!({ "queued": covered }),
    ))
}
