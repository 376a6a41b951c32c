//! Data-subject requests: their records, their list (the staff view, read without `get-keys`) and the
//! per-mailbox limit on asking.

use super::backend::Backend;
use super::core::{Store, StoreError, decode};
use super::keys::Key;
use crate::records::{DataRequest, Event, RecordKind};

impl<B: Backend> Store<B> {
    /// Stores a new request with its place in the request list, its mailbox's pointer to it and its
    /// `received` entry in the `requests` log: one `increment` for the list, one for the log, one
    /// `set-many`.
    pub async fn create_request(
        &self,
        request: &DataRequest,
        event: Event,
    ) -> Result<u64, StoreError> {
        let pointer = serde_json::to_vec(&request.id).map_err(StoreError::Encode)?;
        self.append_listed(
            RecordKind::DataRequest,
            &request.id,
            request,
            (Key::RequestListHead, Key::RequestListEntry),
            event,
            vec![(
                Key::RequestMailbox(&request.email_pseudonym).to_string(),
                pointer,
            )],
        )
        .await
    }

    /// The latest request asked for the mailbox `pseudonym`, if any: two reads.
    pub async fn latest_request(&self, pseudonym: &str) -> Result<Option<DataRequest>, StoreError> {
        let key = Key::RequestMailbox(pseudonym).to_string();
        let Some(bytes) = self.backend.get(&key).await? else {
            return Ok(None);
        };
        let id: String = decode(&key, &bytes)?;
        self.get(RecordKind::DataRequest, &id).await
    }

    /// Every request ever asked, oldest first: one counter read and two batch reads, O(requests).
    pub async fn requests(&self) -> Result<Vec<DataRequest>, StoreError> {
        let ids = self
            .listed(Key::RequestListHead, Key::RequestListEntry)
            .await?;
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let records: Vec<Option<DataRequest>> =
            self.records(RecordKind::DataRequest, &refs).await?;
        Ok(records.into_iter().flatten().collect())
    }

    /// Counts one request asked for mailbox `pseudonym` on Unix day `day`; answers the count so far.
    pub async fn count_request_ask(&self, day: u64, pseudonym: &str) -> Result<u64, StoreError> {
        let key = Key::RequestAsks { day, pseudonym }.to_string();
        let count = self.backend.increment(&key, 1).await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}
