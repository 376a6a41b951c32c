//! Writing logs: every record write with its numbered entry (append, update, erase, note), and reading
//! entries by number. How to read a log in order (holes, pending entries) is [`super::reader`].

use super::backend::Backend;
use super::core::{Store, StoreError, decode};
use super::keys::Key;
use crate::records::{Action, Described, Event, Log, LogEntry, RecordKind, described};
use crate::time::Timestamp;
use serde::{Serialize, de::DeserializeOwned};

/// A log entry with its number taken, not yet (or not finally) written.
pub(super) struct Draft {
    pub(super) log: Log,
    pub(super) entry: LogEntry,
}

impl Draft {
    /// Marks the entry as a change that did not take effect, saying why.
    pub(super) fn refuse(&mut self, reason: &str) {
        self.entry.action = Action::Refused;
        let what = self.entry.detail.take().unwrap_or_default();
        self.entry.detail = Some(format!("{what} ({reason})").trim().to_owned());
    }

    pub(super) fn key(&self) -> String {
        Key::LogEntry(self.log, self.entry.seq).to_string()
    }

    pub(super) fn bytes(&self, pending: bool) -> Result<Vec<u8>, StoreError> {
        let entry = LogEntry {
            pending,
            written_at: Some(Timestamp::now()),
            ..self.entry.clone()
        };
        serde_json::to_vec(&entry).map_err(StoreError::Encode)
    }
}

/// How [`Store::update_with`] reads and writes a record: typed, or described.
struct Codec<O, E> {
    open: O,
    encode: E,
}

impl<O, E> Codec<O, E> {
    /// A codec of records of type `T` (named by the bounds, so the closures need no annotations).
    fn of<T>(open: O, encode: E) -> Self
    where
        O: Fn(&str, &[u8]) -> Result<T, StoreError>,
        E: Fn(&T) -> Result<Vec<u8>, serde_json::Error>,
    {
        Self { open, encode }
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
        change: impl FnMut(&mut R) -> bool,
    ) -> Result<Updated<R>, StoreError> {
        let codec = Codec::of(
            |key: &str, bytes: &[u8]| decode(key, bytes),
            |record: &R| serde_json::to_vec(record),
        );
        self.update_with(kind, id, event, codec, change).await
    }

    /// As [`Store::update`], for a record of any kind whose type the caller does not know (a job's
    /// change that each kind describes itself, such as dropping full IPs). Answers whether it changed.
    pub async fn update_described(
        &self,
        kind: RecordKind,
        id: &str,
        event: Event,
        change: impl FnMut(&mut Box<dyn Described>) -> bool,
    ) -> Result<bool, StoreError> {
        let codec = Codec::of(
            |key: &str, bytes: &[u8]| {
                described(kind, bytes).map_err(|source| StoreError::Corrupt {
                    key: key.to_owned(),
                    source,
                })
            },
            |record| Described::to_bytes(&**record),
        );
        Ok(self
            .update_with(kind, id, event, codec, change)
            .await?
            .changed())
    }

    async fn update_with<T>(
        &self,
        kind: RecordKind,
        id: &str,
        event: Event,
        codec: Codec<
            impl Fn(&str, &[u8]) -> Result<T, StoreError>,
            impl Fn(&T) -> Result<Vec<u8>, serde_json::Error>,
        >,
        mut change: impl FnMut(&mut T) -> bool,
    ) -> Result<Updated<T>, StoreError> {
        let key = Key::Record(kind, id).to_string();
        let mut draft: Option<Draft> = None;
        let outcome = self
            .swap_loop(&key, id, &event, &mut draft, &codec, &mut change)
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
    async fn swap_loop<T>(
        &self,
        key: &str,
        id: &str,
        event: &Event,
        draft: &mut Option<Draft>,
        codec: &Codec<
            impl Fn(&str, &[u8]) -> Result<T, StoreError>,
            impl Fn(&T) -> Result<Vec<u8>, serde_json::Error>,
        >,
        change: &mut impl FnMut(&mut T) -> bool,
    ) -> Result<Updated<T>, StoreError> {
        loop {
            let Some(current) = self.backend.get(key).await? else {
                return Ok(Updated::Missing);
            };
            let mut record = (codec.open)(key, &current)?;
            if !change(&mut record) {
                return Ok(Updated::Unchanged(record));
            }
            if draft.is_none() {
                let pending = self.draft(Some(id), None, event.clone()).await?;
                self.write(&pending, true).await?;
                *draft = Some(pending);
            }
            let new = (codec.encode)(&record).map_err(StoreError::Encode)?;
            if self.swap(key, &current, new).await? {
                return Ok(Updated::Changed(record));
            }
        }
    }

    /// Writes `draft` final once its change is settled. A failure to do so is only logged: a change
    /// that landed stands (readers take the pending entry as final after the grace period), and a change
    /// that did not has its own error for the caller.
    pub(super) async fn settle(&self, draft: &Draft) {
        if let Err(error) = self.write(draft, false).await {
            crate::log_line!("log entry {} left pending: {error}", draft.key());
        }
    }

    /// Registers an event that changes no record (a refused attempt, a read): only a log entry.
    pub async fn note(&self, id: &str, event: Event) -> Result<u64, StoreError> {
        let draft = self.draft(Some(id), None, event).await?;
        self.write(&draft, false).await?;
        Ok(draft.entry.seq)
    }

    /// Registers an activity that touches many records (a page of an export): a log entry naming no
    /// record; its `detail` says which.
    pub async fn note_many(&self, event: Event) -> Result<u64, StoreError> {
        let draft = self.draft(None, None, event).await?;
        self.write(&draft, false).await?;
        Ok(draft.entry.seq)
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
            crate::log_line!("{} tombstones left pending: {error}", drafts.len());
        }
        Ok(deleted?)
    }

    /// The log entry for an event on record `id` (`None`: many records), with its number taken.
    pub(super) async fn draft(
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
    pub(super) async fn write(&self, draft: &Draft, pending: bool) -> Result<(), StoreError> {
        Ok(self
            .backend
            .set_many(vec![(draft.key(), draft.bytes(pending)?)])
            .await?)
    }

    /// Takes the next `count` numbers of `log` (one `increment`) and answers the first of them.
    pub(super) async fn take_seqs(&self, log: Log, count: u64) -> Result<u64, StoreError> {
        let delta = i64::try_from(count).unwrap_or(i64::MAX);
        let last = self
            .backend
            .increment(&Key::LogHead(log).to_string(), delta)
            .await?;
        Ok(u64::try_from(last - delta + 1).unwrap_or_default())
    }

    /// The last sequence number handed out in `log` (0 when empty).
    pub async fn log_head(&self, log: Log) -> Result<u64, StoreError> {
        let head = self
            .backend
            .increment(&Key::LogHead(log).to_string(), 0)
            .await?;
        Ok(u64::try_from(head).unwrap_or_default())
    }

    /// Entries `after + 1 ..= after + limit` of `log` as stored, `None` where a number has no entry (yet):
    /// for tests and tools. Readers that walk a log in order use [`super::reader::LogReader`].
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
}
