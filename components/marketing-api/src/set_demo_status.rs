//! `PATCH /api/v1/demo-requests/{id}` (`demo-requests:write`): `{"status": ...}` with `If-Match: <ETag>`.
//! Only a change made to the state the client read lands: a stale ETag gets `412` and changes nothing,
//! so two marketers never overwrite each other; no `If-Match` gets `428`. The change is an entry of the
//! `demo-requests` log (so it reaches every sync) naming the key (so it is in the register).

use crate::auth::{DEMO_REQUESTS_WRITE, IP_READ, actor, has, if_match};
use crate::view::tagged;
use http::{HeaderMap, Response};
use serde_json::{Map, Value};
use shared::http::{ApiError, FieldError, read_json_object};
use shared::records::{Action, ApiKey, DemoRequest, DemoStatus};
use shared::store::{Backend, Conditional, Event, Log, RecordKind, Store};
use shared::time::Timestamp;

/// The statuses a demo request can be given.
const STATUSES: &str = "requested, contacted, scheduled, done or cancelled";

/// The largest body read.
const MAX_BODY: usize = 4096;

/// Checks the scope and `If-Match` before reading the body, so a key without the scope costs no parse
/// and is told what is wrong first.
pub async fn set_demo_status<B: Backend, Bd>(
    id: &str,
    headers: &HeaderMap,
    body: Bd,
    key: &ApiKey,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError>
where
    Bd: http_body::Body,
    Bd::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let if_match = if_match(key, DEMO_REQUESTS_WRITE, headers)?;
    let status = parse(read_json_object(headers, body, MAX_BODY, true).await?)?;
    let event = Event {
        log: Log::DemoRequests,
        action: Action::Updated,
        actor: actor(key),
        detail: Some(format!("status={}", status_name(status))),
        at: now,
    };
    let outcome = store
        .update_if(
            RecordKind::DemoRequest,
            id,
            if_match,
            event,
            |r: &mut DemoRequest| {
                let changed = r.status != status;
                r.status = status;
                changed
            },
        )
        .await?;
    match outcome {
        Conditional::Missing => Err(ApiError::NotFound),
        Conditional::Stale => Err(ApiError::PreconditionFailed),
        Conditional::Unchanged(record, etag) => {
            // Nothing changed, but the key read the record: registered as a read.
            let event = Event {
                log: Log::Access,
                action: Action::Read,
                actor: actor(key),
                detail: Some(format!(
                    "demo-request status already {}",
                    status_name(status)
                )),
                at: now,
            };
            store.note(id, event).await?;
            answer(record, &etag, key)
        }
        Conditional::Changed(record, etag) => answer(record, &etag, key),
    }
}

/// The record as the key may see it, with its `ETag`.
fn answer(record: DemoRequest, etag: &str, key: &ApiKey) -> Result<Response<String>, ApiError> {
    let record = serde_json::to_value(record).map_err(anyhow::Error::from)?;
    Ok(tagged(record, etag, has(key, IP_READ)))
}

/// The new status, or a 422 naming each field that is missing, unknown or invalid.
fn parse(mut body: Map<String, Value>) -> Result<DemoStatus, ApiError> {
    let mut errors: Vec<FieldError> = body
        .keys()
        .filter(|name| *name != "status")
        .map(|name| {
            FieldError::new(
                name.as_str(),
                "unknown_field",
                "Only status can be changed.",
            )
        })
        .collect();
    let status = match body.remove("status") {
        None => {
            errors.push(FieldError::new(
                "status",
                "required",
                format!("One of {STATUSES}."),
            ));
            None
        }
        Some(value) => {
            let parsed = serde_json::from_value::<DemoStatus>(value).ok();
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "status",
                    "invalid_status",
                    format!("One of {STATUSES}."),
                ));
            }
            parsed
        }
    };
    match status {
        Some(status) if errors.is_empty() => Ok(status),
        _ => Err(ApiError::Invalid(errors)),
    }
}

/// The status as it is written in JSON.
fn status_name(status: DemoStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_known_status_is_taken_and_anything_else_is_named() {
        assert_eq!(
            parse(body(json!({"status": "contacted"}))).unwrap(),
            DemoStatus::Contacted
        );
        let fields = |value| match parse(body(value)) {
            Err(ApiError::Invalid(errors)) => {
                errors.into_iter().map(|e| e.field).collect::<Vec<_>>()
            }
            other => panic!("expected 422, got {other:?}"),
        };
        assert_eq!(fields(json!({"status": "won"})), ["status"]);
        assert_eq!(fields(json!({"status": 3})), ["status"]);
        assert_eq!(fields(json!({})), ["status"]);
        assert_eq!(fields(json!({"status": "done", "owner": "x"})), ["owner"]);
        assert_eq!(status_name(DemoStatus::Cancelled), "cancelled");
    }
}
