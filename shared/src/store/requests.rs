//! Data-subject requests: their records, their list (the staff view, read without `get-keys`) and the
//! per-mailbox limit on asking.

use super::{Backend, Event, Key, RecordKind, Store, StoreError, decode};
use crate::privacy::DataRequest;

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
