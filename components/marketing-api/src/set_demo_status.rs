//! `PATCH /api/v1/demo-requests/{id}` (`demo-requests:write`): `{"status": ...}` with `If-Match: <ETag>`.
//! Only a change made to the state the client read lands: a stale ETag gets `412` and changes nothing,
//! so two marketers never overwrite each other; no `If-Match` gets `428`. The change is an entry of the
//! `demo-requests` log (so it reaches every sync) naming the key (so it is in the register).

use crate::auth::{DEMO_REQUESTS_WRITE, IP_READ, NO_ETAG, actor, has, if_match};
use crate::view::tagged;
use bytes::Bytes;
use http::{HeaderMap, Response};
use http_body_util::Full;
use shared::body::{BodyRules, FieldReader, RawFields};
use shared::http::ApiError;
use shared::records::{Action, ApiKey, DemoRequest, DemoStatus};
use shared::store::{Backend, Conditional, Event, Log, RecordKind, Store};
use shared::time::Timestamp;

/// The largest body read.
const MAX_BODY: usize = 4096;

/// Checks the scope and `If-Match` before reading the body, so a key without the scope costs no parse
/// and is told what is wrong first.
pub async fn set_demo_status<B: Backend>(
    id: &str,
    headers: &HeaderMap,
    body: Full<Bytes>,
    key: &ApiKey,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let if_match = if_match(key, DEMO_REQUESTS_WRITE, headers)?;
    let (fields, _) = RawFields::read(headers, body, MAX_BODY, &BodyRules::any_json()).await?;
    let status = parse(FieldReader::new(fields))?;
    let event = Event::by(
        actor(key),
        Log::DemoRequests,
        Action::Updated,
        Some(format!("status={}", status.as_str())),
        now,
    );
    let outcome = store
        .update_if(
            RecordKind::DemoRequest,
            id,
            if_match.unwrap_or(NO_ETAG),
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
        Conditional::Stale => Err(ApiError::stale(if_match)),
        Conditional::Unchanged(record, etag) => {
            // Nothing changed, but the key read the record: registered as a read.
            let event = Event::by(
                actor(key),
                Log::Access,
                Action::Read,
                Some(format!("demo-request status already {}", status.as_str())),
                now,
            );
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
fn parse(mut fields: FieldReader) -> Result<DemoStatus, ApiError> {
    let status = fields.required("status", DemoStatus::parse);
    fields.finish_with("Only status can be changed.")?;
    status.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("a status change passed without its status"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse_json(value: Value) -> Result<DemoStatus, ApiError> {
        let body = value.to_string();
        let (fields, _) = RawFields::parse_as(
            Some("application/merge-patch+json"),
            body.as_bytes(),
            &BodyRules::any_json(),
        )?;
        parse(FieldReader::new(fields))
    }

    #[test]
    fn a_known_status_is_taken_and_anything_else_is_named() {
        assert_eq!(
            parse_json(json!({"status": "contacted"})).unwrap(),
            DemoStatus::Contacted
        );
        let fields = |value| match parse_json(value) {
            Err(ApiError::Invalid(errors)) => errors
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect::<Vec<_>>(),
            other => panic!("expected 422, got {other:?}"),
        };
        let named = |field: &str, code| vec![(field.to_owned(), code)];
        assert_eq!(
            fields(json!({"status": "won"})),
            named("status", "invalid_status")
        );
        assert_eq!(
            fields(json!({"status": 3})),
            named("status", "invalid_type")
        );
        assert_eq!(
            fields(json!({"status": {}})),
            named("status", "invalid_type")
        );
        assert_eq!(fields(json!({})), named("status", "required"));
        assert_eq!(
            fields(json!({"status": "done", "owner": "x"})),
            named("owner", "unknown_field")
        );
    }
}
