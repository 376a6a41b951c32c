//! The one module that talks to the key-value store: typed reads and writes over [`keys`].
//!
//! Components open [`Store::open`] (Spin's store labelled `default`); tests wrap the test host's SQLite store
//! in [`Store::new`] and read back through the very same functions.

mod backend;
pub mod keys;

#[cfg(target_arch = "wasm32")]
pub use backend::SpinBackend;
pub use backend::{Backend, BackendError};
pub use keys::{Channel, Key, Log, RecordKind};

use crate::records::{Action, Actor, LogEntry, SCHEMA_VERSION, Submission};
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
}

/// The typed store.
pub struct Store<B> {
    backend: B,
}

#[cfg(target_arch = "wasm32")]
impl Store<SpinBackend> {
    /// Opens the store labelled `default`, which every component is granted in `spin.toml`.
    pub fn open() -> Result<Self, StoreError> {
        Ok(Self::new(SpinBackend::open("default")?))
    }
}

/// What to append: the record's new state and what happened to it.
pub struct Change<'a, R> {
    pub log: Log,
    pub kind: RecordKind,
    pub id: &'a str,
    pub record: &'a R,
    pub action: Action,
    pub actor: Actor,
    pub detail: Option<String>,
    pub at: Timestamp,
}

impl<B: Backend> Store<B> {
    pub fn new(backend: B) -> Self {
        Self { backend }
    }

    /// Writes a record's new state together with its log entry: one `increment` for the entry's number,
    /// then one `set-many` (one commit) for both. Returns the entry's sequence number.
    pub async fn append<R: Serialize>(&self, change: Change<'_, R>) -> Result<u64, StoreError> {
        let record = serde_json::to_vec(change.record).map_err(StoreError::Encode)?;
        let seq = self.next_seq(change.log).await?;
        let entry = LogEntry {
            v: SCHEMA_VERSION,
            seq,
            at: change.at,
            action: change.action,
            record: Some(change.id.to_owned()),
            actor: change.actor,
            detail: change.detail,
        };
        let entry = serde_json::to_vec(&entry).map_err(StoreError::Encode)?;
        self.backend
            .set_many(vec![
                (Key::Record(change.kind, change.id).to_string(), record),
                (Key::LogEntry(change.log, seq).to_string(), entry),
            ])
            .await?;
        Ok(seq)
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
        let values = self.backend.get_many(keys).await?;
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
        let values = self.backend.get_many(keys.clone()).await?;
        keys.iter()
            .zip(values)
            .map(|(key, value)| value.map(|bytes| decode(key, &bytes)).transpose())
            .collect()
    }

    /// Erases a record's stored state (the caller appends the `erased` entry).
    pub async fn delete_record(&self, kind: RecordKind, id: &str) -> Result<(), StoreError> {
        Ok(self
            .backend
            .delete_many(vec![Key::Record(kind, id).to_string()])
            .await?)
    }

    /// Counts one post by `client` in the rate-limit `window` and returns the count so far. On a
    /// client's first post of a window its previous window's counter is removed, so the store keeps at
    /// most one counter per client.
    pub async fn count_post(&self, window: u64, client: &str) -> Result<u64, StoreError> {
        let count = self
            .backend
            .increment(&Key::Rate { window, client }.to_string(), 1)
            .await?;
        if count == 1 && window > 0 {
            let previous = Key::Rate {
                window: window - 1,
                client,
            }
            .to_string();
            self.backend.delete_many(vec![previous]).await?;
        }
        Ok(u64::try_from(count).unwrap_or_default())
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

    async fn next_seq(&self, log: Log) -> Result<u64, StoreError> {
        let seq = self
            .backend
            .increment(&Key::LogHead(log).to_string(), 1)
            .await?;
        Ok(u64::try_from(seq).unwrap_or_default())
    }
}

fn decode<R: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<R, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        key: key.to_owned(),
        source,
    })
}
