//! A newsletter subscriber (`rec:subscriber:{pseudonym}`) and the proofs of its double opt-in.

use super::kind::RecordKind;
use super::lead::{ConsentSnapshot, NetworkOrigin, SpamReason, VisitContext};
use super::record::{Erasure, PersonKey, Record};
use super::retention::{DeleteRule, From, Only};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// When and from where one step of a double opt-in happened: the proof that it was this visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proof {
    pub at: Timestamp,
    pub origin: NetworkOrigin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// Where a newsletter subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberStatus {
    /// Signed up, confirmation link sent, not confirmed yet.
    Pending,
    Confirmed,
    /// Unsubscribed from every list (also recorded in the do-not-contact registry).
    Unsubscribed,
}

/// A newsletter subscriber (`rec:subscriber:{pseudonym}`): one per mailbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscriber {
    pub v: u32,
    /// The pseudonym of the normalised email address.
    pub id: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub lists: Vec<String>,
    pub status: SubscriberStatus,
    pub consent: ConsentSnapshot,
    pub visit: VisitContext,
    /// The latest signup: a new signup after an unsubscribe replaces it (fresh consent).
    pub signed_up: Proof,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<Proof>,
    /// When the last confirmation mail was queued (re-sends are throttled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_sent_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsubscribed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spam: Option<SpamReason>,
}

impl Subscriber {
    /// Leaves list `list`, or every list (`None`, or the last one): then unsubscribed at `now`.
    /// Answers whether anything changed (unsubscribing twice, or from a list not held, does not).
    pub fn unsubscribe(&mut self, list: Option<&str>, now: Timestamp) -> bool {
        if self.status == SubscriberStatus::Unsubscribed {
            return false;
        }
        match list {
            Some(list) if !self.lists.iter().any(|l| l == list) => false,
            Some(list) if self.lists.len() > 1 => {
                self.lists.retain(|l| l != list);
                true
            }
            _ => {
                self.status = SubscriberStatus::Unsubscribed;
                self.unsubscribed_at = Some(now);
                true
            }
        }
    }
}

impl Record for Subscriber {
    const KIND: RecordKind = RecordKind::Subscriber;
    const ERASURE: Erasure = Erasure::Erased;

    fn people(&self) -> Vec<PersonKey> {
        vec![PersonKey::Pseudonym(self.id.clone())]
    }

    fn due_since(&self, rule: &DeleteRule) -> Option<Timestamp> {
        let named = match rule.only {
            Only::All => true,
            Only::Spam => self.spam.is_some(),
            Only::Unconfirmed => self.status == SubscriberStatus::Pending,
            Only::Unsubscribed => self.status == SubscriberStatus::Unsubscribed,
            Only::Sent | Only::Expired => false,
        };
        match rule.from {
            From::Captured if named => Some(self.signed_up.at),
            From::Unsubscribed if named => self.unsubscribed_at,
            _ => None,
        }
    }

    fn drop_full_ips(&mut self, cutoff: Timestamp) -> bool {
        let mut changed = false;
        if self.signed_up.at < cutoff {
            changed |= self.signed_up.origin.ip.take().is_some();
        }
        if let Some(confirmed) = self.confirmed.as_mut().filter(|c| c.at < cutoff) {
            changed |= confirmed.origin.ip.take().is_some();
        }
        changed
    }
}
