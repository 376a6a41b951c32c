//! `POST /api/v1/webhooks` (admin key or `webhooks:write`): `{"url", "events", "description"?,
//! "scopes"?}` → `201` with the endpoint, its `secret` (shown this once) and `status`.

use crate::caller::Caller;
use crate::config::ApiConfig;
use crate::view::webhook_view;
use http::{Response, StatusCode};
use shared::http::{ApiError, json_response};
use shared::store::{Backend, Store};
use shared::time::Timestamp;
use shared::webhooks::endpoints::{self, EndpointSpec, NewEndpoint};

/// The largest request body accepted.
pub const MAX_BODY: usize = 16 * 1024;

pub async fn create_webhook<B: Backend>(
    body: &[u8],
    caller: &Caller<'_>,
    config: &ApiConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let raw: NewEndpoint = serde_json::from_slice(body).map_err(|e| ApiError::BadRequest {
        code: "malformed_json",
        message: format!(
            "Send {{\"url\", \"events\", \"description\"?, \"scopes\"?}} as JSON: {e}"
        ),
    })?;
    let spec = EndpointSpec::parse(raw, &config.webhook_hosts, caller.granting())?;
    let (endpoint, secret) =
        endpoints::create(store, spec, &caller.actor(), caller.id(), now).await?;
    let progress = store.webhook_progress(&endpoint.id).await?;
    let mut view = webhook_view(&endpoint, progress.as_ref());
    view["secret"] = serde_json::json!(secret);
    Ok(json_response(StatusCode::CREATED, &view))
}
