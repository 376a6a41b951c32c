//! `GET /api/v1/webhooks` (admin key or `webhooks:write`): every endpoint, without secrets.

use crate::view::webhook_view;
use http::{Response, StatusCode};
use shared::http::{ApiError, json_response};
use shared::store::{Backend, Store};

pub async fn list_webhooks<B: Backend>(store: &Store<B>) -> Result<Response<String>, ApiError> {
    let mut items = Vec::new();
    for endpoint in store.webhooks().await? {
        let progress = store.webhook_progress(&endpoint.id).await?;
        items.push(webhook_view(&endpoint, progress.as_ref()));
    }
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "items": items }),
    ))
}
