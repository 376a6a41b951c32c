//! How staff see a data-subject request: its state as of now (an unconfirmed request past its link reads
//! as expired) and how urgent it is, so overdue and soon-due requests stand out in every listing.

use serde_json::{Value, json};
use shared::privacy::DataRequest;
use shared::time::Timestamp;

/// A request due within this many days is `due_soon`.
pub const DUE_SOON_DAYS: i64 = 7;

/// `overdue`, `due_soon` or `null`, for a request still on the clock.
pub fn urgency(request: &DataRequest, now: Timestamp) -> Option<&'static str> {
    let due = request.due_at?;
    if !request.status_at(now).is_on_the_clock() {
        return None;
    }
    if due < now {
        Some("overdue")
    } else if due <= now.plus_days(DUE_SOON_DAYS) {
        Some("due_soon")
    } else {
        None
    }
}

/// A list item: the fields a privacy officer sorts and filters by.
pub fn item(request: &DataRequest, now: Timestamp) -> Value {
    json!({
        "id": request.id,
        "status": request.status_at(now).as_str(),
        "rights": request.rights,
        "asked_at": request.asked_at,
        "received_at": request.received_at,
        "due_at": request.due_at,
        "california_resident": request.california_resident,
        "urgency": urgency(request, now),
    })
}

/// The whole request as stored, with its state as of now and its urgency.
pub fn full(request: &DataRequest, now: Timestamp) -> Value {
    let mut value = serde_json::to_value(request).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("status".into(), json!(request.status_at(now).as_str()));
        map.insert("urgency".into(), json!(urgency(request, now)));
    }
    value
}
