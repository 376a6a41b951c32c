//! Records beyond the log's own writes: ETags and conditional changes (two people editing one record),
//! imports of many records at once, and lists kept as a counter with numbered entries.

use super::backend::Backend;
use super::core::{Store, StoreError, decode};
use super::keys::Key;
use crate::records::{Described, Event, LogEntry, RecordKind, described};
use serde::{Serialize, de::DeserializeOwned};
use sha2::{Digest, Sha256};

/// The outcome of [`Store::update_if`].
#[derive(Debug, Clone, PartialEq)]
pub enum Conditional<R> {
    /// No record with that id.
    Missing,
    /// The record is no longer in the state the client's `If-Match` names; nothing changed.
    Stale,
    /// The change found nothing to change: the record and its ETag.
    Unchanged(R, String),
    /// The record's new state and its new ETag.
    Changed(R, String),
}

/// The strong ETag of a stored state: a hash of its exact bytes, so any change, by anyone, changes it.
pub fn etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-Match` value (`*` or a list of entity tags) names `tag`. Weak tags never match:
/// `If-Match` compares strongly.
fn matches(if_match: &str, tag: &str) -> bool {
    if_match
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate == tag)
}

impl<B: Backend> Store<B> {
    /// A record and the ETag of its stored state.
    pub async fn get_tagged<R: DeserializeOwned>(
        &self,
        kind: RecordKind,
        id: &str,
    ) -> Result<Option<(R, String)>, StoreError> {
        let key = Key::Record(kind, id).to_string();
        let Some(bytes) = self.backend.get(&key).await? else {
            return Ok(None);
        };
        Ok(Some((decode(&key, &bytes)?, etag(&bytes))))
    }

    /// Changes a record only if it is still in the state `if_match` names: the optimistic lock of two
    /// people editing one record. The log entry is pending until the swap lands, as in
    /// [`Store::update`]; if a concurrent change wins the swap in between, this one is
    /// [`Conditional::Stale`] and its entry is finalised as `refused`, so the register says it did not
    /// take effect.
    pub async fn update_if<R: Serialize + DeserializeOwned>(
        &self,
        kind: RecordKind,
        id: &str,
        if_match: &str,
        event: Event,
        change: impl FnOnce(&mut R) -> bool,
    ) -> Result<Conditional<R>, StoreError> {
        let key = Key::Record(kind, id).to_string();
        let Some(current) = self.backend.get(&key).await? else {
            return Ok(Conditional::Missing);
        };
        if !matches(if_match, &etag(&current)) {
            return Ok(Conditional::Stale);
        }
        let mut record: R = decode(&key, &current)?;
        if !change(&mut record) {
            return Ok(Conditional::Unchanged(record, etag(&current)));
        }
        let mut draft = self.draft(Some(id), None, event).await?;
        self.write(&draft, true).await?;
        let new = serde_json::to_vec(&record).map_err(StoreError::Encode)?;
        let swapped = self.swap(&key, &current, new.clone()).await;
        match swapped {
            Ok(true) => {}
            Ok(false) => draft.refuse("not applied: lost to a concurrent change"),
            Err(_) => draft.refuse("store error: it may not have taken effect"),
        }
        self.settle(&draft).await;
        Ok(if swapped? {
            Conditional::Changed(record, etag(&new))
        } else {
            Conditional::Stale
        })
    }

    /// Writes many new records of one kind with one log entry each (an import, a benchmark's data):
    /// one `increment` reserves all their numbers, one `set-many` writes records and entries together.
    /// For fresh ids only: it neither checks nor takes creation claims ([`Store::claim_new`]).
    pub async fn append_many<R: Serialize>(
        &self,
        kind: RecordKind,
        records: &[(&str, R)],
        event: Event,
    ) -> Result<(), StoreError> {
        let count = records.len() as u64;
        if count == 0 {
            return Ok(());
        }
        let first = self.take_seqs(event.log, count).await?;
        let written_at = Some(crate::time::Timestamp::now());
        let mut writes = Vec::with_capacity(records.len() * 2);
        for ((id, record), seq) in records.iter().zip(first..) {
            let entry = LogEntry {
                written_at,
                ..event.clone().entry(seq, Some(id), None)
            };
            let entry = serde_json::to_vec(&entry).map_err(StoreError::Encode)?;
            let record = serde_json::to_vec(record).map_err(StoreError::Encode)?;
            writes.push((Key::Record(kind, id).to_string(), record));
            writes.push((Key::LogEntry(event.log, seq).to_string(), entry));
        }
        Ok(self.backend.set_many(writes).await?)
    }
}

/// Lists kept as a counter and numbered entries (`idx:api-key:*`, `idx:dsr:*`).
impl<B: Backend> Store<B> {
    /// The ids of a list kept as a counter and numbered entries (`idx:api-key:*`, `idx:dsr:*`).
    pub(super) async fn listed(
        &self,
        head: Key<'static>,
        entry: fn(u64) -> Key<'static>,
    ) -> Result<Vec<String>, StoreError> {
        let head = self.backend.increment(&head.to_string(), 0).await?;
        let head = u64::try_from(head).unwrap_or_default();
        let keys: Vec<String> = (1..=head).map(|n| entry(n).to_string()).collect();
        let values = self.read_many(keys.clone()).await?;
        keys.iter()
            .zip(values)
            .filter_map(|(key, value)| value.map(|bytes| decode::<String>(key, &bytes)))
            .collect()
    }

    /// Writes a new record, its place in a list, its log entry and `also` in one `set-many`, after one
    /// `increment` for the list and one for the log.
    pub(super) async fn append_listed<R: serde::Serialize>(
        &self,
        kind: RecordKind,
        id: &str,
        record: &R,
        (head, entry): (Key<'static>, fn(u64) -> Key<'static>),
        event: Event,
        also: Vec<(String, Vec<u8>)>,
    ) -> Result<u64, StoreError> {
        let record = serde_json::to_vec(record).map_err(StoreError::Encode)?;
        let n = self.backend.increment(&head.to_string(), 1).await?;
        let n = u64::try_from(n).unwrap_or_default();
        let listed = serde_json::to_vec(id).map_err(StoreError::Encode)?;
        let draft = self.draft(Some(id), None, event).await?;
        let mut writes = vec![
            (Key::Record(kind, id).to_string(), record),
            (entry(n).to_string(), listed),
            (draft.key(), draft.bytes(false)?),
        ];
        writes.extend(also);
        self.backend.set_many(writes).await?;
        Ok(draft.entry.seq)
    }
}

/// Records of any kind, each as it describes itself.
impl<B: Backend> Store<B> {
    /// The records `ids` of `kind` in one batch read, opened as their kind says, in the order of `ids`.
    pub async fn described(
        &self,
        kind: RecordKind,
        ids: &[&str],
    ) -> Result<Vec<Option<Box<dyn Described>>>, StoreError> {
        let keys: Vec<String> = ids
            .iter()
            .map(|id| Key::Record(kind, id).to_string())
            .collect();
        let values = self.read_many(keys.clone()).await?;
        keys.iter()
            .zip(values)
            .map(|(key, value)| {
                value
                    .map(|bytes| {
                        described(kind, &bytes).map_err(|source| StoreError::Corrupt {
                            key: key.clone(),
                            source,
                        })
                    })
                    .transpose()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etag_changes_with_every_byte_and_if_match_compares_strongly() {
        let a = etag(br#"{"status":"requested"}"#);
        let b = etag(br#"{"status":"contacted"}"#);
        assert_ne!(a, b);
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
        assert!(matches(&a, &a));
        assert!(matches(&format!("{b}, {a}"), &a));
        assert!(matches("*", &a));
        assert!(!matches(&b, &a));
        assert!(!matches(&format!("W/{a}"), &a));
    }
}
