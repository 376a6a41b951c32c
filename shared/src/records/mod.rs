//! The bottom floor: every stored record and the enums that name them, schema-versioned, built from
//! domain types, with no I/O. Each record kind describes itself ([`Record`]): its kind and log, what it
//! holds of a person, how retention judges it, how an erasure treats it.
//!
//! | file | what |
//! |---|---|
//! | `kind` | [`RecordKind`], [`Log`], [`Channel`], [`SCHEMA_VERSION`] |
//! | `record`, `list` | the [`Record`] trait, its object-safe face [`Described`]; the list of kinds ([`described`]) |
//! | `log` | [`LogEntry`], [`Event`], [`Action`], [`Actor`]: the change feed and the register in one |
//! | `lead` | what every captured lead holds: contact, visit, network origin, consent snapshot, spam |
//! | `submission`, `subscriber`, `demo_request`, `opt_out`, `consent`, `api_key`, `data_request`, `outbox`, `contact`, `webhook` | one record kind each (`webhook`: endpoints, events, deliveries) |
//! | `message` | one email, as the outbox keeps it |
//! | `retention` | the retention policy the records are judged by |
//! | `view` | what the pull API and the webhooks show of a record (IPs truncated, contacts once noticed) |
//!
//! Records hold plain strings so that old records stay readable when the parsers grow stricter; they are
//! only ever written from values that passed the domain parsers.

mod api_key;
mod consent;
mod contact;
mod data_request;
mod demo_request;
mod kind;
mod lead;
mod list;
mod log;
mod message;
mod opt_out;
mod outbox;
mod record;
pub mod retention;
mod submission;
mod subscriber;
mod view;
mod webhook;

pub use api_key::ApiKey;
pub use consent::{ConsentDecision, ConsentLink, ConsentMethod};
pub use contact::{ImportedContact, NoticeKind, NoticeMail, NoticeStatus, SourceRecord};
pub use data_request::{
    DataRequest, Deadlines, Decision, Extension, Outcome, RequestStatus, Step, TimelineEntry,
};
pub use demo_request::{DemoRequest, DemoStatus};
pub use kind::{Channel, Log, RecordKind, SCHEMA_VERSION};
pub use lead::{
    ConsentSnapshot, Contact, ContactDetails, Lead, LocationRecord, NetworkOrigin, SpamReason,
    VisitContext,
};
pub use list::{described, erasure};
pub use log::{Action, Actor, Event, LogEntry, notes};
pub use message::{LIST_UNSUBSCRIBE, LIST_UNSUBSCRIBE_POST, MailError, Message, ONE_CLICK};
pub use opt_out::{OptOut, OptOutSource};
pub use outbox::{OutboxMessage, OutboxStatus};
pub use record::{Described, Erasure, PersonKey, Record};
pub use submission::Submission;
pub use subscriber::{Proof, Subscriber, SubscriberStatus};
pub use view::{contact_view, tombstone, truncate_ips};
pub use webhook::{
    Attempt, DeliveryStatus, EndpointSecret, EndpointStatus, InFlight, RecordRef, WebhookDelivery,
    WebhookEndpoint, WebhookEvent, WebhookProgress,
};
