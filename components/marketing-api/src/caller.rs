//! Who manages webhooks: the admin key, or an API key with `webhooks:write` (whose refusals are
//! registered as every keyed request's are).

use crate::auth::{WEBHOOKS_WRITE, actor, keyed, require};
use crate::config::ApiConfig;
use crate::view::ADMIN;
use http::{HeaderMap, Response};
use shared::http::{ApiError, Reply};
use shared::records::{Actor, ApiKey};
use shared::store::{Backend, Store};
use shared::time::Timestamp;

/// The caller of a webhook route.
pub enum Caller<'a> {
    Admin,
    Key(&'a ApiKey),
}

impl Caller<'_> {
    /// Who the register names.
    pub fn actor(&self) -> Actor {
        match self {
            Self::Admin => Actor::ApiKey {
                key_id: ADMIN.into(),
            },
            Self::Key(key) => actor(key),
        }
    }

    /// The id an endpoint records as its maker.
    pub fn id(&self) -> &str {
        match self {
            Self::Admin => ADMIN,
            Self::Key(key) => &key.id,
        }
    }

    /// The scopes the caller may grant an endpoint (`None`: any, for the admin key).
    pub fn granting(&self) -> Option<&[String]> {
        match self {
            Self::Admin => None,
            Self::Key(key) => Some(&key.scopes),
        }
    }
}

/// Runs `handler` for the admin key, or for an API key holding `webhooks:write` (401 and 403 otherwise).
pub async fn as_caller<B: Backend, T: Into<Reply>>(
    headers: &HeaderMap,
    config: &ApiConfig,
    store: &Store<B>,
    now: Timestamp,
    what: &str,
    handler: impl AsyncFnOnce(&Caller) -> Result<Response<T>, ApiError>,
) -> Result<Response<Reply>, ApiError> {
    if config.is_admin(headers) {
        return handler(&Caller::Admin)
            .await
            .map(|response| response.map(T::into));
    }
    keyed(headers, store, now, what, async |key| {
        require(key, WEBHOOKS_WRITE)?;
        handler(&Caller::Key(key)).await
    })
    .await
}
