//! What an endpoint is sent of an event (`{"type", "timestamp", "data"}`): the record as it is now, as
//! the pull API shows it to the endpoint's scopes. Full IP addresses only with `ip:read`; an opt-out's
//! address only with `leads:read` and only while a subscriber or contact here still holds it; a record
//! gone meanwhile as a tombstone; `person.erased` and `contact.objected` with ids only.

use super::rules::{IP_READ, LEADS_READ};
use crate::domain::{EmailAddress, EventType};
use crate::records::{
    Channel, DataRequest, ImportedContact, OptOut, Subscriber, WebhookEndpoint, WebhookEvent,
    contact_view, tombstone, truncate_ips,
};
use crate::store::{Backend, RecordKind, Store, StoreError};
use serde_json::{Value, json};

/// The body endpoint `endpoint` is sent for `event`.
pub async fn body<B: Backend>(
    store: &Store<B>,
    endpoint: &WebhookEndpoint,
    event: &WebhookEvent,
) -> Result<Vec<u8>, StoreError> {
    let data = data(store, endpoint, event).await?;
    let body = json!({
        "type": event.event_type,
        "timestamp": event.at,
        "data": data,
    });
    serde_json::to_vec(&body).map_err(StoreError::Encode)
}

async fn data<B: Backend>(
    store: &Store<B>,
    endpoint: &WebhookEndpoint,
    event: &WebhookEvent,
) -> Result<Value, StoreError> {
    let id = event.record.id.as_str();
    let Some(kind) = RecordKind::parse(&event.record.kind) else {
        return Ok(tombstone(id));
    };
    let data = match event.kind() {
        Some(EventType::PersonErased) => json!({
            "id": id,
            "records": event.erased.iter().map(|r| json!({"type": r.kind, "id": r.id})).collect::<Vec<_>>(),
        }),
        Some(EventType::ContactObjected) => json!({"id": id, "deleted": true}),
        Some(EventType::ContactImported) => {
            let record: Option<Value> = store.get(kind, id).await?;
            record
                .and_then(contact_view)
                .unwrap_or_else(|| tombstone(id))
        }
        Some(EventType::OptOutCreated) => opt_out(store, endpoint, id).await?,
        Some(EventType::PrivacyRequestCompleted) => {
            let request: Option<DataRequest> = store.get(kind, id).await?;
            match request {
                Some(r) => json!({
                    "id": r.id,
                    "status": r.status,
                    "rights": r.rights,
                    "fulfilled_at": r.fulfilled_at,
                    "outcome": r.outcome.map(|o| json!({
                        "erased": o.erased,
                        "kept": o.kept,
                        "rectified": o.rectified,
                    })),
                }),
                None => tombstone(id),
            }
        }
        _ => {
            let record: Option<Value> = store.get(kind, id).await?;
            record.unwrap_or_else(|| tombstone(id))
        }
    };
    let mut data = data;
    if !endpoint.has_scope(IP_READ) {
        truncate_ips(&mut data);
    }
    Ok(data)
}

/// An opt-out: its channel, source and time, and for an endpoint that may see addresses, the
/// normalised address while a subscriber or contact here still holds it (the registry itself holds
/// only its keyed hash).
async fn opt_out<B: Backend>(
    store: &Store<B>,
    endpoint: &WebhookEndpoint,
    id: &str,
) -> Result<Value, StoreError> {
    let Some(entry) = store.get::<OptOut>(RecordKind::OptOut, id).await? else {
        return Ok(tombstone(id));
    };
    let mut data = json!({
        "id": entry.id,
        "channel": entry.channel,
        "source": entry.source,
        "at": entry.at,
        "in_force": entry.in_force(),
    });
    let pseudonym = id.split_once(':').map(|(_, p)| p).unwrap_or_default();
    if entry.channel == Channel::Email && endpoint.has_scope(LEADS_READ) {
        let subscriber: Option<Subscriber> = store.get(RecordKind::Subscriber, pseudonym).await?;
        let address = match subscriber {
            Some(s) => Some(s.email),
            None => store
                .get::<ImportedContact>(RecordKind::Contact, pseudonym)
                .await?
                .map(|c| c.email),
        };
        if let Some(address) = address.and_then(|a| EmailAddress::parse(&a).ok()) {
            data["address"] = json!(address.normalized());
        }
    }
    Ok(data)
}
