//! How a key is shown: never its secret or hash.

use serde::Serialize;
use shared::records::ApiKey;
use shared::time::Timestamp;

/// The actor id under which the admin key's actions are registered.
pub const ADMIN: &str = "admin";

#[derive(Serialize)]
pub struct KeyView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub scopes: &'a [String],
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked: bool,
    pub revoked_at: Option<Timestamp>,
}

impl<'a> KeyView<'a> {
    pub fn of(key: &'a ApiKey, last_used_at: Option<Timestamp>) -> Self {
        Self {
            id: &key.id,
            name: &key.name,
            scopes: &key.scopes,
            created_at: key.created_at,
            expires_at: key.expires_at,
            last_used_at,
            revoked: key.revoked_at.is_some(),
            revoked_at: key.revoked_at,
        }
    }
}
