//! Webhooks: an endpoint that receives events (`rec:webhook:{id}`), an event (`rec:webhook-event:{id}`,
//! ids of records only, never their data) and one delivery of an event to an endpoint with its attempts.

use super::kind::RecordKind;
use super::record::Record;
use super::retention::{DeleteRule, From};
use crate::domain::EventType;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Whether an endpoint is sent events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointStatus {
    Active,
    /// Answered `410 Gone`: sent nothing more until created anew.
    Disabled,
}

/// One signing secret of an endpoint. Several while a rotation is under way: each message carries a
/// signature by each.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSecret {
    /// Names the secret in the API (to remove it), never the secret itself.
    pub id: String,
    /// `whsec_` + base64: shown once, when made.
    pub secret: String,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for EndpointSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointSecret")
            .field("id", &self.id)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// The event an endpoint is being sent: the head of its line, retried until delivered or given up on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    /// Its number in the events log.
    pub event: u64,
    /// Its delivery's number in the endpoint's delivery log.
    pub delivery: u64,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    /// Asked for by a replay (it does not move the endpoint's cursor).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replay: bool,
}

/// A receiver of events (`rec:webhook:{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub v: u32,
    pub id: String,
    pub url: String,
    /// Event type names, or `["*"]` for every type its scopes allow.
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What its events may carry, as the pull API's scopes say (`ip:read`: full IPs; `leads:read`:
    /// addresses in `opt_out.created`).
    pub scopes: Vec<String>,
    pub secrets: Vec<EndpointSecret>,
    pub status: EndpointStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    /// The API key that created it (`admin` for the admin key).
    pub created_by: String,
}

/// How far an endpoint's deliveries have got (`hook:state:{id}`): kept apart from the endpoint, since
/// every delivery moves it and only changes of the endpoint itself belong in the register.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookProgress {
    pub v: u32,
    /// Every event at or below this number in the events log was delivered, given up on or not wanted.
    pub cursor: u64,
    /// The head of the line, being retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<InFlight>,
    /// Events sent again ahead of the line (replays of one event), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replays: Vec<InFlight>,
    /// How many deliveries its log has had.
    pub deliveries: u64,
}

impl WebhookEndpoint {
    /// Whether it is sent events of type `event`.
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == event)
    }

    pub fn is_active(&self) -> bool {
        self.status == EndpointStatus::Active
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

impl Record for WebhookEndpoint {
    const KIND: RecordKind = RecordKind::Webhook;
}

/// A record an event names: its kind and id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    pub kind: String,
    pub id: String,
}

/// An event (`rec:webhook-event:{id}`): what happened to which record. Holds ids only; what an endpoint
/// is sent is read from the record when it is sent, so an erased record's data never leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEvent {
    pub v: u32,
    /// The `webhook-id` every delivery of it carries, the receiver's key for idempotency.
    pub id: String,
    /// Its number in the `webhook-events` log (set when it is written).
    #[serde(default)]
    pub seq: u64,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The record it is about.
    pub record: RecordRef,
    /// When the change happened.
    pub at: Timestamp,
    /// The records an erasure removed (`person.erased`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erased: Vec<RecordRef>,
}

impl WebhookEvent {
    pub fn kind(&self) -> Option<EventType> {
        EventType::parse(&self.event_type)
    }
}

impl Record for WebhookEvent {
    const KIND: RecordKind = RecordKind::WebhookEvent;

    fn due_since(&self, rule: &DeleteRule) -> Option<Timestamp> {
        (rule.from == From::Captured).then_some(self.at)
    }
}

/// Where one delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Being retried.
    Pending,
    /// A 2xx answer.
    Delivered,
    /// Given up on after the last retry, or the endpoint was disabled.
    Failed,
}

/// One attempt: when, the receiver's HTTP status (none when it was not reached), how long it took, and
/// what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One event sent to one endpoint, with its attempts (the endpoint's delivery log keeps the latest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub v: u32,
    /// Its number in the endpoint's delivery log (from 1).
    pub n: u64,
    pub endpoint: String,
    /// The event's number in the events log.
    pub event: u64,
    pub webhook_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replay: bool,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
}
