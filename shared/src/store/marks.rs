//! How far a job has walked a log: one number per walk (the person index per log, each retention rule,
//! the notices job's two walks).

use super::backend::Backend;
use super::core::{Store, StoreError, decode};
use super::keys::Key;

impl<B: Backend> Store<B> {
    /// The number stored at `key` (0 when absent): a walk's mark.
    pub(super) async fn mark(&self, key: &str) -> Result<u64, StoreError> {
        match self.backend.get(key).await? {
            Some(bytes) => decode(key, &bytes),
            None => Ok(0),
        }
    }

    /// How far retention rule `name` has walked its log.
    pub async fn retention_mark(&self, name: &str) -> Result<u64, StoreError> {
        self.mark(&Key::RetentionMark(name).to_string()).await
    }

    /// Moves retention rule `name`'s mark to `pos`.
    pub async fn set_retention_mark(&self, name: &str, pos: u64) -> Result<(), StoreError> {
        self.set_mark(Key::RetentionMark(name), pos).await
    }

    /// How far the notices job's walk `name` has read the `contacts` log.
    pub async fn notice_mark(&self, name: &str) -> Result<u64, StoreError> {
        self.mark(&Key::NoticeMark(name).to_string()).await
    }

    /// Moves the notices job's walk `name` to `pos`.
    pub async fn set_notice_mark(&self, name: &str, pos: u64) -> Result<(), StoreError> {
        self.set_mark(Key::NoticeMark(name), pos).await
    }

    async fn set_mark(&self, key: Key<'_>, pos: u64) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(&pos).map_err(StoreError::Encode)?;
        Ok(self
            .backend
            .set_many(vec![(key.to_string(), bytes)])
            .await?)
    }
}
