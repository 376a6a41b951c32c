//! `GET /api/v1/privacy-requests/{id}` (`privacy:read`): one request with its timeline, its `ETag`, and
//! what is held about the person (per record kind: how many and which ids), found through the person
//! index. The read is registered.

use crate::auth::{PRIVACY_READ, read_tagged};
use crate::privacy_view::full;
use http::Response;
use serde_json::{Value, json};
use shared::http::ApiError;
use shared::privacy::answer::find;
use shared::privacy::{DataRequest, PrivacySettings};
use shared::records::ApiKey;
use shared::store::{Backend, RecordKind, Store};
use shared::time::Timestamp;

pub async fn show_privacy_request<B: Backend>(
    id: &str,
    key: &ApiKey,
    settings: &PrivacySettings,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let (request, etag): (DataRequest, _) = read_tagged(
        key,
        PRIVACY_READ,
        store,
        (RecordKind::DataRequest, id),
        "privacy-request",
        now,
    )
    .await?;
    view(store, settings, &request, &etag, now).await
}

/// The request as staff see it, with what was found for the person, and its `ETag`.
pub async fn view<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    request: &DataRequest,
    etag: &str,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let found = find(store, settings, request, now).await?;
    let held: serde_json::Map<String, Value> = found
        .by_kind()
        .into_iter()
        .filter(|(kind, _)| *kind != RecordKind::DataRequest.as_str())
        .map(|(kind, ids)| (kind.to_owned(), json!({"count": ids.len(), "ids": ids})))
        .collect();
    let mut body = full(request, now);
    body["found"] = Value::Object(held);
    // Records are shown with full IPs to nobody here: the view holds no record, only ids.
    Ok(crate::view::tagged(body, etag, true))
}
