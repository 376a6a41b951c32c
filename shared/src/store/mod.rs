//! The one module that talks to the key-value store: typed reads and writes over [`keys`].
//!
//! Components open [`Store::open`] (Spin's store labelled `default`); tests wrap the test host's SQLite store
//! in [`Store::new`] and read back through the very same functions.

mod backend;
mod capture;
mod feed;
pub mod group;
mod jobs;
pub mod keys;
#[cfg(test)]
pub(crate) mod memory;
pub mod people;
mod portable;
mod rate;
mod register;
mod requests;
mod retention;

#[cfg(target_arch = "wasm32")]
pub use backend::SpinBackend;
pub use backend::{Backend, BackendError, Flavour};
pub use capture::{Capture, Captured, Found, OnceCheck, RateCheck, Write};
pub use feed::{Conditional, etag};
pub use jobs::{LEASE_SECONDS, Lease};
pub use crate::records::{Channel, Event, Log, RecordKind};
pub use keys::Key;
pub use people::{IndexRun, PersonRef};
pub use rate::{RATE_LIMIT_RULE, RATE_SLOTS, RateEntry, RateSlot, rate_slot};
pub use register::SealRun;
pub use retention::{RetentionReport, RuleReport};

use crate::records::{
    Action, Actor, ConsentDecision, LogEntry, OptOut, OptOutSource, SCHEMA_VERSION, Submission,
};
use crate::time::Timestamp;
use serde::{Serialize, de::DeserializeOwned};

/// A store call failed, or a stored value could not be read as the record it should be.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("stored value at {key} is not a valid record: {source}")]
    Corrupt {
        key: String,
        source: serde_json::Error,
    },
    #[error("could not encode a record: {0}")]
    Encode(serde_json::Error),
    /// Another writer got there first (a job whose lease lapsed while it ran).
    #[error("conflict: {0}")]
    Conflict(&'static str),
}

/// The typed store.
pub struct Store<B> {
    backend: B,
    /// Which backend `backend` is, once a call needed to know ([`Store::flavour`]).
    flavour: std::cell::Cell<Option<Flavour>>,
}

#[cfg(target_arch = "wasm32")]
impl Store<SpinBackend> {
    /// Opens the store labelled `default`, which every component is granted in `spin.toml`.
    pub fn open() -> Result<Self, StoreError> {
        Ok(Self::new(SpinBackend::open("default")?))
    }
}

/// A log entry with its number taken, not yet (or not finally) written.
struct Draft {
    log: Log,
    entry: LogEntry,
}

impl Draft {
    /// Marks the entry as a change that did not take effect, saying why.
    fn refuse(&mut self, reason: &str) {
        self.entry.action = Action::Refused;
        let what = self.entry.detail.take().unwrap_or_default();
        self.entry.detail = Some(format!("{what} ({reason})").trim().to_owned());
    }

    fn key(&self) -> String {
        Key::LogEntry(self.log, self.entry.seq).to_string()
    }

    fn bytes(&self, pending: bool) -> Result<Vec<u8>, StoreError> {
        let entry = LogEntry {
            pending,
            written_at: Some(Timestamp::now()),
            ..self.entry.clone()
        };
        serde_json::to_vec(&entry).map_err(StoreError::Encode)
    }
}

/// The outcome of [`Store::update`].
#[derive(Debug, Clone, PartialEq)]
pub enum Updated<R> {
    /// No record with that id.
    Missing,
    /// The change found nothing to change; the record as it is.
    Unchanged(R),
    /// The record's new state.
    Changed(R),
}

impl<R> Updated<R> {
    /// Whether the change landed.
    pub fn changed(&self) -> bool {
        matches!(self, Self::Changed(_))
    }
}

impl<B: Backend> Store<B> {
    pub fn new(backend: B) -> Self {
        Self {
            backend,
            flavour: std::cell::Cell::new(None),
        }
    }

    /// Writes a new record together with its log entry: one `increment` for the entry's number, then one
    /// `set-many` (one commit) for both. Returns the entry's sequence number.
    pub async fn append<R: Serialize>(
        &self,
        kind: RecordKind,
        id: &str,
        record: &R,
        event: Event,
    ) -> Result<u64, StoreError> {
        let record = serde_json::to_vec(record).map_err(StoreError::Encode)?;
        let draft = self.draft(Some(id), None, event).await?;
        self.backend
            .set_many(vec![
                (Key::Record(kind, id).to_string(), record),
                (draft.key(), draft.bytes(false)?),
            ])
            .await?;
        Ok(draft.entry.seq)
    }

    /// Changes an existing record without losing a concurrent change: reads it, lets `change` edit it
    /// (answering whether it changed anything), then swaps the new state in only if the record is still
    /// as read, else starts over from a fresh read. Its log entry is written *pending* before the swap and
    /// final after it: a reader that meets the pending entry waits (so it never reads the old state and
    /// moves past the change), and a writer that dies in between leaves an entry that still names the
    /// record, so no sync misses the change.
    pub async fn update<R: Serialize + DeserializeOwned>(
        &self,
        kind: RecordKind,
        id: &str,
        event: Event,
        mut change: impl FnMut(&mut R) -> bool,
    ) -> Result<Updated<R>, StoreError> {
        let key = Key::Record(kind, id).to_string();
        let mut draft: Option<Draft> = None;
        let outcome = self
            .swap_loop(&key, id, &event, &mut draft, &mut change)
            .await;
        if let Some(mut draft) = draft {
            // Final whatever happened: a reader then reads the record as it now is. The register says
            // so when the change did not take effect.
            let not_applied = match &outcome {
                Ok(Updated::Changed(_)) => None,
                Ok(Updated::Unchanged(_)) => Some("not applied: a concurrent change made it"),
                Ok(Updated::Missing) => Some("not applied: the record is gone"),
                Err(_) => Some("store error: it may not have taken effect"),
            };
            if let Some(reason) = not_applied {
                draft.refuse(reason);
            }
            self.settle(&draft).await;
        }
        outcome
    }

    /// The read-change-swap loop of [`Store::update`]; writes `draft` pending before the first swap.
    async fn swap_loop<R: Serialize + DeserializeOwned>(
        &self,
        key: &str,
        id: &str,
        event: &Event,
        draft: &mut Option<Draft>,
        change: &mut impl FnMut(&mut R) -> bool,
    ) -> Result<Updated<R>, StoreError> {
        loop {
            let Some(current) = self.backend.get(key).await? else {
                return Ok(Updated::Missing);
            };
            let mut record: R = decode(key, &current)?;
            if !change(&mut record) {
                return Ok(Updated::Unchanged(record));
            }
            if draft.is_none() {
                let pending = self.draft(Some(id), None, event.clone()).await?;
                self.write(&pending, true).await?;
                *draft = Some(pending);
            }
            let new = serde_json::to_vec(&record).map_err(StoreError::Encode)?;
            if self.swap(key, &current, new).await? {
                return Ok(Updated::Changed(record));
            }
        }
    }

    /// Writes `draft` final once its change is settled. A failure to do so is only logged: a change
    /// that landed stands (readers take the pending entry as final after the grace period), and a change
    /// that did not has its own error for the caller.
    async fn settle(&self, draft: &Draft) {
        if let Err(error) = self.write(draft, false).await {
            eprintln!("log entry {} left pending: {error}", draft.key());
        }
    }

    /// Registers an event that changes no record (a refused attempt, a read): only a log entry.
    pub async fn note(&self, id: &str, event: Event) -> Result<u64, StoreError> {
        let draft = self.draft(Some(id), None, event).await?;
        self.write(&draft, false).await?;
        Ok(draft.entry.seq)
    }

    /// Claims the creation of record `kind`/`id` for the first caller only: `increment` hands 1 to exactly
    /// one caller, so this is the safe "create if absent" on every backend. [`Store::erase`] releases it.
    pub async fn claim_new(&self, kind: RecordKind, id: &str) -> Result<bool, StoreError> {
        let key = Key::Claim(kind.as_str(), id).to_string();
        Ok(self.backend.increment(&key, 1).await? == 1)
    }

    /// Erases a record: its stored state and its creation claim go, and the log gets an `erased` entry
    /// (the feed's tombstone), pending until the record is gone (as in [`Store::update`]).
    pub async fn erase(&self, kind: RecordKind, id: &str, event: Event) -> Result<(), StoreError> {
        let event = Event {
            action: Action::Erased,
            ..event
        };
        let mut draft = self.draft(Some(id), None, event).await?;
        self.write(&draft, true).await?;
        let keys = vec![
            Key::Record(kind, id).to_string(),
            Key::Claim(kind.as_str(), id).to_string(),
        ];
        let deleted = self.backend.delete_many(keys).await;
        if deleted.is_err() {
            draft.refuse("store error: it may not have taken effect");
        }
        self.settle(&draft).await;
        Ok(deleted?)
    }

    /// Erases many records of one kind as [`Store::erase`] does one, in three commits for all of them:
    /// one `increment` numbers every tombstone, one `set-many` writes them pending, one `delete-many`
    /// removes the records and their claims, one `set-many` finalises the tombstones (retention's batches).
    pub async fn erase_many(
        &self,
        kind: RecordKind,
        ids: &[&str],
        event: Event,
    ) -> Result<(), StoreError> {
        let count = ids.len() as u64;
        if count == 0 {
            return Ok(());
        }
        let first = self.take_seqs(event.log, count).await?;
        let erased = Event {
            action: Action::Erased,
            ..event
        };
        let mut drafts: Vec<Draft> = ids
            .iter()
            .zip(first..)
            .map(|(id, seq)| Draft {
                log: erased.log,
                entry: erased.clone().entry(seq, Some(id), None),
            })
            .collect();
        let pending = drafts
            .iter()
            .map(|d| Ok((d.key(), d.bytes(true)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.backend.set_many(pending).await?;
        let keys = ids
            .iter()
            .flat_map(|id| {
                [
                    Key::Record(kind, id).to_string(),
                    Key::Claim(kind.as_str(), id).to_string(),
                ]
            })
            .collect();
        let deleted = self.backend.delete_many(keys).await;
        if deleted.is_err() {
            for draft in &mut drafts {
                draft.refuse("store error: it may not have taken effect");
            }
        }
        let settled = drafts
            .iter()
            .map(|d| Ok((d.key(), d.bytes(false)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        if let Err(error) = self.backend.set_many(settled).await {
            eprintln!("{} tombstones left pending: {error}", drafts.len());
        }
        Ok(deleted?)
    }

    /// Puts `pseudonym` on the do-not-contact registry for `channel`, or puts a lifted entry back in
    /// force. Answers whether anything changed (repeating an opt-out is a no-op).
    pub async fn opt_out(
        &self,
        channel: Channel,
        pseudonym: &str,
        source: OptOutSource,
        actor: Actor,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let id = channel.opt_out_id(pseudonym);
        let entry = OptOut {
            v: SCHEMA_VERSION,
            id: id.clone(),
            channel,
            at,
            source,
            lifted_at: None,
        };
        let event = |action, detail: Option<&str>| Event {
            log: Log::OptOuts,
            action,
            actor: actor.clone(),
            detail: detail.map(str::to_owned),
            at,
        };
        if !self.claim_new(RecordKind::OptOut, &id).await? {
            let again = event(Action::Updated, Some("back in force"));
            let updated = self
                .update(RecordKind::OptOut, &id, again, |existing: &mut OptOut| {
                    let lifted = !existing.in_force();
                    if lifted {
                        *existing = entry.clone();
                    }
                    lifted
                })
                .await?;
            match updated {
                Updated::Changed(_) => return Ok(true),
                Updated::Unchanged(_) => return Ok(false),
                // Claimed, but the entry never landed (its writer failed): write it below, or the
                // opt-out would be lost for good. A concurrent creator writes the same entry.
                Updated::Missing => {}
            }
        }
        self.append(
            RecordKind::OptOut,
            &id,
            &entry,
            event(Action::Captured, None),
        )
        .await?;
        Ok(true)
    }

    /// The channels among `wanted` whose do-not-contact entry is in force, in one batch read.
    pub async fn opted_out(
        &self,
        wanted: &[(Channel, String)],
    ) -> Result<Vec<Channel>, StoreError> {
        let ids: Vec<String> = wanted
            .iter()
            .map(|(channel, p)| channel.opt_out_id(p))
            .collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let entries: Vec<Option<OptOut>> = self.records(RecordKind::OptOut, &ids).await?;
        Ok(entries
            .into_iter()
            .flatten()
            .filter(OptOut::in_force)
            .map(|entry| entry.channel)
            .collect())
    }

    /// The do-not-contact entry for `pseudonym` on `channel`, if any.
    pub async fn opt_out_entry(
        &self,
        channel: Channel,
        pseudonym: &str,
    ) -> Result<Option<OptOut>, StoreError> {
        self.record(RecordKind::OptOut, &channel.opt_out_id(pseudonym))
            .await
    }

    /// Whether consent id `id` was ever issued (its first decision exists).
    pub async fn consent_exists(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .backend
            .get(&Key::ConsentHistoryEntry(id, 1).to_string())
            .await?
            .is_some())
    }

    /// Appends `decision` to its id's history and to the `consents` log, together with the other posts
    /// in flight in this instance (group commit). A new id's first decision is number 1 without
    /// touching a counter (nobody else knows the id yet); a later decision takes its number from the
    /// id's own counter first, so concurrent decisions for one id all land, numbered without gaps.
    pub async fn record_consent(
        &self,
        decision: &mut ConsentDecision,
        first: bool,
        event: Event,
    ) -> Result<u64, StoreError> {
        let id = decision.consent_id.clone();
        decision.n = if first {
            1
        } else {
            let later = self
                .backend
                .increment(&Key::ConsentHistoryHead(&id).to_string(), 1)
                .await?;
            u64::try_from(later).unwrap_or_default() + 1
        };
        let event = Event {
            detail: Some(format!("decision {}", decision.n)),
            ..event
        };
        let write = Write::consent(decision, event)?;
        match self
            .capture(Capture::writing(move |_| Ok(vec![write])))
            .await?
        {
            Captured::Stored(_) => Ok(decision.n),
            Captured::RateLimited => Err(StoreError::Conflict("a decision has no rate limit")),
        }
    }

    /// Every decision of consent id `id`, newest first: one counter read and one batch read, O(history).
    /// A number whose decision is still being written is left out.
    pub async fn consent_history(&self, id: &str) -> Result<Vec<ConsentDecision>, StoreError> {
        let later = self
            .backend
            .increment(&Key::ConsentHistoryHead(id).to_string(), 0)
            .await?;
        let count = u64::try_from(later).unwrap_or_default() + 1;
        let keys: Vec<String> = (1..=count)
            .rev()
            .map(|n| Key::ConsentHistoryEntry(id, n).to_string())
            .collect();
        let values = self.read_many(keys.clone()).await?;
        keys.iter()
            .zip(values)
            .filter_map(|(key, value)| value.map(|bytes| decode(key, &bytes)))
            .collect()
    }

    /// A record of any kind by id.
    pub async fn get<R: DeserializeOwned>(
        &self,
        kind: RecordKind,
        id: &str,
    ) -> Result<Option<R>, StoreError> {
        self.record(kind, id).await
    }

    /// The log entry for an event on record `id` (`None`: many records), with its number taken.
    async fn draft(
        &self,
        id: Option<&str>,
        revision: Option<u64>,
        event: Event,
    ) -> Result<Draft, StoreError> {
        let seq = self.take_seqs(event.log, 1).await?;
        Ok(Draft {
            log: event.log,
            entry: event.entry(seq, id, revision),
        })
    }

    /// Writes `draft`'s entry, `pending` or final.
    async fn write(&self, draft: &Draft, pending: bool) -> Result<(), StoreError> {
        Ok(self
            .backend
            .set_many(vec![(draft.key(), draft.bytes(pending)?)])
            .await?)
    }

    /// The last sequence number handed out in `log` (0 when empty).
    pub async fn log_head(&self, log: Log) -> Result<u64, StoreError> {
        let head = self
            .backend
            .increment(&Key::LogHead(log).to_string(), 0)
            .await?;
        Ok(u64::try_from(head).unwrap_or_default())
    }

    /// Entries `after + 1 ..= after + limit` of `log`, `None` where a number has no entry (yet).
    pub async fn log_entries(
        &self,
        log: Log,
        after: u64,
        limit: u64,
    ) -> Result<Vec<(u64, Option<LogEntry>)>, StoreError> {
        let seqs: Vec<u64> = (after + 1..=after + limit).collect();
        let keys = seqs
            .iter()
            .map(|s| Key::LogEntry(log, *s).to_string())
            .collect();
        let values = self.read_many(keys).await?;
        seqs.into_iter()
            .zip(values)
            .map(|(seq, value)| {
                let entry = value
                    .map(|bytes| decode(&Key::LogEntry(log, seq).to_string(), &bytes))
                    .transpose()?;
                Ok((seq, entry))
            })
            .collect()
    }

    /// The entries `seqs` of `log` in one batch read, `None` where a number has no entry.
    pub async fn log_entries_at(
        &self,
        log: Log,
        seqs: &[u64],
    ) -> Result<Vec<Option<LogEntry>>, StoreError> {
        let keys = seqs
            .iter()
            .map(|s| Key::LogEntry(log, *s).to_string())
            .collect();
        self.get_decoded(keys).await
    }

    pub async fn submission(&self, id: &str) -> Result<Option<Submission>, StoreError> {
        self.record(RecordKind::Submission, id).await
    }

    /// Many records of one kind in one batch read, in the order of `ids`.
    pub async fn records<R: DeserializeOwned>(
        &self,
        kind: RecordKind,
        ids: &[&str],
    ) -> Result<Vec<Option<R>>, StoreError> {
        let keys: Vec<String> = ids
            .iter()
            .map(|id| Key::Record(kind, id).to_string())
            .collect();
        self.get_decoded(keys).await
    }

    /// The values at `keys` in one batch read, decoded, in the order of `keys`.
    async fn get_decoded<R: DeserializeOwned>(
        &self,
        keys: Vec<String>,
    ) -> Result<Vec<Option<R>>, StoreError> {
        let values = self.read_many(keys.clone()).await?;
        keys.iter()
            .zip(values)
            .map(|(key, value)| value.map(|bytes| decode(key, &bytes)).transpose())
            .collect()
    }

    async fn record<R: DeserializeOwned>(
        &self,
        kind: RecordKind,
        id: &str,
    ) -> Result<Option<R>, StoreError> {
        let key = Key::Record(kind, id).to_string();
        let value = self.backend.get(&key).await?;
        value.map(|bytes| decode(&key, &bytes)).transpose()
    }

    /// Takes the next `count` numbers of `log` (one `increment`) and answers the first of them.
    async fn take_seqs(&self, log: Log, count: u64) -> Result<u64, StoreError> {
        let delta = i64::try_from(count).unwrap_or(i64::MAX);
        let last = self
            .backend
            .increment(&Key::LogHead(log).to_string(), delta)
            .await?;
        Ok(u64::try_from(last - delta + 1).unwrap_or_default())
    }
}

/// The outbox: its records, its low-water mark and its claims (design in [`keys`], "The outbox").
impl<B: Backend> Store<B> {
    /// One outbox message by id.
    pub async fn outbox_message(
        &self,
        id: &str,
    ) -> Result<Option<crate::mailer::OutboxMessage>, StoreError> {
        self.record(RecordKind::Outbox, id).await
    }

    /// The outbox's low-water mark: every outbox entry at or below it is finished.
    pub async fn outbox_low_water(&self) -> Result<u64, StoreError> {
        let low = self
            .backend
            .increment(&Key::OutboxLowWater.to_string(), 0)
            .await?;
        Ok(u64::try_from(low).unwrap_or_default())
    }

    /// Claims attempt `attempt` of message `id` for a deliverer in lease window `window`: true for at most
    /// one caller among all deliverers in windows `window - 1 ..= window + 1`. Claims the older window's key
    /// first and stops at the first loss, so two contenders never both give up on a free attempt.
    pub async fn claim_outbox_attempt(
        &self,
        id: &str,
        attempt: u32,
        window: u64,
    ) -> Result<bool, StoreError> {
        for window in window.saturating_sub(1)..=window {
            let key = Key::OutboxSendClaim {
                id,
                attempt,
                window,
            };
            if self.backend.increment(&key.to_string(), 1).await? != 1 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Moves the low-water mark past finished entry `seq`, unless another deliverer already did: one
    /// claim, then (for its one winner) one increment of the mark. Answers whether this call moved it.
    pub async fn pass_outbox_entry(&self, seq: u64) -> Result<bool, StoreError> {
        let claim = Key::OutboxPassClaim(seq).to_string();
        if self.backend.increment(&claim, 1).await? != 1 {
            return Ok(false);
        }
        self.backend
            .increment(&Key::OutboxLowWater.to_string(), 1)
            .await?;
        Ok(true)
    }
}

fn decode<R: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<R, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        key: key.to_owned(),
        source,
    })
}

/// Marketing API keys and the register of reads (design in [`keys`]: `idx:api-key:*`, `used:api-key:*`).
impl<B: Backend> Store<B> {
    /// Stores a new API key with its place in the key list and its `event` (key management is
    /// registered) in one `set-many`, after one `increment` for the list and one for the log.
    pub async fn create_api_key(
        &self,
        key: &crate::records::ApiKey,
        event: Event,
    ) -> Result<u64, StoreError> {
        self.append_listed(
            RecordKind::ApiKey,
            &key.id,
            key,
            (Key::ApiKeyListHead, Key::ApiKeyListEntry),
            event,
            Vec::new(),
        )
        .await
    }

    /// Every API key ever created, oldest first, with when it was last used: one counter read and three
    /// batch reads, O(keys).
    pub async fn api_keys(
        &self,
    ) -> Result<Vec<(crate::records::ApiKey, Option<Timestamp>)>, StoreError> {
        let ids = self
            .listed(Key::ApiKeyListHead, Key::ApiKeyListEntry)
            .await?;
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let records: Vec<Option<crate::records::ApiKey>> =
            self.records(RecordKind::ApiKey, &refs).await?;
        let used_keys: Vec<String> = ids
            .iter()
            .map(|id| Key::ApiKeyLastUsed(id).to_string())
            .collect();
        let used = self.read_many(used_keys.clone()).await?;
        let mut out = Vec::with_capacity(ids.len());
        for ((record, used), used_key) in records.into_iter().zip(used).zip(&used_keys) {
            let used: Option<Timestamp> = used.map(|b| decode(used_key, &b)).transpose()?;
            if let Some(record) = record {
                out.push((record, used));
            }
        }
        Ok(out)
    }

    /// Notes that API key `id` was used at `at` (one plain write; the last writer wins).
    pub async fn touch_api_key(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        let value = serde_json::to_vec(&at).map_err(StoreError::Encode)?;
        Ok(self
            .backend
            .set_many(vec![(Key::ApiKeyLastUsed(id).to_string(), value)])
            .await?)
    }

    /// Registers an activity that touches many records (a page of an export): a log entry naming no
    /// record; its `detail` says which.
    pub async fn note_many(&self, event: Event) -> Result<u64, StoreError> {
        let draft = self.draft(None, None, event).await?;
        self.write(&draft, false).await?;
        Ok(draft.entry.seq)
    }
}
