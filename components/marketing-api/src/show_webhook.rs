//! `GET /api/v1/webhooks/{id}` (admin key or `webhooks:write`): one endpoint, without secrets.

use crate::view::webhook_view;
use http::{Response, StatusCode};
use shared::http::{ApiError, json_response};
use shared::records::WebhookEndpoint;
use shared::store::{Backend, RecordKind, Store};

pub async fn show_webhook<B: Backend>(
    id: &str,
    store: &Store<B>,
) -> Result<Response<String>, ApiError> {
    let endpoint: WebhookEndpoint = store
        .get(RecordKind::Webhook, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let progress = store.webhook_progress(id).await?;
    Ok(json_response(
        StatusCode::OK,
        &webhook_view(&endpoint, progress.as_ref()),
    ))
}
