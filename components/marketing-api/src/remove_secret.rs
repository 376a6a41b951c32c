//! `DELETE /api/v1/webhooks/{id}/secrets/{secret_id}` (admin key or `webhooks:write`): ends a rotation
//! (`200` with the endpoint); `404` for an unknown endpoint or secret, `409` for the last secret.

use crate::caller::Caller;
use crate::view::webhook_view;
use http::{Response, StatusCode};
use shared::http::{ApiError, json_response};
use shared::store::{Backend, Store};
use shared::time::Timestamp;
use shared::webhooks::endpoints;

pub async fn remove_secret<B: Backend>(
    id: &str,
    secret: &str,
    caller: &Caller<'_>,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let endpoint = endpoints::remove_secret(store, id, secret, &caller.actor(), now).await?;
    let progress = store.webhook_progress(id).await?;
    Ok(json_response(
        StatusCode::OK,
        &webhook_view(&endpoint, progress.as_ref()),
    ))
}
