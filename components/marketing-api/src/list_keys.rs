//! `GET /api/v1/keys` (admin): every key, oldest first, without secrets (`{"keys": [...]}`). The listing
//! is registered, as all key management is.

use crate::config::ApiConfig;
use crate::view::{ADMIN, KeyView};
use http::{HeaderMap, Response, StatusCode};
use serde::Serialize;
use shared::http::{ApiError, json_response};
use shared::records::{Action, Actor};
use shared::store::{Backend, Event, Log, Store};
use shared::time::Timestamp;

#[derive(Serialize)]
struct Keys<'a> {
    keys: Vec<KeyView<'a>>,
}

pub async fn list_keys<B: Backend>(
    headers: &HeaderMap,
    config: &ApiConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    config.check_admin(headers)?;
    let keys = store.api_keys().await?;
    let event = Event::by(
        Actor::ApiKey {
            key_id: ADMIN.into(),
        },
        Log::Access,
        Action::Read,
        Some(format!("api-keys listed count={}", keys.len())),
        now,
    );
    store.note_many(event).await?;
    let keys = keys
        .iter()
        .map(|(key, used)| KeyView::of(key, *used))
        .collect();
    Ok(json_response(StatusCode::OK, &Keys { keys }))
}
