//! The durable outbox: every message is a record (`rec:outbox:{id}`) with an entry in the `outbox`
//! log before anyone tries to send it; delivery claims each attempt, records its result as a change of
//! the record, and retries failures with backoff. The key layout and why it is safe under concurrent
//! deliverers are in [`crate::store::keys`] ("The outbox").

use super::provider::{Mailer, Transport};
use crate::ids::new_id;
use crate::records::{Action, Message, OutboxMessage, OutboxStatus, SCHEMA_VERSION, notes};
use crate::store::{Backend, Event, Log, RecordKind, Store, StoreError, Updated, Write};
use crate::time::Timestamp;

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

/// Failed attempts after which a message is given up on as undeliverable (about two days of retries);
/// one marked `erase_after_send` is then dropped.
pub const GIVE_UP_AFTER: u32 = 12;

/// A delivery claim holds for one to two windows of this length (see keys.rs, "The outbox").
pub const LEASE_SECONDS: i64 = 600;

/// Writes `message` to the outbox, due at once: one `increment` and one `set-many` (the record and its
/// `outbox` log entry). Returns the message's id.
pub async fn enqueue<B: Backend>(
    store: &Store<B>,
    message: Message,
    at: Timestamp,
) -> Result<String, StoreError> {
    queue(store, message, at, false).await
}

/// As [`enqueue`], under the id `id` chosen beforehand (the contact's record then names its notice by
/// it): the Art. 14 notice of contact `contact`.
pub async fn enqueue_notice<B: Backend>(
    store: &Store<B>,
    id: &str,
    message: Message,
    contact: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    let record = OutboxMessage {
        notice_for: Some(contact.to_owned()),
        ..new_message(id.to_owned(), message, at, false)
    };
    store
        .append(RecordKind::Outbox, id, &record, queued(at))
        .await?;
    Ok(())
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
    let id = new_id();
    let record = new_message(id.clone(), message, at, erase_after_send);
    store
        .append(RecordKind::Outbox, &id, &record, queued(at))
        .await?;
    Ok(id)
}

/// `message` as an outbox write due at once, to be stored with other writes (a signup's batch).
pub fn enqueue_write(message: Message, at: Timestamp) -> Result<Write, StoreError> {
    let id = new_id();
    let record = new_message(id.clone(), message, at, false);
    Write::record(RecordKind::Outbox, &id, &record, queued(at))
}

/// A new outbox record for `message` under `id`, due at `at`.
fn new_message(
    id: String,
    message: Message,
    at: Timestamp,
    erase_after_send: bool,
) -> OutboxMessage {
    OutboxMessage {
        v: SCHEMA_VERSION,
        id,
        message,
        status: OutboxStatus::Queued,
        attempts: 0,
        last_error: None,
        next_attempt_at: at,
        created_at: at,
        sent_at: None,
        provider_message_id: None,
        erase_after_send,
        notice_for: None,
    }
}

fn queued(at: Timestamp) -> Event {
    Event::system(Log::Outbox, Action::Captured, "queued".into(), at)
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
pub async fn attempt<B: Backend, T: Transport>(
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
            Event::system(Log::Outbox, Action::Updated, notes::SENT.into(), now),
            Delivery::Sent(provider_id.clone()),
        ),
        Err(error) => (
            Event::system(
                Log::Outbox,
                Action::Updated,
                format!("attempt {n} failed"),
                now,
            ),
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
                    Err(error) if n >= GIVE_UP_AFTER => {
                        r.status = OutboxStatus::Undeliverable;
                        r.last_error = Some(error.clone());
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
            let done = !r.is_pending();
            if let Some(contact) = r.notice_for.as_deref().filter(|_| done) {
                let sent = r.status == OutboxStatus::Sent;
                store.settle_notice(contact, &r.id, sent, now).await?;
            }
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
                        Event::system(Log::Outbox, Action::Erased, detail.into(), now),
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
            Event::system(Log::Outbox, Action::Updated, "rescheduled".into(), now),
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
