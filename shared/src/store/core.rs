//! The `Store` type: a backend and its typed reads. Writes live by area in the sibling files.

#[cfg(target_arch = "wasm32")]
use super::backend::SpinBackend;
use super::backend::{Backend, BackendError, Flavour};
use super::keys::Key;
use crate::records::{RecordKind, Submission};
use serde::de::DeserializeOwned;

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
    pub(super) backend: B,
    /// Which backend `backend` is, once a call needed to know ([`Store::flavour`]).
    pub(super) flavour: std::cell::Cell<Option<Flavour>>,
}

#[cfg(target_arch = "wasm32")]
impl Store<SpinBackend> {
    /// Opens the store labelled `default`, which every component is granted in `spin.toml`.
    pub fn open() -> Result<Self, StoreError> {
        Ok(Self::new(SpinBackend::open("default")?))
    }
}

impl<B: Backend> Store<B> {
    pub fn new(backend: B) -> Self {
        Self {
            backend,
            flavour: std::cell::Cell::new(None),
        }
    }

    /// A record of any kind by id.
    pub async fn get<R: DeserializeOwned>(
        &self,
        kind: RecordKind,
        id: &str,
    ) -> Result<Option<R>, StoreError> {
        self.record(kind, id).await
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
    pub(super) async fn get_decoded<R: DeserializeOwned>(
        &self,
        keys: Vec<String>,
    ) -> Result<Vec<Option<R>>, StoreError> {
        let values = self.read_many(keys.clone()).await?;
        keys.iter()
            .zip(values)
            .map(|(key, value)| value.map(|bytes| decode(key, &bytes)).transpose())
            .collect()
    }

    pub(super) async fn record<R: DeserializeOwned>(
        &self,
        kind: RecordKind,
        id: &str,
    ) -> Result<Option<R>, StoreError> {
        let key = Key::Record(kind, id).to_string();
        let value = self.backend.get(&key).await?;
        value.map(|bytes| decode(&key, &bytes)).transpose()
    }
}

pub(super) fn decode<R: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<R, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        key: key.to_owned(),
        source,
    })
}
