//! The outbox's storage: its messages, its low-water mark and its claims (design in [`super::keys`],
//! "The outbox").

use super::backend::Backend;
use super::core::{Store, StoreError};
use super::keys::Key;
use crate::records::{OutboxMessage, RecordKind};

impl<B: Backend> Store<B> {
    /// One outbox message by id.
    pub async fn outbox_message(&self, id: &str) -> Result<Option<OutboxMessage>, StoreError> {
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
