//! Marketing API keys: their records, the key list (read without `get-keys`) and when each was last used
//! (design in [`super::keys`]: `idx:api-key:*`, `used:api-key:*`).

use super::backend::Backend;
use super::core::{Store, StoreError, decode};
use super::keys::Key;
use crate::records::{ApiKey, Event, RecordKind};
use crate::time::Timestamp;

impl<B: Backend> Store<B> {
    /// Stores a new API key with its place in the key list and its `event` (key management is
    /// registered) in one `set-many`, after one `increment` for the list and one for the log.
    pub async fn create_api_key(&self, key: &ApiKey, event: Event) -> Result<u64, StoreError> {
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
    pub async fn api_keys(&self) -> Result<Vec<(ApiKey, Option<Timestamp>)>, StoreError> {
        let ids = self
            .listed(Key::ApiKeyListHead, Key::ApiKeyListEntry)
            .await?;
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let records: Vec<Option<ApiKey>> = self.records(RecordKind::ApiKey, &refs).await?;
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

    /// API key `id` and when the desk's sessions of it were last ended by a sign-out, in one read.
    pub async fn desk_key(
        &self,
        id: &str,
    ) -> Result<(Option<ApiKey>, Option<Timestamp>), StoreError> {
        let keys = vec![
            Key::Record(RecordKind::ApiKey, id).to_string(),
            Key::DeskSignedOut(id).to_string(),
        ];
        let mut values = self.read_many(keys.clone()).await?.into_iter();
        let key = values
            .next()
            .flatten()
            .map(|b| decode(&keys[0], &b))
            .transpose()?;
        let signed_out = values
            .next()
            .flatten()
            .map(|b| decode(&keys[1], &b))
            .transpose()?;
        Ok((key, signed_out))
    }

    /// Ends every desk session of API key `id` begun before `at`, with `event` in the register. The mark
    /// only moves forward: a sign-out from an instance whose clock lags never revives sessions that an
    /// earlier one ended.
    pub async fn end_desk_sessions(
        &self,
        id: &str,
        at: Timestamp,
        event: Event,
    ) -> Result<(), StoreError> {
        let (_, before) = self.desk_key(id).await?;
        let at = before.map_or(at, |before| before.max(at));
        let value = serde_json::to_vec(&at).map_err(StoreError::Encode)?;
        self.backend
            .set_many(vec![(Key::DeskSignedOut(id).to_string(), value)])
            .await?;
        self.note_many(event).await?;
        Ok(())
    }
}
