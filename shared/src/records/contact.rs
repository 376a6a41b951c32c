//! A contact from another source (`rec:contact:{pseudonym}`): what imports brought, every source it came
//! from (GDPR Art. 14(2)(f), Art. 15(1)(g)), the person's language, and the Art. 14 notices sent to it.

use super::kind::RecordKind;
use super::lead::ContactDetails;
use super::record::{Erasure, PersonKey, Record};
use super::retention::{DeleteRule, From, Only};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One source a contact came from, as the import named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRecord {
    pub name: String,
    /// `event`, `licensed`, `public`, `crm` or `partner`.
    pub kind: String,
    /// The day the company obtained the data (midnight UTC).
    pub obtained_at: Timestamp,
    /// Whether the source is publicly accessible (the notice says so, Art. 14(2)(f)).
    pub public: bool,
    /// `legitimate_interest` or `consent`.
    pub legal_basis: String,
    pub import_id: String,
    pub imported_at: Timestamp,
    /// The contact's id in the source system (a CRM's record id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// Which notice a mail was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The first notice (GDPR Art. 14(3)).
    Notice,
    /// A regular reminder that the person can object.
    Reminder,
}

/// Where a contact's notices stand, as marketing sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    /// Owed and not queued yet.
    Due,
    /// In the outbox.
    Queued,
    /// Delivered to the provider.
    Sent,
    /// The outbox gave up on it: the contact is never handed out for outreach.
    Undeliverable,
}

/// One notice mail sent to a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeMail {
    pub kind: NoticeKind,
    /// The outbox message that carries it.
    pub message: String,
    pub queued_at: Timestamp,
    pub status: NoticeStatus,
    /// When it was sent or given up on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<Timestamp>,
}

/// A contact from another source: one per mailbox, so its id is the email's pseudonym.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedContact {
    pub v: u32,
    pub id: String,
    pub email: String,
    /// Name, company, title, phone and country as last imported (no message).
    pub details: ContactDetails,
    /// The language its mails are written in.
    pub language: String,
    /// Every source it came from, oldest first.
    pub sources: Vec<SourceRecord>,
    pub imported_at: Timestamp,
    /// The notice is owed by then: a month after the earliest source obtained it (Art. 14(3)(a)).
    pub notice_due_by: Timestamp,
    /// Every notice and reminder queued for it, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<NoticeMail>,
}

impl ImportedContact {
    /// Where its notices stand: the latest one's status, or `due` before the first.
    pub fn notice_status(&self) -> NoticeStatus {
        self.notices.last().map_or(NoticeStatus::Due, |n| n.status)
    }

    /// When the latest notice was sent; `None` before one was.
    pub fn last_notified(&self) -> Option<Timestamp> {
        self.notices
            .iter()
            .rev()
            .find(|n| n.status == NoticeStatus::Sent)
            .and_then(|n| n.settled_at)
    }

    /// Whether marketing may see it: its notice is on its way or sent (never before, never when the
    /// mailbox does not take mail).
    pub fn listed(&self) -> bool {
        matches!(
            self.notice_status(),
            NoticeStatus::Queued | NoticeStatus::Sent
        )
    }

    /// Notes notice mail `message` as queued at `at`; false when it is already noted.
    pub fn queue(&mut self, kind: NoticeKind, message: &str, at: Timestamp) -> bool {
        if self.notices.iter().any(|n| n.message == message) {
            return false;
        }
        self.notices.push(NoticeMail {
            kind,
            message: message.to_owned(),
            queued_at: at,
            status: NoticeStatus::Queued,
            settled_at: None,
        });
        true
    }

    /// Notes how notice mail `message` ended (sent or undeliverable); false when it is not one of this
    /// contact's queued notices.
    pub fn settle(&mut self, message: &str, status: NoticeStatus, at: Timestamp) -> bool {
        match self
            .notices
            .iter_mut()
            .find(|n| n.message == message && n.status == NoticeStatus::Queued)
        {
            Some(notice) => {
                notice.status = status;
                notice.settled_at = Some(at);
                true
            }
            None => false,
        }
    }

    /// Notes that its latest notice bounced (the mail provider reported the address undeliverable
    /// after delivery); false when no notice is on its way or sent.
    pub fn bounced(&mut self, at: Timestamp) -> bool {
        let latest = self
            .notices
            .last_mut()
            .filter(|n| matches!(n.status, NoticeStatus::Queued | NoticeStatus::Sent));
        match latest {
            Some(notice) => {
                notice.status = NoticeStatus::Undeliverable;
                notice.settled_at = Some(at);
                true
            }
            None => false,
        }
    }
}

impl Record for ImportedContact {
    const KIND: RecordKind = RecordKind::Contact;
    const ERASURE: Erasure = Erasure::Erased;

    fn people(&self) -> Vec<PersonKey> {
        let phone = self.details.phone.clone().map(PersonKey::Phone);
        std::iter::once(PersonKey::Pseudonym(self.id.clone()))
            .chain(phone)
            .collect()
    }

    fn due_since(&self, rule: &DeleteRule) -> Option<Timestamp> {
        if rule.only != Only::All {
            return None;
        }
        match rule.from {
            From::Captured => Some(self.imported_at),
            // Never notified (undeliverable, or not yet): counted from the import.
            From::Notified => Some(self.last_notified().unwrap_or(self.imported_at)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact() -> ImportedContact {
        let at = Timestamp::from_unix_millis(1_000);
        ImportedContact {
            v: 1,
            id: "p".into(),
            email: "ada@example.com".into(),
            details: ContactDetails::default(),
            language: "de".into(),
            sources: Vec::new(),
            imported_at: at,
            notice_due_by: at.plus_months(1),
            notices: Vec::new(),
        }
    }

    #[test]
    fn a_contact_is_listed_once_its_notice_is_queued_and_until_it_proves_undeliverable() {
        let mut c = contact();
        let at = Timestamp::from_unix_millis(2_000);
        assert_eq!(c.notice_status(), NoticeStatus::Due);
        assert!(!c.listed());
        assert!(c.queue(NoticeKind::Notice, "m1", at));
        assert!(!c.queue(NoticeKind::Notice, "m1", at), "noted once");
        assert!(c.listed());
        assert!(c.settle("m1", NoticeStatus::Sent, at));
        assert!(
            !c.settle("m1", NoticeStatus::Undeliverable, at),
            "settled once"
        );
        assert_eq!(c.last_notified(), Some(at));
        assert!(c.queue(NoticeKind::Reminder, "m2", at));
        assert!(c.settle("m2", NoticeStatus::Undeliverable, at));
        assert!(!c.listed());
    }
}
