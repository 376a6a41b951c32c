//! `GET /api/v1/keys` (admin): every key, oldest first, without secrets (`{"keys": [...]}`).

use crate::config::ApiConfig;
use crate::view::KeyView;
use http::{HeaderMap, Response, StatusCode};
use serde::Serialize;
use shared::http::{ApiError, json_response};
use shared::store::{Backend, Store};

#[derive(Serialize)]
struct Keys<'a> {
    keys: Vec<KeyView<'a>>,
}

pub async fn list_keys<B: Backend>(
    headers: &HeaderMap,
    config: &ApiConfig,
    store: &Store<B>,
) -> Result<Response<String>, ApiError> {
    config.check_admin(headers)?;
    let keys = store.api_keys().await?;
    let keys = keys
        .iter()
        .map(|(key, used)| KeyView::of(key, *used))
        .collect();
    Ok(json_response(StatusCode::OK, &Keys { keys }))
}
