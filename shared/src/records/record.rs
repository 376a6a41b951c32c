//! What a stored record says about itself: its kind (hence its key and its log), what it holds of a
//! person (for the person index), how retention judges it, how an erasure treats it. The store and the
//! jobs ask these questions of any record without knowing its type ([`Described`]).

use super::kind::RecordKind;
use super::lead::ContactDetails;
use super::retention::{DeleteRule, From, Only};
use crate::domain::EmailAddress;
use crate::time::Timestamp;
use serde::{Serialize, de::DeserializeOwned};

/// How an erasure request treats records of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erasure {
    /// Deleted; a tombstone stays in its feed (and legal holds apply).
    Erased,
    /// Kept, with what identifies the person dropped (another request of the same person).
    Forgotten,
    /// Kept as it is: it holds no address (opt-outs, consent proofs, API keys).
    Kept,
}

/// One way a record names a person, before the app's keyed hash makes a pseudonym of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonKey {
    /// An email address as stored (normalised before hashing, as capture normalises it).
    Email(String),
    /// A phone number in E.164, the form the do-not-contact registry hashes.
    Phone(String),
    /// A pseudonym already (the record is keyed by it).
    Pseudonym(String),
}

impl PersonKey {
    /// The people named by contact details: their email and phone.
    pub fn contact(contact: &ContactDetails) -> Vec<PersonKey> {
        let email = contact.email.clone().map(PersonKey::Email);
        let phone = contact.phone.clone().map(PersonKey::Phone);
        email.into_iter().chain(phone).collect()
    }

    /// The pseudonym of this key under the app's `pseudonymise` (its keyed hash); `None` for an address
    /// that no longer parses.
    pub fn pseudonym(&self, pseudonymise: &dyn Fn(&str) -> String) -> Option<String> {
        match self {
            Self::Email(raw) => EmailAddress::parse(raw)
                .ok()
                .map(|e| pseudonymise(&e.normalized())),
            Self::Phone(e164) => Some(pseudonymise(e164)),
            Self::Pseudonym(p) => Some(p.clone()),
        }
    }
}

/// A stored record kind. Adding a kind is a file with its record and this impl, and a line in the list
/// of kinds (`records/list.rs`).
pub trait Record: Serialize + DeserializeOwned + 'static {
    const KIND: RecordKind;
    const ERASURE: Erasure = Erasure::Kept;

    /// What it holds that names a person.
    fn people(&self) -> Vec<PersonKey> {
        Vec::new()
    }

    /// When it reached the event `rule` counts from, if the rule names it at all.
    fn due_since(&self, _rule: &DeleteRule) -> Option<Timestamp> {
        None
    }

    /// Drops the full IP addresses it captured before `cutoff` (their truncated networks stay); answers
    /// whether anything changed.
    fn drop_full_ips(&mut self, _cutoff: Timestamp) -> bool {
        false
    }

    /// Drops what identifies the person but keeps the record ([`Erasure::Forgotten`]); answers whether
    /// anything changed.
    fn forget(&mut self) -> bool {
        false
    }
}

/// A record of any kind, as the store and the jobs see it: the questions of [`Record`], and its bytes.
pub trait Described {
    fn people(&self) -> Vec<PersonKey>;
    fn due_since(&self, rule: &DeleteRule) -> Option<Timestamp>;
    fn drop_full_ips(&mut self, cutoff: Timestamp) -> bool;
    fn forget(&mut self) -> bool;
    fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error>;
}

impl<R: Record> Described for R {
    fn people(&self) -> Vec<PersonKey> {
        Record::people(self)
    }

    fn due_since(&self, rule: &DeleteRule) -> Option<Timestamp> {
        Record::due_since(self, rule)
    }

    fn drop_full_ips(&mut self, cutoff: Timestamp) -> bool {
        Record::drop_full_ips(self, cutoff)
    }

    fn forget(&mut self) -> bool {
        Record::forget(self)
    }

    fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }
}

/// The [`Lead`](super::lead::Lead) and [`Record`] impls of a captured lead (a submission, a demo
/// request): the same fields (`contact`, `spam`, `do_not_contact`, `received_at`, `origin`) answer the
/// same questions.
macro_rules! lead_record {
    ($record:ty, $kind:expr) => {
        impl $crate::records::lead::Lead for $record {
            fn notes(
                &mut self,
            ) -> (
                &mut Option<$crate::records::lead::SpamReason>,
                &mut Vec<$crate::records::kind::Channel>,
            ) {
                (&mut self.spam, &mut self.do_not_contact)
            }
        }

        impl $crate::records::record::Record for $record {
            const KIND: $crate::records::kind::RecordKind = $kind;
            const ERASURE: $crate::records::record::Erasure =
                $crate::records::record::Erasure::Erased;

            fn people(&self) -> Vec<$crate::records::record::PersonKey> {
                $crate::records::record::PersonKey::contact(&self.contact)
            }

            fn due_since(
                &self,
                rule: &$crate::records::retention::DeleteRule,
            ) -> Option<$crate::time::Timestamp> {
                $crate::records::record::captured(rule, self.spam.is_some(), self.received_at)
            }

            fn drop_full_ips(&mut self, cutoff: $crate::time::Timestamp) -> bool {
                self.received_at < cutoff && self.origin.ip.take().is_some()
            }
        }
    };
}
pub(super) use lead_record;

/// For records that only have a capture (submissions, demo requests): when they were captured, if the
/// rule is about capture and names them (all of them, or the spam).
pub fn captured(rule: &DeleteRule, spam: bool, received_at: Timestamp) -> Option<Timestamp> {
    let named = rule.only == Only::All || (rule.only == Only::Spam && spam);
    (named && rule.from == From::Captured).then_some(received_at)
}
