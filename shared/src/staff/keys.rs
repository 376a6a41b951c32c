//! API keys: their format, their hash, their scopes, and the check of a presented key.
//!
//! A key reads `mck_{id}_{secret}`: `mck_` makes it recognisable (secret scanners, logs), `{id}` is the
//! key's public id (22 URL-safe characters), `{secret}` 256 random bits (44 URL-safe characters). The
//! store keeps only `sha256:` + hex SHA-256 of the whole key; a presented key is found by its id and its
//! hash compared in constant time. The marketing API takes it as a bearer token, the privacy desk from
//! its sign-in form.

use crate::http::{ApiError, constant_time_eq};
use crate::ids::{is_id, new_id};
use crate::records::{Actor, ApiKey, RecordKind};
use crate::store::{Backend, Store};
use crate::time::Timestamp;
use sha2::{Digest, Sha256};

/// The prefix of every key.
pub const PREFIX: &str = "mck_";

/// The scopes a key can carry.
pub const LEADS_READ: &str = "leads:read";
pub const DEMO_REQUESTS_WRITE: &str = "demo-requests:write";
pub const CONSENTS_READ: &str = "consents:read";
pub const OPT_OUTS_READ: &str = "opt-outs:read";
pub const IP_READ: &str = "ip:read";
pub const PRIVACY_READ: &str = "privacy:read";
pub const PRIVACY_WRITE: &str = "privacy:write";
pub const REGISTER_READ: &str = "register:read";
pub const CONTACTS_READ: &str = "contacts:read";
pub const CONTACTS_WRITE: &str = "contacts:write";
pub const WEBHOOKS_WRITE: &str = "webhooks:write";
pub const SCOPES: [&str; 11] = [
    LEADS_READ,
    DEMO_REQUESTS_WRITE,
    CONSENTS_READ,
    OPT_OUTS_READ,
    IP_READ,
    PRIVACY_READ,
    PRIVACY_WRITE,
    REGISTER_READ,
    CONTACTS_READ,
    CONTACTS_WRITE,
    WEBHOOKS_WRITE,
];

/// A new key for id `id`: the key as shown once, and the hash to store.
pub fn new_key(id: &str) -> (String, String) {
    let key = format!("{PREFIX}{id}_{}{}", new_id(), new_id());
    let hash = hash(&key);
    (key, hash)
}

/// `sha256:` + hex SHA-256 of `key`.
pub fn hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The key id inside a key of the right shape.
pub fn key_id(key: &str) -> Option<&str> {
    let rest = key.strip_prefix(PREFIX)?;
    let id = rest.get(..22)?;
    let secret = rest.get(22..)?.strip_prefix('_')?;
    (is_id(id) && secret.len() == 44).then_some(id)
}

/// Whether `key` may be used at `now`: neither revoked nor expired.
pub fn usable(key: &ApiKey, now: Timestamp) -> bool {
    key.revoked_at.is_none() && key.expires_at.is_none_or(|at| at > now)
}

/// The stored key that `presented` is, if it is known, unexpired and unrevoked (401 otherwise); its use
/// is noted.
pub async fn authenticate<B: Backend>(
    presented: &str,
    store: &Store<B>,
    now: Timestamp,
) -> Result<ApiKey, ApiError> {
    let id = key_id(presented.trim()).ok_or(ApiError::Unauthorized)?;
    let key: ApiKey = store
        .get(RecordKind::ApiKey, id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !(constant_time_eq(&hash(presented.trim()), &key.secret_hash) && usable(&key, now)) {
        return Err(ApiError::Unauthorized);
    }
    store.touch_api_key(&key.id, now).await?;
    Ok(key)
}

/// The register's actor for `key`.
pub fn actor(key: &ApiKey) -> Actor {
    Actor::ApiKey {
        key_id: key.id.clone(),
    }
}

/// Whether `key` carries `scope`.
pub fn has(key: &ApiKey, scope: &str) -> bool {
    key.scopes.iter().any(|s| s == scope)
}

/// 403 unless `key` carries `scope`.
pub fn require(key: &ApiKey, scope: &'static str) -> Result<(), ApiError> {
    if has(key, scope) {
        Ok(())
    } else {
        Err(ApiError::MissingScope(scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_carries_its_id_and_only_its_hash_is_kept() {
        let id = new_id();
        let (key, stored) = new_key(&id);
        assert!(key.starts_with("mck_"));
        assert_eq!(key_id(&key), Some(id.as_str()));
        assert_eq!(stored, hash(&key));
        assert!(!stored.contains(&key[4 + 22 + 1..]));
        assert_eq!(key_id("mck_short_x"), None);
        assert_eq!(key_id(&key[..key.len() - 1]), None);
        assert_eq!(key_id(&key.replacen("mck_", "xyz_", 1)), None);
    }
}
