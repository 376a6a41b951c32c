//! `DELETE /api/v1/webhooks/{id}` (admin key or `webhooks:write`): the endpoint, its progress and its
//! delivery log are deleted (`204`; `404` for an unknown id). A register entry says so.

use crate::caller::Caller;
use http::Response;
use shared::http::{ApiError, no_content};
use shared::store::{Backend, Store};
use shared::time::Timestamp;
use shared::webhooks::endpoints;

pub async fn delete_webhook<B: Backend>(
    id: &str,
    caller: &Caller<'_>,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    if endpoints::delete(store, id, &caller.actor(), now).await? {
        Ok(no_content())
    } else {
        Err(ApiError::NotFound)
    }
}
