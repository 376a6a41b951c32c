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
//! | `rec:{kind}:{id}` | the current state of one record (`submission`, `subscriber`, `demo-request`, `consent`, `dsr`, `api-key`, `outbox`, `opt-out`) | capture; later changes by compare-and-swap |
//! | `log:{log}:head` | counter: the last sequence number handed out in that log | `increment` |
//! | `log:{log}:{seq}` | [`LogEntry`](crate::records::LogEntry): change-feed entry and processing-register entry in one | the same `set-many` as the record |
//! | `hist:consent:{id}:{n}` | decision `n` (from 1) of one cookie-consent id; the `consents` log entry names it | consent |
//! | `hist:consent:{id}:head` | counter: how many decisions came after the first (absent = 0; the first needs no counter) | consent |
//! | `hist:consent-link:{id}:head`, `hist:consent-link:{id}:{n}` | counter and list of [`ConsentLink`](crate::records::ConsentLink)s: the people (email pseudonyms) a browser's consent id was sent with, so a later Global Privacy Control signal of that browser reaches them | forms, signups, privacy |
//! | `rate:slot:{n}` | one of the rate limit's [`RATE_SLOTS`](super::RATE_SLOTS) slots (`n` zero-padded): for each client (keyed hash of the IP) that hashes to it, how many posts it made in its current window and when that ends; rewritten whole by each batch of posts, expired entries swept by the retention job | capture, retention job |
//! | `rec:opt-out:{channel}:{pseudonym}` | do-not-contact entry (`email` or `phone`) keyed by a keyed hash of the normalised address or E.164 number; survives erasure | opt-out |
//! | `rec:subscriber:{pseudonym}` | a newsletter subscriber: one per mailbox, so its id is the email's pseudonym | signups |
//! | `claim:{what}:{id}` | counter used as a create-if-absent claim: `increment` returns 1 to exactly one caller | tokens, uniqueness |
//! | `log:outbox:low` | counter: the outbox's low-water mark; every outbox entry at or below it is finished (see "The outbox") | mailer |
//! | `claim:outbox-send:{id}:{attempt}:{window}` | counter: claim on one delivery attempt of a message in one lease window | mailer |
//! | `claim:consent-link:{id}:{pseudonym}` | counter: the claim on linking consent id `id` to a person, so each pair is listed once | forms, signups, privacy |
//! | `claim:outbox-pass:{seq}` | counter: claim on moving the outbox low-water mark past entry `seq` | mailer |
//! | `idx:api-key:head` | counter: how many API keys were ever created | marketing-api |
//! | `idx:api-key:{n}` | the id of the `n`-th API key created (from 1): the key list, read without `get-keys` | marketing-api |
//! | `used:api-key:{id}` | when API key `id` was last used (last writer wins; kept off the key's record) | marketing-api |
//! | `used:desk-sign-out:{id}` | when the privacy desk was last signed out of with API key `id`: every desk session of that key begun earlier is over | desk |
//! | `idx:person:{pseudonym}:head` | counter: how many references the person index holds for this person | person index job |
//! | `idx:person:{pseudonym}:{n}` | [`PersonRef`](crate::store::PersonRef) `n` (from 1): one log entry naming one of the person's records | person index job |
//! | `idx:people:{log}:mark` | how far the person index has read `log` (every entry at or below is indexed) | person index job |
//! | `idx:dsr:head`, `idx:dsr:{n}` | counter and list of data-subject request ids, in the order asked (the staff list, without `get-keys`) | privacy |
//! | `idx:dsr-mailbox:{pseudonym}` | the id of the latest request asked for one mailbox (last writer wins): asking again re-sends its link | privacy |
//! | `rate:dsr:{day}:{pseudonym}` | counter: requests asked for one mailbox on one day (a few at most) | privacy |
//! | `reg:state` | the register's state: tree size, how far each log is sealed, entries waiting to be final | register job |
//! | `reg:tile:{L}:{N}`, `reg:tile:{L}:partial` | hash tiles of the register's Merkle tree (full ones immutable), C2SP tlog-tiles | register job |
//! | `reg:bundle:{N}`, `reg:bundle:partial` | entry bundles (the leaves themselves) | register job |
//! | `reg:checkpoint`, `reg:verifier` | the signed checkpoint (C2SP signed note) and the verifier key | register job |
//! | `ret:{rule}:mark` | how far a retention rule has walked its log (entries older than its cutoff, in order) | retention job |
//! | `rec:contact:{pseudonym}` | a contact from another source: one per mailbox, its sources, language and notices | marketing-api (import) |
//! | `idx:contact-undeliverable:head`, `idx:contact-undeliverable:{n}` | counter and list of the contacts whose notice the outbox gave up on (readers check each one's current state) | mailer |
//! | `notice:{walk}:mark` | how far the notices job has walked the `contacts` log: `notices` (every entry, for the first notice), `reminders` (entries older than the reminder interval) | notices job |
//! | `rec:webhook:{id}`, `idx:webhook:head`, `idx:webhook:{n}` | a webhook endpoint, and the counter and list of endpoint ids in the order created | marketing-api |
//! | `rec:webhook-event:{id}` | an event for webhook endpoints (ids only), with its entry in the `webhook-events` log | webhooks job |
//! | `hook:state:{endpoint}` | how far an endpoint's deliveries have got (cursor, the event being retried, replays), changed by compare-and-swap | marketing-api, webhooks job |
//! | `hook:{log}:mark` | how far the webhooks job has turned `log`'s entries into events | webhooks job |
//! | `hook:delivery:{endpoint}:{slot}` | one delivery of an event to an endpoint with its attempts: a ring of [`DELIVERY_LOG`](crate::records::WebhookDelivery) slots per endpoint, so the delivery log keeps the latest without a retention walk | webhooks job |
//! | `bounce:soft:{pseudonym}` | counter: soft bounces reported for one mailbox | mailer (mail events) |
//! | `meta:backend-probe` | counter only ever incremented by 0: 8 zero bytes on SQLite, `0` on Redis; tells the store which backend it is on | store |
//! | `meta:health-probe` | when the readiness probe last wrote (`GET /health/ready`: a write that lands) | health |
//! | `swap:{key}:{state}:{epoch}` | counter: the claim on changing the value at `key` out of `state` (hash of its bytes) in one minute, on backends without a trustworthy compare-and-swap; deleted after the change | store |
//! | `claim:job:{job}:{window}` | counter: the lease of a background job in one lease window (taken for two adjacent windows, deleted when the run ends) | jobs |
//!
//! Logs: `submissions`, `subscribers`, `demo-requests`, `consents`, `opt-outs`, `requests` (data-subject
//! requests), `access` (staff reads, exports, key management), `outbox` (mail to send) and `contacts`
//! (contacts from other sources: imports, notices, objections), `webhooks` (endpoint changes and
//! replays) and `webhook-events` (the events endpoints are sent; outside the register, which holds the
//! entries they restate).
//!
//! # The person index
//! Records are keyed by random ids, so "everything about ada@example.com" is found through a derived
//! view keyed by the pseudonyms the do-not-contact registry uses (keyed hash of the normalised email, of
//! the E.164 phone). A job ([`crate::store::people`]) walks the logs that name a person's records from a
//! per-log mark, reads the records those entries name, and appends one reference per (person, entry)
//! under the person's own counter. Capture writes nothing extra (its hot path stays one commit). A
//! lookup reads the person's references (one counter read, one `get-many`) plus the *tail* the job has
//! not reached (entries past each mark), so it never misses a record captured a moment ago. Two jobs at
//! once may index an entry twice (the marks are plain values): readers drop duplicates; nothing is lost.
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
//!   its cursor sees the new state; an erasure appends an `erased` entry (a tombstone). The entry is
//!   written `pending` before the compare-and-swap and final after it: readers wait at a pending entry
//!   younger than the grace period, so none reads the old state and moves its cursor past the change,
//!   and a writer that dies in between still leaves an entry naming the record. A change that finds
//!   nothing to do after its entry was written (a concurrent change won, the record is gone) finalises
//!   the entry as `refused`, so the register never shows a change that did not happen.
//! * **Holes.** A writer that crashes between `increment` and `set-many` leaves a number with no entry.
//!   Readers stop at a hole younger than a grace period (a slower writer may still fill it; ages are
//!   taken from the `written_at` the store stamps on every entry, not the event's `at`) and step over
//!   older ones, so a sync never skips an entry that arrives late.
//! * **Register.** The processing register is the union of the logs: every capture, change, read and
//!   erasure is a log entry naming who, what, when and which record, written with the change itself.
//!
//! # The outbox
//! Mail is a record `rec:outbox:{id}` ([`OutboxMessage`](crate::mailer::OutboxMessage)) written with an
//! entry in the `outbox` log; every delivery attempt's result is a change of the record with another
//! entry (so the log is also the register of what was mailed when). A deliverer finds due mail in
//! O(pending), never listing keys:
//! * **Low-water mark.** `log:outbox:low` (a counter) is a sequence number at or below which every outbox
//!   entry is *finished*: its message was sent or erased, a later entry stands for the same message (an
//!   attempt's result), or it is a hole (a writer died between `increment` and `set-many`) older than a
//!   grace period. A deliverer reads the mark, then `get-many`s entries `low+1..=head` and their records
//!   in pages: the cost is the entries since the oldest unfinished one (pending mail plus the entries of
//!   at most one retry interval), not the store.
//! * **One attempt, one sender.** Before sending attempt `n` of a message, a deliverer `increment`s
//!   `claim:outbox-send:{id}:{n}:{w-1}` and then `claim:outbox-send:{id}:{n}:{w}`, where `w` is its lease
//!   window (Unix seconds / 600), and sends only if both answered 1. Two deliverers in the same or in
//!   adjacent windows share a key, and `increment` answers 1 to exactly one caller, so at most one of them
//!   sends attempt `n`. A deliverer that died after claiming blocks that attempt for one to two windows
//!   (10–20 minutes), then a later deliverer's keys no longer overlap and it sends. (Compare-and-swap on
//!   an absent key is not atomic on Spin's SQLite store, so no claim relies on it.)
//! * **Advancing the mark without a lost update.** After a run the deliverer walks the entries from its
//!   mark while they are finished, and for each entry `seq` `increment`s `claim:outbox-pass:{seq}`; only
//!   the caller answered 1 then `increment`s the mark by one. Each entry moves the mark at most once,
//!   whoever sees it, and only entries inside the finished prefix are ever passed, so the mark never
//!   exceeds the finished prefix (it can never skip pending mail). A deliverer that dies between the two
//!   increments leaves the mark one behind for good: it lags, which costs one extra entry read per run.
//!   Pass claims are never deleted: a slow deliverer holding an old mark must still find them taken.

use crate::records::{Log, RecordKind};
use std::fmt;

/// One key of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key<'a> {
    Record(RecordKind, &'a str),
    LogHead(Log),
    LogEntry(Log, u64),
    ConsentHistoryHead(&'a str),
    ConsentHistoryEntry(&'a str, u64),
    ConsentLinkHead(&'a str),
    ConsentLinkEntry(&'a str, u64),
    /// Slot `n` of the rate limit's fixed table (the clients whose bucket hashes to it).
    RateSlot(u32),
    Claim(&'a str, &'a str),
    /// Counter: every outbox entry at or below it is finished.
    OutboxLowWater,
    /// Claim on attempt `attempt` of outbox message `id` in lease window `window`.
    OutboxSendClaim {
        id: &'a str,
        attempt: u32,
        window: u64,
    },
    /// Claim on moving the outbox low-water mark past entry `seq`.
    OutboxPassClaim(u64),
    /// Counter: how many API keys were ever created.
    ApiKeyListHead,
    /// The id of the `n`-th API key created (from 1).
    ApiKeyListEntry(u64),
    /// When API key `id` was last used.
    ApiKeyLastUsed(&'a str),
    /// When the privacy desk's sessions of API key `id` were last ended by a sign-out.
    DeskSignedOut(&'a str),
    /// Counter: how many references the person index holds for one pseudonym.
    PersonIndexHead(&'a str),
    /// Reference `n` (from 1) of one pseudonym.
    PersonIndexEntry(&'a str, u64),
    /// How far the person index has read one log.
    PeopleMark(Log),
    /// Counter: how many data-subject requests were ever asked.
    RequestListHead,
    /// The id of the `n`-th data-subject request (from 1).
    RequestListEntry(u64),
    /// Counter: requests asked for one mailbox (pseudonym) on one day (Unix days).
    RequestAsks {
        day: u64,
        pseudonym: &'a str,
    },
    /// How far retention rule `name` has walked its log.
    RetentionMark(&'a str),
    /// Counter: how many contacts proved undeliverable.
    UndeliverableHead,
    /// The id of the `n`-th contact that proved undeliverable (from 1).
    UndeliverableEntry(u64),
    /// How far walk `name` of the notices job (`notices`, `reminders`) has walked the `contacts` log.
    NoticeMark(&'a str),
    /// Counter: how many webhook endpoints were ever created.
    WebhookListHead,
    /// The id of the `n`-th webhook endpoint created (from 1).
    WebhookListEntry(u64),
    /// How far the webhooks job has turned a log's entries into events.
    WebhookMark(Log),
    /// How far one endpoint's deliveries have got.
    WebhookState(&'a str),
    /// Slot `slot` of endpoint `endpoint`'s delivery log.
    WebhookDelivery {
        endpoint: &'a str,
        slot: u64,
    },
    /// Counter: soft bounces of one mailbox (pseudonym).
    SoftBounces(&'a str),
    /// The register's state.
    RegisterState,
    /// A full hash tile of the register (level, index).
    RegisterTile(u8, u64),
    /// The partial hash tile of a level.
    RegisterPartialTile(u8),
    /// A full entry bundle.
    RegisterBundle(u64),
    /// The partial entry bundle.
    RegisterPartialBundle,
    /// The signed checkpoint.
    RegisterCheckpoint,
    /// The verifier key of the checkpoint's signer.
    RegisterVerifier,
    /// The id of the latest data-subject request asked for one mailbox (pseudonym).
    RequestMailbox(&'a str),
    /// Counter: the lease of background job `job` in lease window `window`.
    JobLease {
        job: &'a str,
        window: u64,
    },
    /// Counter only ever incremented by 0: how the backend stores it tells which backend it is.
    BackendProbe,
    /// When the readiness probe last wrote (a write that lands shows the store takes writes).
    HealthProbe,
    /// Counter: the claim on moving the value at `key` out of state `state` in claim epoch `epoch`
    /// (on backends whose compare-and-swap cannot be trusted).
    SwapClaim {
        key: &'a str,
        state: &'a str,
        epoch: i64,
    },
}

impl fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Record(kind, id) => write!(f, "rec:{}:{id}", kind.as_str()),
            Self::LogHead(log) => write!(f, "log:{}:head", log.as_str()),
            Self::LogEntry(log, seq) => write!(f, "log:{}:{seq:020}", log.as_str()),
            Self::ConsentHistoryHead(id) => write!(f, "hist:consent:{id}:head"),
            Self::ConsentHistoryEntry(id, n) => write!(f, "hist:consent:{id}:{n:020}"),
            Self::ConsentLinkHead(id) => write!(f, "hist:consent-link:{id}:head"),
            Self::ConsentLinkEntry(id, n) => write!(f, "hist:consent-link:{id}:{n:020}"),
            Self::RateSlot(n) => write!(f, "rate:slot:{n:05}"),
            Self::Claim(what, id) => write!(f, "claim:{what}:{id}"),
            Self::OutboxLowWater => write!(f, "log:{}:low", Log::Outbox.as_str()),
            Self::OutboxSendClaim {
                id,
                attempt,
                window,
            } => write!(f, "claim:outbox-send:{id}:{attempt}:{window}"),
            Self::OutboxPassClaim(seq) => write!(f, "claim:outbox-pass:{seq:020}"),
            Self::ApiKeyListHead => write!(f, "idx:api-key:head"),
            Self::ApiKeyListEntry(n) => write!(f, "idx:api-key:{n:020}"),
            Self::ApiKeyLastUsed(id) => write!(f, "used:api-key:{id}"),
            Self::DeskSignedOut(id) => write!(f, "used:desk-sign-out:{id}"),
            Self::PersonIndexHead(p) => write!(f, "idx:person:{p}:head"),
            Self::PersonIndexEntry(p, n) => write!(f, "idx:person:{p}:{n:020}"),
            Self::PeopleMark(log) => write!(f, "idx:people:{}:mark", log.as_str()),
            Self::RequestListHead => write!(f, "idx:dsr:head"),
            Self::RequestListEntry(n) => write!(f, "idx:dsr:{n:020}"),
            Self::RequestAsks { day, pseudonym } => write!(f, "rate:dsr:{day}:{pseudonym}"),
            Self::JobLease { job, window } => write!(f, "claim:job:{job}:{window}"),
            Self::RequestMailbox(p) => write!(f, "idx:dsr-mailbox:{p}"),
            Self::RetentionMark(name) => write!(f, "ret:{name}:mark"),
            Self::NoticeMark(name) => write!(f, "notice:{name}:mark"),
            Self::UndeliverableHead => write!(f, "idx:contact-undeliverable:head"),
            Self::UndeliverableEntry(n) => write!(f, "idx:contact-undeliverable:{n:020}"),
            Self::WebhookListHead => write!(f, "idx:webhook:head"),
            Self::WebhookListEntry(n) => write!(f, "idx:webhook:{n:020}"),
            Self::WebhookMark(log) => write!(f, "hook:{}:mark", log.as_str()),
            Self::WebhookState(id) => write!(f, "hook:state:{id}"),
            Self::WebhookDelivery { endpoint, slot } => {
                write!(f, "hook:delivery:{endpoint}:{slot:05}")
            }
            Self::SoftBounces(p) => write!(f, "bounce:soft:{p}"),
            Self::RegisterState => write!(f, "reg:state"),
            Self::RegisterTile(level, n) => write!(f, "reg:tile:{level}:{n:020}"),
            Self::RegisterPartialTile(level) => write!(f, "reg:tile:{level}:partial"),
            Self::RegisterBundle(n) => write!(f, "reg:bundle:{n:020}"),
            Self::RegisterPartialBundle => write!(f, "reg:bundle:partial"),
            Self::RegisterCheckpoint => write!(f, "reg:checkpoint"),
            Self::RegisterVerifier => write!(f, "reg:verifier"),
            Self::BackendProbe => write!(f, "meta:backend-probe"),
            Self::HealthProbe => write!(f, "meta:health-probe"),
            Self::SwapClaim { key, state, epoch } => write!(f, "swap:{key}:{state}:{epoch}"),
        }
    }
}

/// Whether the value at stored key `key` is a `wasi:keyvalue` counter, whose bytes differ per backend
/// (8 little-endian bytes on SQLite, a decimal string on Redis): for a tool that copies a store from
/// one backend to another.
pub fn is_counter(key: &str) -> bool {
    [
        "claim:",
        "swap:",
        "rate:dsr:",
        "bounce:soft:",
        "meta:backend-probe",
    ]
    .iter()
    .any(|family| key.starts_with(family))
        || key == "log:outbox:low"
        || (["log:", "hist:", "idx:"]
            .iter()
            .any(|family| key.starts_with(family))
            && key.ends_with(":head"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_told_from_values_by_their_key() {
        let counters = [
            Key::LogHead(Log::Consents),
            Key::ConsentHistoryHead("id"),
            Key::ConsentLinkHead("id"),
            Key::Claim("subscriber", "id"),
            Key::OutboxLowWater,
            Key::OutboxSendClaim {
                id: "id",
                attempt: 1,
                window: 2,
            },
            Key::OutboxPassClaim(3),
            Key::ApiKeyListHead,
            Key::PersonIndexHead("p"),
            Key::RequestListHead,
            Key::RequestAsks {
                day: 1,
                pseudonym: "p",
            },
            Key::JobLease {
                job: "outbox",
                window: 1,
            },
            Key::BackendProbe,
            Key::SwapClaim {
                key: "rec:dsr:id",
                state: "ab",
                epoch: 1,
            },
            Key::WebhookListHead,
            Key::SoftBounces("p"),
        ];
        let values = [
            Key::Record(RecordKind::Subscriber, "head"),
            Key::LogEntry(Log::Outbox, 1),
            Key::ConsentHistoryEntry("id", 1),
            Key::ConsentLinkEntry("id", 1),
            Key::RateSlot(1),
            Key::ApiKeyListEntry(1),
            Key::ApiKeyLastUsed("id"),
            Key::DeskSignedOut("id"),
            Key::PersonIndexEntry("p", 1),
            Key::PeopleMark(Log::Submissions),
            Key::RequestListEntry(1),
            Key::RequestMailbox("p"),
            Key::WebhookListEntry(1),
            Key::WebhookMark(Log::Submissions),
            Key::WebhookState("e"),
            Key::WebhookDelivery {
                endpoint: "e",
                slot: 1,
            },
            Key::RetentionMark("spam"),
            Key::RegisterState,
            Key::RegisterTile(0, 1),
            Key::RegisterPartialTile(0),
            Key::RegisterBundle(1),
            Key::RegisterPartialBundle,
            Key::RegisterCheckpoint,
            Key::RegisterVerifier,
            Key::HealthProbe,
        ];
        for key in counters {
            assert!(is_counter(&key.to_string()), "{key}");
        }
        for key in values {
            assert!(!is_counter(&key.to_string()), "{key}");
        }
    }

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

    #[test]
    fn outbox_keys_are_counters_apart_from_log_entries() {
        assert_eq!(Key::OutboxLowWater.to_string(), "log:outbox:low");
        assert_eq!(
            Key::OutboxSendClaim {
                id: "abc",
                attempt: 2,
                window: 7
            }
            .to_string(),
            "claim:outbox-send:abc:2:7"
        );
        assert_eq!(
            Key::OutboxPassClaim(3).to_string(),
            "claim:outbox-pass:00000000000000000003"
        );
    }

    #[test]
    fn rate_slot_keys_are_fixed_width_numbers() {
        assert_eq!(Key::RateSlot(7).to_string(), "rate:slot:00007");
        assert_eq!(
            Key::RateSlot(crate::store::RATE_SLOTS - 1).to_string(),
            "rate:slot:16383"
        );
    }

    #[test]
    fn api_key_list_keys_sort_in_creation_order() {
        assert_eq!(Key::ApiKeyListHead.to_string(), "idx:api-key:head");
        assert_eq!(
            Key::ApiKeyListEntry(2).to_string(),
            "idx:api-key:00000000000000000002"
        );
        assert_eq!(Key::ApiKeyLastUsed("k1").to_string(), "used:api-key:k1");
    }
}
