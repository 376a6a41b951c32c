//! Contacts from other sources: noting how a notice mail ended on its contact.

use super::backend::Backend;
use super::core::{Store, StoreError};
use crate::records::{Action, Event, ImportedContact, Log, NoticeStatus, RecordKind};
use crate::time::Timestamp;

impl<B: Backend> Store<B> {
    /// Notes on contact `contact` that its notice mail `message` was sent (or, `sent` false, given up
    /// on: the contact is then undeliverable). A contact erased meanwhile is left alone.
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
        let event = Event::system(Log::Contacts, Action::Updated, detail.into(), now);
        self.update(
            RecordKind::Contact,
            contact,
            event,
            |c: &mut ImportedContact| c.settle(message, status, now),
        )
        .await?;
        Ok(())
    }
}
