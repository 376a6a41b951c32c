//! The outbox job: finds due mail from the low-water mark in O(pending) (through the one log reader),
//! sends it attempt by attempt (each claimed, so at most one deliverer sends it), and moves the mark over
//! the finished prefix. The design is in [`crate::store::keys`] ("The outbox").

use crate::mailer::{Delivery, Mailer, Transport, attempt};
use crate::records::{Log, OutboxMessage, RecordKind};
use crate::store::{Backend, Store, StoreError};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::HashMap;

/// Records read per `get-many`.
const PAGE: usize = 128;
/// Entries one run looks at, at most (from the low-water mark).
const MAX_SCAN: u64 = 10_000;

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

/// One outbox entry as a delivery run sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// Sent, erased, or superseded by a later entry for the same message.
    Finished,
    /// No entry (yet); `passable` once an entry after it is older than the grace period.
    Hole { passable: bool },
    /// The latest entry of a message still to deliver.
    Pending(String),
}

/// The outbox from the low-water mark on: each entry's slot and the pending messages' records.
struct Scan {
    slots: Vec<(u64, Entry)>,
    pending: HashMap<String, OutboxMessage>,
}

async fn scan<B: Backend>(store: &Store<B>, now: Timestamp) -> Result<Scan, StoreError> {
    let low = store.outbox_low_water().await?;
    let reader = store.reader(Log::Outbox, now);
    let head = reader.head().await?;
    let end = head.min(low + MAX_SCAN);
    let entries = reader.slots(low, end - low, head).await?;
    // The latest entry of each message stands for it; earlier ones are finished.
    let mut latest: HashMap<&str, u64> = HashMap::new();
    for (seq, slot) in &entries {
        if let Some(id) = slot.entry().and_then(|e| e.record.as_deref()) {
            latest.insert(id, *seq);
        }
    }
    let ids: Vec<&str> = latest.keys().copied().collect();
    let mut records: HashMap<String, OutboxMessage> = HashMap::new();
    for chunk in ids.chunks(PAGE) {
        let found = store
            .records::<OutboxMessage>(RecordKind::Outbox, chunk)
            .await?;
        for record in found.into_iter().flatten() {
            records.insert(record.id.clone(), record);
        }
    }
    let mut slots = Vec::with_capacity(entries.len());
    for (seq, slot) in &entries {
        let slot = match slot.entry() {
            // Dated by when the entries after it were written, as every log reader does.
            None => Entry::Hole {
                passable: slot.settled(),
            },
            Some(entry) => match entry.record.as_deref() {
                Some(id)
                    if latest.get(id) == Some(seq)
                        && records.get(id).is_some_and(OutboxMessage::is_pending) =>
                {
                    Entry::Pending(id.to_owned())
                }
                _ => Entry::Finished,
            },
        };
        slots.push((*seq, slot));
    }
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
            Entry::Pending(id) => scan.pending.remove(id),
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
            let Entry::Pending(id) = slot else { continue };
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
                    *slot = Entry::Finished;
                }
                // Another deliverer finished it meanwhile, or it was erased.
                Delivery::AlreadySent | Delivery::Missing => {
                    report.pending -= 1;
                    *slot = Entry::Finished;
                }
                // The result is a later entry for the message: this one is superseded.
                Delivery::Failed(_) => {
                    report.failed += 1;
                    *slot = Entry::Finished;
                }
                Delivery::Queued => {}
            }
        }
    }
    for (seq, slot) in &slots {
        match slot {
            Entry::Finished | Entry::Hole { passable: true } => {
                store.pass_outbox_entry(*seq).await?;
            }
            _ => break,
        }
    }
    Ok(report)
}
