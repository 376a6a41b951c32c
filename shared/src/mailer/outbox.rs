//! The durable outbox: every message is a record (`rec:outbox:{id}`) with an entry in the `outbox`
//! log before anyone tries to send it; delivery claims each attempt, records its result as a change of
//! the record, and retries failures with backoff. The key layout and why it is safe under concurrent
//! deliverers are in [`crate::store::keys`] ("The outbox").

use super::provider::{Mailer, Transport};
use crate::ids::new_id;
use crate::records::{Action, Actor, Message, OutboxMessage, OutboxStatus, SCHEMA_VERSION};
use crate::store::{Backend, Event, Log, RecordKind, Store, StoreError, Updated, Write};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::HashMap;

/// Seconds to wait after the `attempts`-th failed attempt: 1 min, 5 min, 30 min, 2 h, then every 6 h.
pub fn retry_delay_seconds(attempts: u32) -> i64 {
    match attempts {
        0 | 1 => 60,
        2 => 5 * 60,
        3 => 30 * 60,
        4 => 2 * 3600,
        _ => 6 * 3600,
    }
}

/// Failed attempts after which a message marked `erase_after_send` is dropped (about two days of retries).
pub const GIVE_UP_AFTER: u32 = 12;

/// A delivery claim holds for one to two windows of this length (see keys.rs, "The outbox").
pub const LEASE_SECONDS: i64 = 600;
/// A hole in the log (a writer died between numbering and writing its entry) is stepped over once an
/// entry after it is older than this.
const HOLE_GRACE_SECONDS: i64 = 60;
/// Entries read per `get-many`.
const PAGE: u64 = 128;
/// Entries one run looks at, at most (from the low-water mark).
const MAX_SCAN: u64 = 10_000;

fn event(action: Action, detail: String, at: Timestamp) -> Event {
    Event {
        log: Log::Outbox,
        action,
        actor: Actor::System,
        detail: Some(detail),
        at,
    }
}

/// Writes `message` to the outbox, due at once: one `increment` and one `set-many` (the record and its
/// `outbox` log entry). Returns the message's id.
pub async fn enqueue<B: Backend>(
    store: &Store<B>,
    message: Message,
    at: Timestamp,
) -> Result<String, StoreError> {
    queue(store, message, at, false).await
}

/// As [`enqueue`], for a message that is erased as soon as it was delivered (or given up on): the last
/// mail to an address being erased.
pub async fn enqueue_then_erase<B: Backend>(
    store: &Store<B>,
    message: Message,
    at: Timestamp,
) -> Result<String, StoreError> {
    queue(store, message, at, true).await
}

async fn queue<B: Backend>(
    store: &Store<B>,
    message: Message,
    at: Timestamp,
    erase_after_send: bool,
) -> Result<String, StoreError> {
    let (id, record) = new_message(message, at, erase_after_send);
    store
        .append(RecordKind::Outbox, &id, &record, queued(at))
        .await?;
    Ok(id)
}

/// `message` as an outbox write due at once, to be stored with other writes (a signup's batch).
pub fn enqueue_write(message: Message, at: Timestamp) -> Result<Write, StoreError> {
    let (id, record) = new_message(message, at, false);
    Write::record(RecordKind::Outbox, &id, &record, queued(at))
}

/// A new outbox record for `message`, due at `at`, under a fresh id.
fn new_message(message: Message, at: Timestamp, erase_after_send: bool) -> (String, OutboxMessage) {
    let id = new_id();
    let record = OutboxMessage {
        v: SCHEMA_VERSION,
        id: id.clone(),
        message,
        status: OutboxStatus::Queued,
        attempts: 0,
        last_error: None,
        next_attempt_at: at,
        created_at: at,
        sent_at: None,
        provider_message_id: None,
        erase_after_send,
    };
    (id, record)
}

fn queued(at: Timestamp) -> Event {
    event(Action::Captured, "queued".into(), at)
}

/// What one delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// Messages the provider accepted.
    pub sent: u32,
    /// Attempts that failed (the messages stay queued, retried later).
    pub failed: u32,
    /// Messages still waiting after the run (not yet due, failed, claimed by another deliverer, or no
    /// provider configured).
    pub pending: u32,
}

/// What [`deliver_now`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The provider accepted it; its message id.
    Sent(String),
    /// The attempt failed; the message stays queued with this error.
    Failed(String),
    /// Not attempted: no provider configured, not due yet, or another deliverer holds the attempt.
    Queued,
    /// Already sent before.
    AlreadySent,
    /// No such message.
    Missing,
}

/// Tries to deliver one message right away (after [`enqueue`], best effort): a failure leaves it queued
/// for the scheduled runs, exactly as a failed scheduled attempt would.
pub async fn deliver_now<B: Backend, T: Transport>(
    store: &Store<B>,
    mailer: Option<&Mailer<T>>,
    id: &str,
    now: Timestamp,
) -> Result<Delivery, StoreError> {
    let Some(record) = store.outbox_message(id).await? else {
        return Ok(Delivery::Missing);
    };
    if !record.is_pending() {
        return Ok(Delivery::AlreadySent);
    }
    match mailer {
        Some(mailer) if record.next_attempt_at <= now => attempt(store, mailer, record, now).await,
        _ => Ok(Delivery::Queued),
    }
}

/// Claims the next attempt of `record`, sends it and records the result.
async fn attempt<B: Backend, T: Transport>(
    store: &Store<B>,
    mailer: &Mailer<T>,
    record: OutboxMessage,
    now: Timestamp,
) -> Result<Delivery, StoreError> {
    let n = record.attempts + 1;
    let window = (now.unix_millis() / 1000 / LEASE_SECONDS).max(0) as u64;
    if !store.claim_outbox_attempt(&record.id, n, window).await? {
        return Ok(Delivery::Queued);
    }
    let result = mailer.send(&record.message).await;
    // Never overwrite a newer state (a sent message, or a later attempt's result).
    let stale = move |r: &OutboxMessage| r.status == OutboxStatus::Sent || r.attempts >= n;
    let (event, outcome) = match &result {
        Ok(provider_id) => (
            event(Action::Updated, "sent".into(), now),
            Delivery::Sent(provider_id.clone()),
        ),
        Err(error) => (
            event(Action::Updated, format!("attempt {n} failed"), now),
            Delivery::Failed(error.clone()),
        ),
    };
    let updated = store
        .update(
            RecordKind::Outbox,
            &record.id,
            event,
            |r: &mut OutboxMessage| {
                if stale(r) {
                    return false;
                }
                r.attempts = n;
                match &result {
                    Ok(provider_id) => {
                        r.status = OutboxStatus::Sent;
                        r.sent_at = Some(now);
                        r.provider_message_id = Some(provider_id.clone());
                        r.last_error = None;
                    }
                    Err(error) => {
                        r.status = OutboxStatus::Failed;
                        r.last_error = Some(error.clone());
                        r.next_attempt_at = now.plus_seconds(retry_delay_seconds(n));
                    }
                }
                true
            },
        )
        .await?;
    Ok(match updated {
        Updated::Missing => Delivery::Missing,
        Updated::Unchanged(r) if r.status == OutboxStatus::Sent => Delivery::AlreadySent,
        Updated::Unchanged(_) => Delivery::Queued,
        Updated::Changed(r) => {
            let done = r.status == OutboxStatus::Sent || r.attempts >= GIVE_UP_AFTER;
            if r.erase_after_send && done {
                let detail = if r.status == OutboxStatus::Sent {
                    "erased after delivery"
                } else {
                    "erased: undeliverable"
                };
                store
                    .erase(
                        RecordKind::Outbox,
                        &r.id,
                        self::event(Action::Erased, detail.into(), now),
                    )
                    .await?;
            }
            outcome
        }
    })
}

/// Makes a pending message due at `at` (an operator's "retry now"; tests skip the backoff with it).
/// Answers false when the message is missing or already sent.
pub async fn reschedule<B: Backend>(
    store: &Store<B>,
    id: &str,
    at: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let updated = store
        .update(
            RecordKind::Outbox,
            id,
            event(Action::Updated, "rescheduled".into(), now),
            |r: &mut OutboxMessage| {
                if !r.is_pending() {
                    return false;
                }
                r.next_attempt_at = at;
                true
            },
        )
        .await?;
    Ok(matches!(updated, Updated::Changed(_)))
}

/// One outbox entry as a run sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    /// Sent, erased, or superseded by a later entry for the same message.
    Finished,
    /// No entry (yet); `passable` once an entry after it is older than the grace period.
    Hole { passable: bool },
    /// The latest entry of a message still to deliver.
    Pending(String),
}

/// The outbox from the low-water mark on: each entry's slot and the pending messages' records.
struct Scan {
    slots: Vec<(u64, Slot)>,
    pending: HashMap<String, OutboxMessage>,
}

async fn scan<B: Backend>(store: &Store<B>, now: Timestamp) -> Result<Scan, StoreError> {
    let low = store.outbox_low_water().await?;
    let head = store.log_head(Log::Outbox).await?;
    let end = head.min(low + MAX_SCAN);
    let mut entries = Vec::new();
    let mut after = low;
    while after < end {
        let page = PAGE.min(end - after);
        entries.extend(store.log_entries(Log::Outbox, after, page).await?);
        after += page;
    }
    // The latest entry of each message stands for it; earlier ones are finished.
    let mut latest: HashMap<&str, u64> = HashMap::new();
    for (seq, entry) in &entries {
        if let Some(id) = entry.as_ref().and_then(|e| e.record.as_deref()) {
            latest.insert(id, *seq);
        }
    }
    let ids: Vec<&str> = latest.keys().copied().collect();
    let mut records: HashMap<String, OutboxMessage> = HashMap::new();
    for chunk in ids.chunks(PAGE as usize) {
        let found = store
            .records::<OutboxMessage>(RecordKind::Outbox, chunk)
            .await?;
        for record in found.into_iter().flatten() {
            records.insert(record.id.clone(), record);
        }
    }
    let mut slots = Vec::with_capacity(entries.len());
    let mut later_is_old = false;
    for (seq, entry) in entries.iter().rev() {
        let slot = match entry {
            None => Slot::Hole {
                passable: later_is_old,
            },
            Some(entry) => {
                if entry.at.plus_seconds(HOLE_GRACE_SECONDS) <= now {
                    later_is_old = true;
                }
                match entry.record.as_deref() {
                    Some(id)
                        if latest.get(id) == Some(seq)
                            && records.get(id).is_some_and(OutboxMessage::is_pending) =>
                    {
                        Slot::Pending(id.to_owned())
                    }
                    _ => Slot::Finished,
                }
            }
        };
        slots.push((*seq, slot));
    }
    slots.reverse();
    records.retain(|_, r| r.is_pending());
    Ok(Scan {
        slots,
        pending: records,
    })
}

/// Messages waiting for delivery, oldest entry first (at most `limit`), read in O(pending).
pub async fn pending<B: Backend>(
    store: &Store<B>,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut scan = scan(store, now).await?;
    Ok(scan
        .slots
        .iter()
        .filter_map(|(_, slot)| match slot {
            Slot::Pending(id) => scan.pending.remove(id),
            _ => None,
        })
        .take(limit)
        .collect())
}

/// One delivery run: sends up to `limit` due messages (none without a provider), then moves the
/// low-water mark over the finished prefix. Safe to run concurrently: each attempt is sent at most once.
pub async fn deliver_due<B: Backend, T: Transport>(
    store: &Store<B>,
    mailer: Option<&Mailer<T>>,
    now: Timestamp,
    limit: usize,
) -> Result<DeliveryReport, StoreError> {
    let Scan {
        mut slots,
        mut pending,
    } = scan(store, now).await?;
    let mut report = DeliveryReport {
        pending: pending.len() as u32,
        ..Default::default()
    };
    if let Some(mailer) = mailer {
        let mut tried = 0;
        for (_, slot) in slots.iter_mut() {
            if tried >= limit {
                break;
            }
            let Slot::Pending(id) = slot else { continue };
            let Some(record) = pending.remove(id.as_str()) else {
                continue;
            };
            if record.next_attempt_at > now {
                continue;
            }
            tried += 1;
            match attempt(store, mailer, record, now).await? {
                Delivery::Sent(_) => {
                    report.sent += 1;
                    report.pending -= 1;
                    *slot = Slot::Finished;
                }
                // Another deliverer finished it meanwhile, or it was erased.
                Delivery::AlreadySent | Delivery::Missing => {
                    report.pending -= 1;
                    *slot = Slot::Finished;
                }
                // The result is a later entry for the message: this one is superseded.
                Delivery::Failed(_) => {
                    report.failed += 1;
                    *slot = Slot::Finished;
                }
                Delivery::Queued => {}
            }
        }
    }
    for (seq, slot) in &slots {
        match slot {
            Slot::Finished | Slot::Hole { passable: true } => {
                store.pass_outbox_entry(*seq).await?;
            }
            _ => break,
        }
    }
    Ok(report)
}
