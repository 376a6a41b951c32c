//! `POST /api/v1/webhooks/{id}/secrets` (admin key or `webhooks:write`): a second secret for a rotation
//! (`201` with the endpoint, the new `secret` shown this once and its `secret_id`); messages carry a
//! signature by each secret until the old one is removed. `409` when the endpoint holds three already.

use crate::caller::Caller;
use crate::view::webhook_view;
use http::{Response, StatusCode};
use shared::http::{ApiError, json_response};
use shared::store::{Backend, Store};
use shared::time::Timestamp;
use shared::webhooks::endpoints;

pub async fn rotate_secret<B: Backend>(
    id: &str,
    caller: &Caller<'_>,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let (endpoint, secret) = endpoints::rotate(store, id, &caller.actor(), now).await?;
    let progress = store.webhook_progress(id).await?;
    let mut view = webhook_view(&endpoint, progress.as_ref());
    view["secret"] = serde_json::json!(secret);
    view["secret_id"] = serde_json::json!(endpoint.secrets.last().map(|s| s.id.clone()));
    Ok(json_response(StatusCode::CREATED, &view))
}
