//! The marketing API's keys at the door: the bearer key of a request (its format, hash and scopes are
//! `shared::staff::keys`), the register entry of every keyed request, and `If-Match`.

use http::{HeaderMap, Response};
use shared::http::{ApiError, Reply, bearer};
use shared::records::{Action, ApiKey};
use shared::store::{Backend, Event, Log, RecordKind, Store};
use shared::time::Timestamp;

pub use shared::staff::keys::{
    CONSENTS_READ, CONTACTS_READ, CONTACTS_WRITE, DEMO_REQUESTS_WRITE, IP_READ, LEADS_READ,
    OPT_OUTS_READ, PRIVACY_READ, PRIVACY_WRITE, REGISTER_READ, SCOPES, WEBHOOKS_WRITE, actor, has,
    new_key, require,
};

/// The request's bearer key, if it is known, unexpired and unrevoked (401 otherwise); its use is noted.
pub async fn authenticate<B: Backend>(
    headers: &HeaderMap,
    store: &Store<B>,
    now: Timestamp,
) -> Result<ApiKey, ApiError> {
    let token = bearer(headers).ok_or(ApiError::Unauthorized)?;
    shared::staff::keys::authenticate(token, store, now).await
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
            shared::log_line!("could not register a failed request: {cause}");
        } else {
            noted?;
        }
    }
    result.map(|response| response.map(T::into))
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
/// [`ApiError::stale`] makes the answer for one that does 428.
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
}
