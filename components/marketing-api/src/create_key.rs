//! `POST /api/v1/keys` (admin): `{name, scopes, expires_at?}` → `201` with the key, shown this once.

use crate::auth::{SCOPES, new_key};
use crate::config::ApiConfig;
use crate::view::{ADMIN, KeyView};
use http::{HeaderMap, Response, StatusCode};
use serde::{Deserialize, Serialize};
use shared::http::{ApiError, FieldError, json_response};
use shared::ids::new_id;
use shared::records::{Action, Actor, ApiKey, SCHEMA_VERSION};
use shared::store::{Backend, Event, Log, Store};
use shared::time::Timestamp;

/// The largest request body accepted.
const MAX_BODY: usize = 4096;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    scopes: Vec<String>,
    #[serde(default)]
    expires_at: Option<String>,
}

#[derive(Serialize)]
struct Created<'a> {
    /// The key itself: shown only in this answer.
    key: &'a str,
    #[serde(flatten)]
    view: KeyView<'a>,
}

pub async fn create_key<B: Backend>(
    headers: &HeaderMap,
    body: &[u8],
    config: &ApiConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    config.check_admin(headers)?;
    if body.len() > MAX_BODY {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY });
    }
    let request: NewKey = serde_json::from_slice(body).map_err(|e| ApiError::BadRequest {
        code: "malformed_json",
        message: format!("Send {{\"name\", \"scopes\", \"expires_at\"?}} as JSON: {e}"),
    })?;
    let record = validate(request, now)?;
    let (secret, hash) = new_key(&record.id);
    let record = ApiKey {
        secret_hash: hash,
        ..record
    };
    let event = Event::by(
        Actor::ApiKey {
            key_id: ADMIN.into(),
        },
        Log::Access,
        Action::Updated,
        Some(format!("api-key created: {}", record.scopes.join(" "))),
        now,
    );
    store.create_api_key(&record, event).await?;
    let view = KeyView::of(&record, None);
    Ok(json_response(
        StatusCode::CREATED,
        &Created { key: &secret, view },
    ))
}

/// The new key's record (a fresh id, no secret yet), or a 422 naming every bad field.
fn validate(request: NewKey, now: Timestamp) -> Result<ApiKey, ApiError> {
    let mut errors = Vec::new();
    let name = request.name.trim().to_owned();
    // The limit counts the name as sent, as the OpenAPI document's maxLength does.
    if name.is_empty() || request.name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            "invalid_name",
            "1 to 100 printable characters",
        ));
    }
    let mut scopes: Vec<String> = Vec::new();
    for scope in &request.scopes {
        if !SCOPES.contains(&scope.as_str()) {
            errors.push(FieldError::new(
                "scopes",
                "unknown_scope",
                format!("unknown scope {scope:?}; known: {}", SCOPES.join(", ")),
            ));
        } else if scopes.contains(scope) {
            // As the OpenAPI document's `uniqueItems` says; it also keeps any valid body small.
            errors.push(FieldError::new(
                "scopes",
                "duplicate_scope",
                format!("scope {scope:?} is named twice"),
            ));
        } else {
            scopes.push(scope.clone());
        }
    }
    if request.scopes.is_empty() {
        errors.push(FieldError::new(
            "scopes",
            "no_scopes",
            "name at least one scope",
        ));
    }
    let expires_at = match request.expires_at.as_deref() {
        None => None,
        Some(raw) => match Timestamp::parse_rfc3339(raw) {
            Some(at) if at > now => Some(at),
            Some(_) => {
                errors.push(FieldError::new(
                    "expires_at",
                    "in_the_past",
                    "must lie in the future",
                ));
                None
            }
            None => {
                errors.push(FieldError::new(
                    "expires_at",
                    "invalid_time",
                    "RFC 3339 UTC, e.g. 2027-01-31T00:00:00Z",
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    Ok(ApiKey {
        v: SCHEMA_VERSION,
        id: new_id(),
        name,
        scopes,
        secret_hash: String::new(),
        created_at: now,
        expires_at,
        revoked_at: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_document_lists_every_scope_and_allows_each_once() {
        let document: Value = serde_json::from_str(shared::openapi::TEMPLATE).unwrap();
        let schemas = &document["components"]["schemas"];
        let listed: Vec<&str> = schemas["Scope"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(listed, SCOPES);
        let scopes = &schemas["NewApiKeyRequest"]["properties"]["scopes"];
        assert_eq!(scopes["maxItems"], SCOPES.len());
        assert_eq!(scopes["uniqueItems"], true);
    }
}
