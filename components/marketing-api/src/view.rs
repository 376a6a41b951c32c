//! How keys and records are shown: a key never with its secret or hash, a record with its `ETag`.

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

/// A record as JSON with its `ETag`, full IP addresses only when `full_ips`.
pub fn tagged(mut record: serde_json::Value, etag: &str, full_ips: bool) -> http::Response<String> {
    if !full_ips {
        crate::feed::truncate_ips(&mut record);
    }
    let mut response = shared::http::json_response(http::StatusCode::OK, &record);
    if let Ok(value) = http::HeaderValue::from_str(etag) {
        response.headers_mut().insert(http::header::ETAG, value);
    }
    response
}
