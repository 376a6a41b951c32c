//! Webhooks' storage: endpoints and their list, the events log with the job's marks, each endpoint's
//! delivery log (a ring of slots), and the soft-bounce counters of mail events (design in [`super::keys`]).

use super::backend::Backend;
use super::core::{Store, StoreError, decode};
use super::keys::Key;
use crate::records::{
    Action, Event, Log, LogEntry, RecordKind, WebhookDelivery, WebhookEndpoint, WebhookEvent,
    WebhookProgress,
};
use crate::time::Timestamp;

/// Deliveries an endpoint's delivery log keeps: the latest, each in slot `n % DELIVERY_LOG`.
pub const DELIVERY_LOG: u64 = 1000;

impl<B: Backend> Store<B> {
    /// Stores a new endpoint with its place in the list, its progress (starting at `progress`) and its
    /// register entry, in one `set-many`.
    pub async fn create_webhook(
        &self,
        endpoint: &WebhookEndpoint,
        progress: &WebhookProgress,
        event: Event,
    ) -> Result<u64, StoreError> {
        let state = (
            Key::WebhookState(&endpoint.id).to_string(),
            serde_json::to_vec(progress).map_err(StoreError::Encode)?,
        );
        self.append_listed(
            RecordKind::Webhook,
            &endpoint.id,
            endpoint,
            (Key::WebhookListHead, Key::WebhookListEntry),
            event,
            vec![state],
        )
        .await
    }

    /// How far endpoint `id`'s deliveries have got (`None` once it is deleted).
    pub async fn webhook_progress(&self, id: &str) -> Result<Option<WebhookProgress>, StoreError> {
        let key = Key::WebhookState(id).to_string();
        self.backend
            .get(&key)
            .await?
            .map(|bytes| decode(&key, &bytes))
            .transpose()
    }

    /// Changes endpoint `id`'s progress without losing a concurrent change (a replay asked while the
    /// job delivers): read, `change` (answering whether it changed anything), swap, else start over.
    /// Answers the progress as it now is, `None` if the endpoint is gone.
    pub async fn change_webhook_progress(
        &self,
        id: &str,
        mut change: impl FnMut(&mut WebhookProgress) -> bool,
    ) -> Result<Option<WebhookProgress>, StoreError> {
        let key = Key::WebhookState(id).to_string();
        loop {
            let Some(current) = self.backend.get(&key).await? else {
                return Ok(None);
            };
            let mut progress: WebhookProgress = decode(&key, &current)?;
            if !change(&mut progress) {
                return Ok(Some(progress));
            }
            let new = serde_json::to_vec(&progress).map_err(StoreError::Encode)?;
            if self.swap(&key, &current, new).await? {
                return Ok(Some(progress));
            }
        }
    }

    /// Deletes endpoint `id`: its record (a register entry says so), its progress and its delivery log.
    pub async fn delete_webhook(
        &self,
        id: &str,
        deliveries: u64,
        event: Event,
    ) -> Result<(), StoreError> {
        self.erase(RecordKind::Webhook, id, event).await?;
        self.backend
            .delete_many(vec![Key::WebhookState(id).to_string()])
            .await?;
        self.drop_webhook_deliveries(id, deliveries).await
    }

    /// Every endpoint not deleted, oldest first: one counter read and two batch reads.
    pub async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let ids = self
            .listed(Key::WebhookListHead, Key::WebhookListEntry)
            .await?;
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let found: Vec<Option<WebhookEndpoint>> = self.records(RecordKind::Webhook, &refs).await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// How far the webhooks job has turned `log`'s entries into events.
    pub async fn webhook_mark(&self, log: Log) -> Result<u64, StoreError> {
        self.mark(&Key::WebhookMark(log).to_string()).await
    }

    /// Writes `events` (each with its entry in the `webhook-events` log, in order) and moves the marks of
    /// the logs they came from, in one `set-many` after one `increment`: a run that dies before it
    /// leaves the marks where they were, and the next run writes the same events again (same ids).
    pub async fn add_webhook_events(
        &self,
        events: &[WebhookEvent],
        marks: &[(Log, u64)],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut writes = Vec::with_capacity(events.len() * 2 + marks.len());
        if !events.is_empty() {
            let first = self.take_seqs(Log::Events, events.len() as u64).await?;
            for (event, seq) in events.iter().zip(first..) {
                let entry = LogEntry {
                    written_at: Some(now),
                    ..Event::system(
                        Log::Events,
                        Action::Captured,
                        event.event_type.clone(),
                        event.at,
                    )
                    .entry(seq, Some(&event.id), None)
                };
                let event = WebhookEvent {
                    seq,
                    ..event.clone()
                };
                writes.push((
                    Key::Record(RecordKind::WebhookEvent, &event.id).to_string(),
                    serde_json::to_vec(&event).map_err(StoreError::Encode)?,
                ));
                writes.push((
                    Key::LogEntry(Log::Events, seq).to_string(),
                    serde_json::to_vec(&entry).map_err(StoreError::Encode)?,
                ));
            }
        }
        for (log, pos) in marks {
            writes.push((
                Key::WebhookMark(*log).to_string(),
                serde_json::to_vec(pos).map_err(StoreError::Encode)?,
            ));
        }
        Ok(self.backend.set_many(writes).await?)
    }

    /// Delivery `n` of endpoint `endpoint`, if its slot still holds it.
    pub async fn webhook_delivery(
        &self,
        endpoint: &str,
        n: u64,
    ) -> Result<Option<WebhookDelivery>, StoreError> {
        Ok(self
            .webhook_deliveries(endpoint, &[n])
            .await?
            .pop()
            .flatten())
    }

    /// Deliveries `ns` of endpoint `endpoint` in one batch read, in order (`None`: overwritten or never
    /// made).
    pub async fn webhook_deliveries(
        &self,
        endpoint: &str,
        ns: &[u64],
    ) -> Result<Vec<Option<WebhookDelivery>>, StoreError> {
        let keys: Vec<String> = ns.iter().map(|n| delivery_key(endpoint, *n)).collect();
        let found: Vec<Option<WebhookDelivery>> = self.get_decoded(keys).await?;
        Ok(found
            .into_iter()
            .zip(ns)
            .map(|(d, n)| d.filter(|d| d.n == *n && d.endpoint == endpoint))
            .collect())
    }

    /// Writes `delivery` into its slot (the endpoint's delivery log keeps the latest [`DELIVERY_LOG`]).
    pub async fn put_webhook_delivery(&self, delivery: &WebhookDelivery) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(delivery).map_err(StoreError::Encode)?;
        Ok(self
            .backend
            .set_many(vec![(delivery_key(&delivery.endpoint, delivery.n), bytes)])
            .await?)
    }

    /// Deletes endpoint `endpoint`'s delivery log (its `made` deliveries' slots).
    async fn drop_webhook_deliveries(&self, endpoint: &str, made: u64) -> Result<(), StoreError> {
        let keys: Vec<String> = (1..=made.min(DELIVERY_LOG))
            .map(|slot| delivery_key(endpoint, slot))
            .collect();
        for chunk in keys.chunks(256) {
            self.backend.delete_many(chunk.to_vec()).await?;
        }
        Ok(())
    }

    /// Counts one more soft bounce of mailbox `pseudonym`; answers how many there were.
    pub async fn count_soft_bounce(&self, pseudonym: &str) -> Result<u64, StoreError> {
        let n = self
            .backend
            .increment(&Key::SoftBounces(pseudonym).to_string(), 1)
            .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Starts mailbox `pseudonym`'s soft-bounce count again (it became undeliverable: once a confirmed
    /// signup lifts that, the limit counts anew).
    pub async fn reset_soft_bounces(&self, pseudonym: &str) -> Result<(), StoreError> {
        self.backend
            .delete_many(vec![Key::SoftBounces(pseudonym).to_string()])
            .await?;
        Ok(())
    }

    /// The event records `ids` in one batch read.
    pub async fn webhook_events(
        &self,
        ids: &[&str],
    ) -> Result<Vec<Option<WebhookEvent>>, StoreError> {
        self.records(RecordKind::WebhookEvent, ids).await
    }
}

fn delivery_key(endpoint: &str, n: u64) -> String {
    Key::WebhookDelivery {
        endpoint,
        slot: (n.max(1) - 1) % DELIVERY_LOG + 1,
    }
    .to_string()
}
