//! How staff see a data-subject request: its state as of now (an unconfirmed request past its link reads
//! as expired) and how urgent it is, so overdue and soon-due requests stand out in every listing.

use serde_json::{Value, json};
use shared::privacy::DataRequest;
use shared::time::Timestamp;

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
        "urgency": request.urgency(now),
    })
}

/// The whole request as stored, with its state as of now and its urgency.
pub fn full(request: &DataRequest, now: Timestamp) -> Value {
    let mut value = serde_json::to_value(request).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("status".into(), json!(request.status_at(now).as_str()));
        map.insert("urgency".into(), json!(request.urgency(now)));
    }
    value
}
