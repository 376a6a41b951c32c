//! Data that leaves: signed webhooks (Standard Webhooks 1.0) that tell the systems fed (CRMs, mail
//! tools) what was captured, who opted out and what was erased.
//!
//! | file | what |
//! |---|---|
//! | [`events`] | changes become events: the logs read from a mark per log, one event per change that leaves |
//! | [`render`] | what an endpoint is sent of an event: the record as the pull API shows it to the endpoint's scopes |
//! | [`send`] | delivery: signed, per endpoint in order, retried with backoff and jitter for about three days |
//! | [`endpoints`] | endpoints made, rotated, deleted and replayed, each change a register entry |
//! | [`rules`] | the retry schedule and its jitter, event ids, the scope each event type needs |
//!
//! Events hold ids only; an endpoint is sent the record as it is at delivery, so an erasure that comes
//! first means the record's data never leaves (the event carries a tombstone, then `person.erased`).

pub mod endpoints;
pub mod events;
pub mod render;
pub mod rules;
pub mod send;

pub use rules::{ATTEMPTS, SCHEDULE, SCOPES, TIMEOUT_SECONDS, event_id, retry_at, scope_of};
