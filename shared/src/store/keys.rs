//! Every key format of the key-value store, in one place. Nothing else in the project spells a key.
//!
//! # Layout
//! Keys are ASCII, `:`-separated, family first. Sequence numbers are zero-padded to 20 digits so that
//! keys of one log sort in order on every backend. Values are JSON records with a schema version `v`,
//! except counters, which are `wasi:keyvalue/atomics` counters and are read only through `increment(key, 0)`
//! (their encoding differs per backend).
//!
//! | key | value | written by |
//! |---|---|---|
//! | `rec:{kind}:{id}` | the current state of one record (`submission`, `subscriber`, `demo-request`, `consent`, `dsr`, `api-key`, `outbox`) | capture, later updates |
//! | `log:{log}:head` | counter: the last sequence number handed out in that log | `increment` |
//! | `log:{log}:{seq}` | [`LogEntry`](crate::records::LogEntry): change-feed entry and processing-register entry in one | the same `set-many` as the record |
//! | `hist:consent:{id}:head`, `hist:consent:{id}:{n}` | one consent id's decision history (dense, per id) | consent |
//! | `rate:{window}:{client}` | counter: posts from one client (keyed hash of the IP) in one window | capture |
//! | `dnc:{channel}:{hash}` | do-not-contact entry keyed by a keyed hash of the normalised email or phone; survives erasure | opt-out |
//! | `claim:{what}:{id}` | counter used as a create-if-absent claim: `increment` returns 1 to exactly one caller | tokens, uniqueness |
//!
//! Logs: `submissions`, `subscribers`, `demo-requests`, `consents`, `opt-outs`, `requests` (data-subject
//! requests), `access` (staff reads, exports, key management) and `outbox` (mail to send).
//!
//! # Why this shape
//! * **No lost writes.** A new record never shares a key with another: ids are 128 random bits, and its
//!   place in a log comes from `increment` on the log's head, which hands each caller a distinct number.
//!   The record and its log entry are then written in one `set-many` (one transaction), so a reader never
//!   sees a log entry whose record is missing. No key is ever read, changed and written back unguarded.
//! * **A page costs O(page).** Marketing reads "everything after cursor N" as `get-many` of
//!   `log:{log}:{N+1..N+limit}` and then `get-many` of the records those entries name: two batch reads a page,
//!   however large the store. `get-keys` is never used (it is O(store), and on Spin's SQLite store an
//!   undrained key stream stalls every other call).
//! * **Updates re-enter the feed.** A change to a record appends a new entry for it, so a sync that keeps
//!   its cursor sees the new state; an erasure appends an `erased` entry (a tombstone).
//! * **Holes.** A writer that crashes between `increment` and `set-many` leaves a number with no entry.
//!   Readers stop at a hole younger than a grace period (a slower writer may still fill it) and step over
//!   older ones, so a sync never skips an entry that arrives late.
//! * **Register.** The processing register is the union of the logs: every capture, change, read and
//!   erasure is a log entry naming who, what, when and which record, written with the change itself.

use std::fmt;

/// A kind of stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Submission,
    Subscriber,
    DemoRequest,
    Consent,
    DataRequest,
    ApiKey,
    Outbox,
}

impl RecordKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Submission => "submission",
            Self::Subscriber => "subscriber",
            Self::DemoRequest => "demo-request",
            Self::Consent => "consent",
            Self::DataRequest => "dsr",
            Self::ApiKey => "api-key",
            Self::Outbox => "outbox",
        }
    }
}

/// An append-only log with a dense sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    Submissions,
    Subscribers,
    DemoRequests,
    Consents,
    OptOuts,
    Requests,
    Access,
    Outbox,
}

impl Log {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submissions => "submissions",
            Self::Subscribers => "subscribers",
            Self::DemoRequests => "demo-requests",
            Self::Consents => "consents",
            Self::OptOuts => "opt-outs",
            Self::Requests => "requests",
            Self::Access => "access",
            Self::Outbox => "outbox",
        }
    }
}

/// A do-not-contact channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Phone,
}

/// One key of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key<'a> {
    Record(RecordKind, &'a str),
    LogHead(Log),
    LogEntry(Log, u64),
    ConsentHistoryHead(&'a str),
    ConsentHistoryEntry(&'a str, u64),
    /// `window` is the window's number (Unix seconds / window length); `client` a keyed hash.
    Rate {
        window: u64,
        client: &'a str,
    },
    DoNotContact(Channel, &'a str),
    Claim(&'a str, &'a str),
}

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Record(kind, id) => write!(f, "rec:{}:{id}", kind.as_str()),
            Self::LogHead(log) => write!(f, "log:{}:head", log.as_str()),
            Self::LogEntry(log, seq) => write!(f, "log:{}:{seq:020}", log.as_str()),
            Self::ConsentHistoryHead(id) => write!(f, "hist:consent:{id}:head"),
            Self::ConsentHistoryEntry(id, n) => write!(f, "hist:consent:{id}:{n:020}"),
            Self::Rate { window, client } => write!(f, "rate:{window}:{client}"),
            Self::DoNotContact(Channel::Email, hash) => write!(f, "dnc:email:{hash}"),
            Self::DoNotContact(Channel::Phone, hash) => write!(f, "dnc:phone:{hash}"),
            Self::Claim(what, id) => write!(f, "claim:{what}:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_entry_keys_sort_in_sequence_order() {
        let a = Key::LogEntry(Log::Submissions, 9).to_string();
        let b = Key::LogEntry(Log::Submissions, 10).to_string();
        assert!(a < b, "{a} should sort before {b}");
        assert_eq!(b, "log:submissions:00000000000000000010");
    }

    #[test]
    fn record_keys_name_their_kind() {
        assert_eq!(
            Key::Record(RecordKind::DemoRequest, "abc").to_string(),
            "rec:demo-request:abc"
        );
        assert_eq!(Key::LogHead(Log::OptOuts).to_string(), "log:opt-outs:head");
    }
}
