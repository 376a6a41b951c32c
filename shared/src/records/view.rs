//! What the pull API and the webhooks show of a record: the stored record minimised as its reader may
//! see it (full IP addresses only with `ip:read`; a contact only once its notice is on its way), and a
//! tombstone for a record that is gone.

use super::contact::{ImportedContact, NoticeStatus};
use serde_json::{Value, json};

/// What the feed shows for a record that is gone.
pub fn tombstone(id: &str) -> Value {
    json!({"id": id, "deleted": true})
}

/// Replaces every full IP address in a record (an object's `ip` beside its `ip_truncated`) with the
/// truncated one, wherever it sits.
pub fn truncate_ips(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(truncated) = map.get("ip_truncated").cloned()
                && map.contains_key("ip")
            {
                map.insert("ip".into(), truncated);
            }
            map.values_mut().for_each(truncate_ips);
        }
        Value::Array(items) => items.iter_mut().for_each(truncate_ips),
        _ => {}
    }
}

/// A contact as marketing sees it: only once its notice is on its way or sent (before that, no item;
/// its notice's entry brings it); a contact that proved undeliverable as a tombstone.
pub fn contact_view(value: Value) -> Option<Value> {
    if value.get("deleted").is_some() {
        return Some(value);
    }
    let contact: ImportedContact = serde_json::from_value(value).ok()?;
    match contact.notice_status() {
        NoticeStatus::Due => None,
        NoticeStatus::Undeliverable => Some(tombstone(&contact.id)),
        NoticeStatus::Queued | NoticeStatus::Sent => {
            let d = &contact.details;
            Some(json!({
                "id": contact.id,
                "email": contact.email,
                "name": d.name,
                "company": d.company,
                "title": d.title,
                "phone": d.phone,
                "country": d.country,
                "language": contact.language,
                "sources": contact.sources.iter().map(|s| json!({
                    "name": s.name,
                    "kind": s.kind,
                    "obtained_at": &s.obtained_at.to_rfc3339()[..10],
                    "public": s.public,
                    "legal_basis": s.legal_basis,
                    "external_id": s.external_id,
                })).collect::<Vec<_>>(),
                "source_names": contact.sources.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
                "notice": {
                    "status": contact.notice_status(),
                    "due_by": contact.notice_due_by,
                    "last_notified_at": contact.last_notified(),
                },
                "imported_at": contact.imported_at,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_full_ip_is_replaced_by_the_truncated_one() {
        let mut record = json!({
            "origin": {"ip": "203.0.113.7", "ip_truncated": "203.0.113.0"},
            "signed_up": {"origin": {"ip": "2001:db8::1", "ip_truncated": "2001:db8::"}},
            "contact": {"name": "Ada"}
        });
        truncate_ips(&mut record);
        assert_eq!(record["origin"]["ip"], "203.0.113.0");
        assert_eq!(record["signed_up"]["origin"]["ip"], "2001:db8::");
        assert_eq!(record["contact"]["name"], "Ada");
    }
}
