//! Contacts from other sources: noting how a notice mail ended on its contact, and the list of contacts
//! whose notice proved undeliverable.

use super::backend::Backend;
use super::core::{Store, StoreError};
use super::keys::Key;
use super::log::Updated;
use crate::records::{Action, Event, ImportedContact, Log, NoticeStatus, RecordKind};
use crate::time::Timestamp;

impl<B: Backend> Store<B> {
    /// Notes on contact `contact` that its notice mail `message` was sent (or, `sent` false, given up
    /// on: the contact is then undeliverable, and listed as such). A contact erased meanwhile is left
    /// alone.
    pub async fn settle_notice(
        &self,
        contact: &str,
        message: &str,
        sent: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (status, detail) = if sent {
            (NoticeStatus::Sent, "notice sent")
        } else {
            (NoticeStatus::Undeliverable, "notice undeliverable")
        };
        self.note_notice(contact, detail, now, |c| c.settle(message, status, now))
            .await
    }

    /// Notes on contact `contact` that its latest notice bounced: it is undeliverable, and listed as such.
    pub async fn notice_bounced(&self, contact: &str, now: Timestamp) -> Result<(), StoreError> {
        self.note_notice(contact, "notice bounced", now, |c| c.bounced(now))
            .await
    }

    async fn note_notice(
        &self,
        contact: &str,
        detail: &str,
        now: Timestamp,
        change: impl Fn(&mut ImportedContact) -> bool,
    ) -> Result<(), StoreError> {
        let event = Event::system(Log::Contacts, Action::Updated, detail.into(), now);
        let updated = self
            .update(
                RecordKind::Contact,
                contact,
                event,
                |c: &mut ImportedContact| change(c),
            )
            .await?;
        let undeliverable = match &updated {
            Updated::Changed(c) => c.notice_status() == NoticeStatus::Undeliverable,
            _ => false,
        };
        if undeliverable {
            let n = self
                .backend
                .increment(&Key::UndeliverableHead.to_string(), 1)
                .await?;
            let n = u64::try_from(n).unwrap_or_default();
            let id = serde_json::to_vec(contact).map_err(StoreError::Encode)?;
            self.backend
                .set_many(vec![(Key::UndeliverableEntry(n).to_string(), id)])
                .await?;
        }
        Ok(())
    }

    /// The contacts whose notice proved undeliverable, each once, oldest first (some may have been
    /// erased since: callers read their current state).
    pub async fn undeliverable_contacts(&self) -> Result<Vec<String>, StoreError> {
        let mut ids = self
            .listed(Key::UndeliverableHead, Key::UndeliverableEntry)
            .await?;
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        Ok(ids)
    }
}
