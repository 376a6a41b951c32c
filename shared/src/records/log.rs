//! One entry of a log, and who and what it names: the change feed and the processing register in one.
//! An [`Event`] is what happened; the store numbers it and writes it as a [`LogEntry`].

use super::kind::{Log, SCHEMA_VERSION};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The notes (`detail`) that say what a change was, as their writers spell them and as the webhooks'
/// events and a restore's replay ([`crate::register::replay`]) read them back.
pub mod notes {
    /// A subscriber unsubscribed from all email (a link or one-click).
    pub const ALL_EMAIL: &str = "all email";
    /// A subscriber left one list: `list {list}`.
    pub const LIST: &str = "list ";
    /// The person marked a mail as spam: unsubscribed.
    pub const SPAM_COMPLAINT: &str = "spam complaint";
    /// A lifted do-not-contact entry is in force again: `back in force: {source}`.
    pub const BACK_IN_FORCE: &str = "back in force";
    /// Another record of a person changed by their erasure: `erasure request {id}`.
    pub const ERASURE_REQUEST: &str = "erasure request ";
    /// An unconfirmed data request expired and dropped the person's data.
    pub const EXPIRED: &str = "expired";
    /// A data request was carried out: `fulfilled erased={n} kept={n}`.
    pub const FULFILLED: &str = "fulfilled";
    /// Retention dropped full IP addresses captured before a cutoff:
    /// `retention full-ip-{kind} before {cutoff}` (the cutoff in RFC 3339).
    pub const FULL_IP_RETENTION: &str = "retention full-ip-";
    pub const BEFORE: &str = " before ";
    /// A mail left: the provider accepted it.
    pub const SENT: &str = "sent";
    /// An API key was revoked.
    pub const KEY_REVOKED: &str = "api-key revoked";
    /// A person's data was corrected (a rectification): `rectified...`.
    pub const RECTIFIED: &str = "rectified";
}

/// Who caused a processing activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// A website visitor, known by truncated IP only (the register must not re-identify on its own).
    Visitor { ip_truncated: String },
    /// A marketing API key, by its public id.
    ApiKey { key_id: String },
    /// The service itself (retention job, mailer).
    System,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A new record was captured from a visitor.
    Captured,
    /// A captured record was flagged as spam.
    CapturedAsSpam,
    /// A record's state changed (confirmation, status change, withdrawal).
    Updated,
    /// A record was erased; only its id remains (a tombstone in the feed).
    Erased,
    /// Records were read or exported by staff.
    Read,
    /// A request was refused (a missing scope, a bad cursor, a stale `If-Match`); nothing changed.
    Refused,
}

/// One entry of a log: the change feed of a record kind and, at the same time, the processing
/// register's entry for that change (who, what, when, which record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub v: u32,
    pub seq: u64,
    pub at: Timestamp,
    pub action: Action,
    /// The record's id, or `None` for activities that touch many records (an export).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    pub actor: Actor,
    /// A short machine-readable note: the spam reason, the form, the cursor range of an export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Which numbered state of the record the entry is about, for records kept as a history (the
    /// `n` of a cookie-consent decision); absent for records kept as one current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// Written before its change landed: readers wait for it (or, once it is older than the feed's grace
    /// period, treat it as final). A change rewrites its entry without this flag once it has landed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    /// When the store wrote this version of the entry (`at` is when the event happened, which may be
    /// earlier): what readers date holes and pending entries by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_at: Option<Timestamp>,
}

impl LogEntry {
    /// When the entry was written: `written_at`, or `at` for entries written before it existed.
    pub fn written(&self) -> Timestamp {
        self.written_at.unwrap_or(self.at)
    }
}

/// What happened, for the log entry that goes with every write: which log, what, who, when.
#[derive(Debug, Clone)]
pub struct Event {
    pub log: Log,
    pub action: Action,
    pub actor: Actor,
    /// A short machine-readable note (the form, the spam reason, the list).
    pub detail: Option<String>,
    pub at: Timestamp,
}

impl Event {
    /// An event caused by `actor`.
    pub fn by(
        actor: Actor,
        log: Log,
        action: Action,
        detail: Option<String>,
        at: Timestamp,
    ) -> Self {
        Self {
            log,
            action,
            actor,
            detail,
            at,
        }
    }

    /// An event of the service itself (a job, the mailer), with its note.
    pub fn system(log: Log, action: Action, detail: String, at: Timestamp) -> Self {
        Self::by(Actor::System, log, action, Some(detail), at)
    }

    /// This event's log entry, numbered `seq`, about record `record` (`None`: many records) and, for
    /// records kept as a history, its state `revision`. Final, not yet stamped with when it is written.
    pub fn entry(self, seq: u64, record: Option<&str>, revision: Option<u64>) -> LogEntry {
        LogEntry {
            v: SCHEMA_VERSION,
            seq,
            at: self.at,
            action: self.action,
            record: record.map(str::to_owned),
            actor: self.actor,
            detail: self.detail,
            revision,
            pending: false,
            written_at: None,
        }
    }
}
