//! `DELETE /api/v1/keys/{id}` (admin): revokes a key at once (`204`; `404` for an unknown id). The key
//! stays listed, marked revoked; revoking it again changes nothing.

use crate::config::ApiConfig;
use crate::view::ADMIN;
use http::{HeaderMap, Response};
use shared::http::{ApiError, no_content};
use shared::records::{Action, Actor, ApiKey, notes};
use shared::store::{Backend, Event, Log, RecordKind, Store, Updated};
use shared::time::Timestamp;

pub async fn revoke_key<B: Backend>(
    headers: &HeaderMap,
    id: &str,
    config: &ApiConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    config.check_admin(headers)?;
    let event = Event::by(
        Actor::ApiKey {
            key_id: ADMIN.into(),
        },
        Log::Access,
        Action::Updated,
        Some(notes::KEY_REVOKED.into()),
        now,
    );
    let updated = store
        .update(RecordKind::ApiKey, id, event, |key: &mut ApiKey| {
            let fresh = key.revoked_at.is_none();
            if fresh {
                key.revoked_at = Some(now);
            }
            fresh
        })
        .await?;
    match updated {
        Updated::Missing => Err(ApiError::NotFound),
        Updated::Changed(_) | Updated::Unchanged(_) => Ok(no_content()),
    }
}
