//! `GET /api/v1/privacy-requests?status=` (`privacy:read`): every data-subject request, or those in one
//! status, soonest due first (unconfirmed ones, which have no due date, last); overdue and soon-due ones
//! flagged. O(requests): the request list is kept apart from the store's other keys. The read is
//! registered.

use crate::auth::{PRIVACY_READ, actor, require};
use crate::privacy_view::item;
use http::{Response, StatusCode};
use serde_json::json;
use shared::http::{ApiError, json_response};
use shared::privacy::RequestStatus;
use shared::records::{Action, ApiKey};
use shared::store::{Backend, Event, Log, Store};
use shared::time::Timestamp;

pub async fn list_privacy_requests<B: Backend>(
    query: Option<&str>,
    key: &ApiKey,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    require(key, PRIVACY_READ)?;
    let mut wanted = None;
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "status" => wanted = Some(
                RequestStatus::parse(&value).ok_or(ApiError::BadRequest {
                    code: "invalid_status",
                    message:
                        "status must be unverified, open, extended, completed, denied or expired"
                            .into(),
                })?,
            ),
            _ => {
                return Err(ApiError::BadRequest {
                    code: "unknown_parameter",
                    message: format!("{name} is not a parameter of this list (status)"),
                });
            }
        }
    }
    let mut requests = store.requests().await?;
    requests.retain(|r| wanted.is_none_or(|s| r.status_at(now) == s));
    requests.sort_by_key(|r| (r.due_at.is_none(), r.due_at, r.asked_at));
    let items: Vec<_> = requests.iter().map(|r| item(r, now)).collect();
    let event = Event::by(
        actor(key),
        Log::Access,
        Action::Read,
        Some(format!("privacy-requests listed count={}", items.len())),
        now,
    );
    store.note_many(event).await?;
    Ok(json_response(StatusCode::OK, &json!({ "items": items })))
}
