//! API keys: their format, their hash, and the check of a request's key and scopes.
//!
//! A key reads `mck_{id}_{secret}`: `mck_` makes it recognisable (secret scanners, logs), `{id}` is the
//! key's public id (22 URL-safe characters), `{secret}` 256 random bits (44 URL-safe characters). The
//! store keeps only `sha256:` + hex SHA-256 of the whole key; a request's key is found by its id and its
//! hash compared in constant time.

use http::{HeaderMap, Response};
use sha2::{Digest, Sha256};
use shared::http::{ApiError, Reply, bearer, constant_time_eq};
use shared::ids::{is_id, new_id};
use shared::records::{Action, Actor, ApiKey};
use shared::store::{Backend, Event, Log, RecordKind, Store};
use shared::time::Timestamp;

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

/// The request's key, if it is known, unexpired and unrevoked (401 otherwise); its use is noted.
pub async fn authenticate<B: Backend>(
    headers: &HeaderMap,
    store: &Store<B>,
    now: Timestamp,
) -> Result<ApiKey, ApiError> {
    let token = bearer(headers).ok_or(ApiError::Unauthorized)?;
    let id = key_id(token).ok_or(ApiError::Unauthorized)?;
    let key: ApiKey = store
        .get(RecordKind::ApiKey, id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let valid = constant_time_eq(&hash(token), &key.secret_hash)
        && key.revoked_at.is_none()
        && key.expires_at.is_none_or(|at| at > now);
    if !valid {
        return Err(ApiError::Unauthorized);
    }
    store.touch_api_key(&key.id, now).await?;
    Ok(key)
}

/// Runs `handler` with the request's key (401 without a valid one). A refusal or failure after that (a
/// missing scope, a bad cursor, a stale `If-Match`, an internal error...) is registered in the `access`
/// log as `what` and the error's code, so every request made with a key leaves an entry; successes
/// register themselves, with what they read or changed.
pub async fn keyed<B: Backend, T: Into<Reply>>(
    headers: &HeaderMap,
    store: &Store<B>,
    now: Timestamp,
    what: &str,
    handler: impl AsyncFnOnce(&ApiKey) -> Result<Response<T>, ApiError>,
) -> Result<Response<Reply>, ApiError> {
    let key = authenticate(headers, store, now).await?;
    let result = handler(&key).await;
    if let Err(error) = &result {
        let event = Event::by(
            actor(&key),
            Log::Access,
            Action::Refused,
            Some(format!("{what} {}", error.code())),
            now,
        );
        let noted = store.note_many(event).await;
        if let (ApiError::Internal(_), Err(cause)) = (error, &noted) {
            // The store is failing already; the request's own error is the one to answer.
            eprintln!("could not register a failed request: {cause}");
        } else {
            noted?;
        }
    }
    result.map(|response| response.map(T::into))
}

/// The register's actor for `key`.
pub fn actor(key: &ApiKey) -> Actor {
    Actor::ApiKey {
        key_id: key.id.clone(),
    }
}

/// The record `kind`/`id` with its `ETag`, for a key that carries `scope` (403 otherwise, 404 when
/// there is none); the read is registered in the `access` log as `detail`.
pub async fn read_tagged<B: Backend, R: serde::de::DeserializeOwned>(
    key: &ApiKey,
    scope: &'static str,
    store: &Store<B>,
    (kind, id): (RecordKind, &str),
    detail: &str,
    now: Timestamp,
) -> Result<(R, String), ApiError> {
    require(key, scope)?;
    let tagged = store
        .get_tagged::<R>(kind, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let event = Event::by(
        actor(key),
        Log::Access,
        Action::Read,
        Some(detail.to_owned()),
        now,
    );
    store.note(id, event).await?;
    Ok(tagged)
}

/// The `If-Match` of a conditional change, after its scope (403). Without one, the change is tried
/// with [`NO_ETAG`], which no record has: 404 for a record that does not exist, and
/// [`stale`] makes the answer for one that does 428.
pub fn if_match<'h>(
    key: &ApiKey,
    scope: &'static str,
    headers: &'h HeaderMap,
) -> Result<Option<&'h str>, ApiError> {
    require(key, scope)?;
    let Some(value) = headers.get(http::header::IF_MATCH) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(tags) if entity_tags(tags) => Ok(Some(tags)),
        _ => Err(ApiError::BadRequest {
            code: "invalid_if_match",
            message: "If-Match must be * or ETags as this API sends them (\"...\").".into(),
        }),
    }
}

/// `*` or a comma-separated list of entity tags (RFC 9110 8.8.3, ASCII, no comma inside a tag), as
/// the `If-Match` pattern of the OpenAPI document says.
fn entity_tags(value: &str) -> bool {
    let tag = |t: &str| {
        let t = t.trim_matches([' ', '\t']);
        let t = t.strip_prefix("W/").unwrap_or(t);
        t.len() >= 2
            && t.starts_with('"')
            && t.ends_with('"')
            && t[1..t.len() - 1]
                .bytes()
                .all(|b| b == b'!' || ((b'#'..=b'~').contains(&b) && b != b','))
    };
    value == "*" || value.split(',').all(tag)
}

/// Matches no record's ETag.
pub const NO_ETAG: &str = "";

/// The answer to a change whose `If-Match` did not match: 412, or 428 when there was none.
pub fn stale(if_match: Option<&str>) -> ApiError {
    match if_match {
        Some(_) => ApiError::PreconditionFailed,
        None => ApiError::PreconditionRequired,
    }
}

/// 403 unless `key` carries `scope`.
pub fn require(key: &ApiKey, scope: &'static str) -> Result<(), ApiError> {
    if has(key, scope) {
        Ok(())
    } else {
        Err(ApiError::MissingScope(scope))
    }
}

/// Whether `key` carries `scope`.
pub fn has(key: &ApiKey, scope: &str) -> bool {
    key.scopes.iter().any(|s| s == scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_takes_a_star_or_entity_tags_and_nothing_else() {
        for good in ["*", "\"abc\"", "W/\"x\"", " \"a\" , \"b\" ", "\"\""] {
            assert!(entity_tags(good), "{good:?}");
        }
        for bad in [
            "",
            "abc",
            "\"a",
            "\"a,b\"",
            "\"a\" \"b\"",
            "\"\u{e9}\"",
            "**",
        ] {
            assert!(!entity_tags(bad), "{bad:?}");
        }
    }

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
