//! `GET /api/v1/demo-requests/{id}` (`leads:read`): one demo request with its `ETag`, the state a
//! `PATCH` names in `If-Match`. Full IP addresses only with `ip:read`; the read is registered.

use crate::auth::{IP_READ, LEADS_READ, actor, has, require};
use crate::view::tagged;
use http::Response;
use serde_json::Value;
use shared::http::ApiError;
use shared::records::{Action, ApiKey};
use shared::store::{Backend, Event, Log, RecordKind, Store};
use shared::time::Timestamp;

pub async fn show_demo_request<B: Backend>(
    id: &str,
    key: &ApiKey,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    require(key, LEADS_READ)?;
    let (record, etag) = store
        .get_tagged::<Value>(RecordKind::DemoRequest, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let event = Event {
        log: Log::Access,
        action: Action::Read,
        actor: actor(key),
        detail: Some("demo-request".into()),
        at: now,
    };
    store.note(id, event).await?;
    Ok(tagged(record, &etag, has(key, IP_READ)))
}
