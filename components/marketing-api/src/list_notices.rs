//! `GET /api/v1/contacts/notices?status=due|overdue|undeliverable` (`contacts:read`): the Art. 14
//! notices still owed (`due`: not queued yet; `overdue`: of those, past their deadline) or that could not
//! be delivered, soonest deadline first, with counts. Owed notices are found after the notices job's
//! mark (O(backlog)), undeliverable ones in their own list (O(undeliverable)). The read is registered.

use crate::auth::{CONTACTS_READ, actor, require};
use http::{Response, StatusCode};
use serde_json::json;
use shared::http::{ApiError, json_response};
use shared::jobs::notices;
use shared::records::{Action, ApiKey, ImportedContact};
use shared::store::{Backend, Event, Log, Store};
use shared::time::Timestamp;

/// Log entries read at most for the owed notices (the notices job's backlog).
const BACKLOG: u64 = 100_000;

pub async fn list_notices<B: Backend>(
    query: Option<&str>,
    key: &ApiKey,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    require(key, CONTACTS_READ)?;
    let mut status = String::from("due");
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match (name.as_ref(), value.as_ref()) {
            ("status", "due" | "overdue" | "undeliverable") => status = value.into_owned(),
            ("status", _) => {
                return Err(ApiError::BadRequest {
                    code: "invalid_status",
                    message: "status must be due, overdue or undeliverable".into(),
                });
            }
            _ => {
                return Err(ApiError::BadRequest {
                    code: "unknown_parameter",
                    message: format!("{name} is not a parameter of this list (status)"),
                });
            }
        }
    }
    let owed = notices::owed(store, now, BACKLOG).await?;
    let overdue = owed.iter().filter(|c| c.notice_due_by < now).count();
    let undeliverable = notices::undeliverable(store).await?;
    let counts = json!({
        "due": owed.len(),
        "overdue": overdue,
        "undeliverable": undeliverable.len(),
    });
    let mut listed: Vec<ImportedContact> = match status.as_str() {
        "undeliverable" => undeliverable,
        "overdue" => owed.into_iter().filter(|c| c.notice_due_by < now).collect(),
        _ => owed,
    };
    listed.sort_by_key(|c| c.notice_due_by);
    let items: Vec<_> = listed
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "email": c.email,
                "language": c.language,
                "due_by": c.notice_due_by,
                "overdue": c.notice_due_by < now,
                "status": c.notice_status(),
                "sources": c.sources.iter().map(|s| &s.name).collect::<Vec<_>>(),
            })
        })
        .collect();
    store
        .note_many(Event::by(
            actor(key),
            Log::Access,
            Action::Read,
            Some(format!(
                "contact notices status={status} ({} listed)",
                items.len()
            )),
            now,
        ))
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"status": status, "counts": counts, "items": items}),
    ))
}
