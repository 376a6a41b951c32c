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
        shared::records::truncate_ips(&mut record);
    }
    let mut response = shared::http::json_response(http::StatusCode::OK, &record);
    if let Ok(value) = http::HeaderValue::from_str(etag) {
        response.headers_mut().insert(http::header::ETAG, value);
    }
    response
}

/// A webhook endpoint as the API shows it: its secrets by id only, and how far its deliveries got.
pub fn webhook_view(
    endpoint: &shared::records::WebhookEndpoint,
    progress: Option<&shared::records::WebhookProgress>,
) -> serde_json::Value {
    serde_json::json!({
        "id": endpoint.id,
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "scopes": endpoint.scopes,
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": endpoint.created_at,
        "created_by": endpoint.created_by,
        "secrets": endpoint.secrets.iter().map(|s| serde_json::json!({
            "id": s.id,
            "created_at": s.created_at,
        })).collect::<Vec<_>>(),
        "delivery": progress.map(|p| serde_json::json!({
            "cursor": p.cursor,
            "deliveries": p.deliveries,
            "replays_waiting": p.replays.len(),
            "retrying": p.in_flight.as_ref().filter(|f| f.attempts > 0).map(|f| serde_json::json!({
                "event": f.event,
                "attempts": f.attempts,
                "next_attempt_at": f.next_attempt_at,
            })),
        })),
    })
}
