//! One message in the outbox (`rec:outbox:{id}`) and where its delivery stands.

use super::kind::RecordKind;
use super::record::{Erasure, PersonKey, Record};
use super::retention::{DeleteRule, From, Only};

use super::message::Message;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Not tried yet.
    Queued,
    /// The provider accepted it (final).
    Sent,
    /// The last attempt failed; it is retried at `next_attempt_at`.
    Failed,
    /// Given up on after `mailer::GIVE_UP_AFTER` failed attempts (final).
    Undeliverable,
}

/// One message in the outbox (`rec:outbox:{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub v: u32,
    pub id: String,
    pub message: Message,
    pub status: OutboxStatus,
    /// Delivery attempts made so far.
    pub attempts: u32,
    /// The last failure: HTTP status and the provider's short message, or the transport error. Never a
    /// secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the next attempt may be made (for a queued message: when it was queued).
    pub next_attempt_at: Timestamp,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
    /// The provider's id for the sent message (Postmark's `MessageID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
    /// Erased once delivered, or once `mailer::GIVE_UP_AFTER` attempts failed: the mail that confirms an
    /// erasure is the last value holding the address, and only until it is out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub erase_after_send: bool,
    /// The contact from another source whose notice (GDPR Art. 14) this is: its delivery, or the
    /// outbox giving up, is noted on the contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_for: Option<String>,
}

impl OutboxMessage {
    /// Whether it still waits for delivery (queued, or failed and to be retried).
    pub fn is_pending(&self) -> bool {
        matches!(self.status, OutboxStatus::Queued | OutboxStatus::Failed)
    }
}

impl Record for OutboxMessage {
    const KIND: RecordKind = RecordKind::Outbox;
    const ERASURE: Erasure = Erasure::Erased;

    fn people(&self) -> Vec<PersonKey> {
        vec![PersonKey::Email(self.message.to.clone())]
    }

    fn due_since(&self, rule: &DeleteRule) -> Option<Timestamp> {
        let named = rule.only == Only::All
            || (rule.only == Only::Sent && self.status == OutboxStatus::Sent);
        match rule.from {
            From::Captured if named => Some(self.created_at),
            From::Sent if named => self.sent_at,
            _ => None,
        }
    }
}
