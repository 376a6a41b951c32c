//! `GET /api/v1/demo-requests/{id}` (`leads:read`): one demo request with its `ETag`, the state a
//! `PATCH` names in `If-Match`. Full IP addresses only with `ip:read`; the read is registered.

use crate::auth::{IP_READ, LEADS_READ, has, read_tagged};
use crate::view::tagged;
use http::Response;
use serde_json::Value;
use shared::http::ApiError;
use shared::records::ApiKey;
use shared::store::{Backend, RecordKind, Store};
use shared::time::Timestamp;

pub async fn show_demo_request<B: Backend>(
    id: &str,
    key: &ApiKey,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let (record, etag): (Value, _) = read_tagged(
        key,
        LEADS_READ,
        store,
        (RecordKind::DemoRequest, id),
        "demo-request",
        now,
    )
    .await?;
    Ok(tagged(record, &etag, has(key, IP_READ)))
}
