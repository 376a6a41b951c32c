//! The change feed of one collection, page by page, for every collection alike.
//!
//! A collection is a log of the store (`log:{log}:{seq}`) whose entries name records. A cursor is the
//! sequence number of the last entry a client has consumed, in decimal. A page reads entries
//! `after+1..` in one `get-many` and the records they name in a second: O(page), whatever the store
//! holds. Each item is the record's *current* state; a record named twice within one page appears once,
//! at its later place; an erased record appears as a tombstone `{"id", "deleted": true}` at its
//! erasure's entry. A record that changes after it was read gets a new entry, so it comes again after
//! the client's cursor. A change's entry is written *pending* before the change lands and final after
//! ([`Store::update`](shared::store::Store::update)): a page stops before a pending entry younger than
//! the store's grace, so it never hands out the old state with a cursor past the change.
//!
//! Consents are kept as a history, not one current state: each entry of the `consents` log names one
//! decision (its `revision`), and the item is that decision with `id` = the consent id, so a sync sees
//! every decision in order and keeps the latest.
//!
//! Holes (a writer died between taking a number and writing its entry, or is still writing): the page
//! stops at a hole unless a later entry is older than the grace, in which case the hole is stepped over
//! for good. Pages are read through the store's one log reader ([`shared::store::LogReader`]), whose
//! rules these are. (A stream, [`crate::export`], waits for its holes instead.)

use serde_json::Value;
use shared::http::ApiError;
use shared::records::{Action, LogEntry, contact_view, tombstone, truncate_ips};
use shared::store::{Backend, Log, RecordKind, Store, StoreError};
use shared::time::Timestamp;
use std::collections::HashSet;

/// Items a page holds when the client names no `limit`, and the most it may name.
pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 1000;

/// Where a collection's items come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Records of one kind, each in its current state.
    Records(RecordKind),
    /// Cookie-consent decisions, each as it was made.
    ConsentDecisions,
    /// Contacts from other sources, once their notice is queued or sent; one whose mailbox proved
    /// undeliverable, objected or was erased is a tombstone.
    Contacts,
}

/// One collection of the API: its name in URLs, its log, its items and the scope that reads it.
#[derive(Debug, Clone, Copy)]
pub struct Collection {
    pub name: &'static str,
    pub log: Log,
    pub source: Source,
    pub scope: &'static str,
    /// Its CSV columns, in order.
    pub columns: crate::csv::Columns,
}

pub const SUBMISSIONS: Collection = Collection {
    name: "submissions",
    log: Log::Submissions,
    source: Source::Records(RecordKind::Submission),
    scope: crate::auth::LEADS_READ,
    columns: crate::csv::SUBMISSION_COLUMNS,
};

pub const SUBSCRIBERS: Collection = Collection {
    name: "subscribers",
    log: Log::Subscribers,
    source: Source::Records(RecordKind::Subscriber),
    scope: crate::auth::LEADS_READ,
    columns: crate::csv::SUBSCRIBER_COLUMNS,
};

pub const DEMO_REQUESTS: Collection = Collection {
    name: "demo-requests",
    log: Log::DemoRequests,
    source: Source::Records(RecordKind::DemoRequest),
    scope: crate::auth::LEADS_READ,
    columns: crate::csv::DEMO_REQUEST_COLUMNS,
};

pub const CONSENTS: Collection = Collection {
    name: "consents",
    log: Log::Consents,
    source: Source::ConsentDecisions,
    scope: crate::auth::CONSENTS_READ,
    columns: crate::csv::CONSENT_COLUMNS,
};

pub const OPT_OUTS: Collection = Collection {
    name: "opt-outs",
    log: Log::OptOuts,
    source: Source::Records(RecordKind::OptOut),
    scope: crate::auth::OPT_OUTS_READ,
    columns: crate::csv::OPT_OUT_COLUMNS,
};

/// Data-subject requests: their change feed (`GET /api/v1/privacy-requests/changes`); every step
/// of a request is an entry of the `requests` log.
pub const PRIVACY_REQUESTS: Collection = Collection {
    name: "privacy-requests",
    log: Log::Requests,
    source: Source::Records(RecordKind::DataRequest),
    scope: crate::auth::PRIVACY_READ,
    columns: crate::csv::PRIVACY_REQUEST_COLUMNS,
};

/// Contacts from other sources (`GET /api/v1/contacts`).
pub const CONTACTS: Collection = Collection {
    name: "contacts",
    log: Log::Contacts,
    source: Source::Contacts,
    scope: crate::auth::CONTACTS_READ,
    columns: crate::csv::CONTACT_COLUMNS,
};

/// The collections served, by their name in URLs.
pub const COLLECTIONS: [Collection; 6] = [
    SUBMISSIONS,
    SUBSCRIBERS,
    DEMO_REQUESTS,
    CONSENTS,
    OPT_OUTS,
    CONTACTS,
];

/// The collection named `name` in a URL.
pub fn collection(name: &str) -> Option<&'static Collection> {
    COLLECTIONS.iter().find(|c| c.name == name)
}

impl Collection {
    /// The cursor that stands after entry `seq`: its sequence number in the collection's log, so
    /// that the OpenAPI document can say exactly what a cursor is (`^[0-9]{1,19}$`).
    pub fn cursor(&self, seq: u64) -> String {
        seq.to_string()
    }

    /// The entry a cursor stands after; 400 for anything but 1 to 19 digits.
    pub fn parse_cursor(&self, raw: &str) -> Result<u64, ApiError> {
        Some(raw)
            .filter(|r| (1..=19).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|r| r.parse().ok())
            .ok_or_else(bad_cursor)
    }
}

pub fn bad_cursor() -> ApiError {
    ApiError::BadRequest {
        code: "invalid_cursor",
        message: "after must be a next_cursor this collection handed out".into(),
    }
}

/// How much a pull asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// A page of at most this many items.
    Page(u64),
    /// Everything to the end of the log as it stood when the pull began, streamed (`limit=all`).
    All,
}

/// `after` and `limit` from the query string (absent: from the start, [`DEFAULT_LIMIT`]).
pub fn params(collection: &Collection, query: Option<&str>) -> Result<(u64, Limit), ApiError> {
    let (mut after, mut limit) = (0, Limit::Page(DEFAULT_LIMIT));
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*name {
            "after" => after = collection.parse_cursor(&value)?,
            "limit" if value == "all" => limit = Limit::All,
            "limit" => {
                limit = value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .map(Limit::Page)
                    .ok_or_else(|| ApiError::BadRequest {
                        code: "invalid_limit",
                        message: format!(
                            "limit must be a number from 1 to {MAX_LIMIT}, or all (NDJSON and CSV only)"
                        ),
                    })?;
            }
            _ => {}
        }
    }
    Ok((after, limit))
}

/// One page of the feed.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<Value>,
    /// The last entry consumed (`after` when nothing was).
    pub next: u64,
}

/// Up to `limit` items after entry `after` of a log whose head (read by the caller) is `head`, with
/// full IP addresses only when `full_ips`.
pub async fn page<B: Backend>(
    store: &Store<B>,
    collection: &Collection,
    after: u64,
    head: u64,
    limit: u64,
    full_ips: bool,
    now: Timestamp,
) -> Result<Page, StoreError> {
    let count = head.min(after.saturating_add(limit)).saturating_sub(after);
    let (entries, next) = store
        .reader(collection.log, now)
        .settled(after, count, head)
        .await?;
    let named: Vec<&LogEntry> = entries.iter().map(|(_, entry, _)| entry).collect();
    let items = items(store, collection, &named, full_ips).await?;
    Ok(Page { items, next })
}

/// The items a run of log entries names, in entry order, with full IP addresses only when `full_ips`.
/// A record named twice appears once, at its later place; an erased one as a tombstone, at its erasure's
/// entry. An entry naming a record that never existed (a refused attempt's note) is no item.
pub async fn items<B: Backend>(
    store: &Store<B>,
    collection: &Collection,
    entries: &[&LogEntry],
    full_ips: bool,
) -> Result<Vec<Value>, StoreError> {
    let mut items: Vec<Value> = match collection.source {
        Source::Records(kind) => record_items(store, kind, entries).await?,
        Source::ConsentDecisions => consent_items(store, entries).await?,
        Source::Contacts => record_items(store, RecordKind::Contact, entries)
            .await?
            .into_iter()
            .filter_map(contact_view)
            .collect(),
    };
    if !full_ips {
        items.iter_mut().for_each(truncate_ips);
    }
    Ok(items)
}

/// Each record the entries name once, at its last entry; a missing one is a tombstone if the run erased
/// it.
async fn record_items<B: Backend>(
    store: &Store<B>,
    kind: RecordKind,
    entries: &[&LogEntry],
) -> Result<Vec<Value>, StoreError> {
    let erased: HashSet<&str> = entries
        .iter()
        .filter(|entry| entry.action == Action::Erased)
        .filter_map(|entry| entry.record.as_deref())
        .collect();
    let mut seen = HashSet::new();
    let mut ids: Vec<&str> = entries
        .iter()
        .rev()
        .filter_map(|entry| entry.record.as_deref())
        .filter(|id| seen.insert(*id))
        .collect();
    ids.reverse();
    let records: Vec<Option<Value>> = store.records(kind, &ids).await?;
    Ok(ids
        .iter()
        .zip(records)
        .filter_map(|(id, record)| match record {
            Some(record) => Some(record),
            None if erased.contains(id) => Some(tombstone(id)),
            // Gone since its entry was written: its erasure comes later in the feed.
            None => None,
        })
        .collect())
}

/// Each decision an entry names, with the consent id as its `id` and without the browser's user agent;
/// an erasure (an entry naming no decision) as a tombstone. Other entries that name no decision are not
/// items.
async fn consent_items<B: Backend>(
    store: &Store<B>,
    entries: &[&LogEntry],
) -> Result<Vec<Value>, StoreError> {
    let named: Vec<(&str, Option<u64>)> = entries
        .iter()
        .filter_map(|entry| {
            let id = entry.record.as_deref()?;
            match entry.revision {
                Some(n) => Some((id, Some(n))),
                None => (entry.action == Action::Erased).then_some((id, None)),
            }
        })
        .collect();
    let wanted: Vec<(&str, u64)> = named
        .iter()
        .filter_map(|(id, n)| n.map(|n| (*id, n)))
        .collect();
    let mut decisions = store.consent_decisions::<Value>(&wanted).await?.into_iter();
    Ok(named
        .iter()
        .filter_map(|(id, n)| match n {
            None => Some(tombstone(id)),
            // A decision erased since its entry was written is no item: the erasure's entry follows.
            Some(_) => decisions.next().flatten().map(|mut decision| {
                if let Value::Object(map) = &mut decision {
                    map.insert("id".into(), Value::String((*id).to_owned()));
                    // Kept as proof of the decision; marketing has no use for it.
                    map.remove("user_agent");
                }
                decision
            }),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_1_to_19_digits() {
        let c = SUBMISSIONS;
        assert_eq!(c.parse_cursor(&c.cursor(42)).unwrap(), 42);
        assert_eq!(c.parse_cursor("007").unwrap(), 7);
        for refused in ["", "-1", "+1", "4 2", "x", "12345678901234567890"] {
            assert!(c.parse_cursor(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn limits_default_and_refuse_nonsense() {
        let c = SUBMISSIONS;
        assert_eq!(params(&c, None).unwrap(), (0, Limit::Page(DEFAULT_LIMIT)));
        assert_eq!(params(&c, Some("limit=1000")).unwrap().1, Limit::Page(1000));
        assert_eq!(params(&c, Some("limit=all")).unwrap().1, Limit::All);
        for bad in [
            "limit=0",
            "limit=1001",
            "limit=ALL",
            "limit=-1",
            "after=zzz",
        ] {
            assert!(params(&c, Some(bad)).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A cursor reads back as the entry it was made for; anything else is a 400, never a panic.
        #[test]
        fn cursors_round_trip_and_any_string_is_parsed_or_refused(seq in 0..10_000_000_000_000_000_000u64, junk in "\\PC{0,60}") {
            for collection in COLLECTIONS.iter().chain([&PRIVACY_REQUESTS]) {
                prop_assert_eq!(collection.parse_cursor(&collection.cursor(seq)).ok(), Some(seq));
                let _ = collection.parse_cursor(&junk);
            }
        }
    }
}
