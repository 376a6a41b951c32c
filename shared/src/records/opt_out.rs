//! A do-not-contact entry (`rec:opt-out:{channel}:{pseudonym}`): holds no address, survives erasure.

use super::kind::{Channel, RecordKind};
use super::record::{PersonKey, Record};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// How a do-not-contact entry came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptOutSource {
    /// An unsubscribe link or RFC 8058 one-click from an email.
    UnsubscribeLink,
    /// The public do-not-call form.
    DoNotCallRequest,
    /// A data-subject request (objection, restriction, opt-out of sale/share), in effect when asked.
    PrivacyRequest,
    /// An erasure: the address is gone, its pseudonym stays so it is never mailed again.
    Erasure,
    /// The objection link of an Art. 14 notice (a contact from another source objected).
    NoticeObjection,
    /// The mail provider reported the address undeliverable (a hard bounce, or soft bounces past the
    /// limit): no more mail but the privacy centre's answers, until a confirmed signup proves it works.
    HardBounce,
    /// The person marked a mail as spam: unsubscribed and never mailed again without fresh consent.
    SpamComplaint,
    /// The person's browser sent Global Privacy Control (`Sec-GPC: 1`) with a post naming them, or with
    /// a banner decision whose consent id a post of theirs carried: an opt-out of sale and sharing.
    GpcSignal,
}

impl OptOutSource {
    pub const ALL: [OptOutSource; 8] = [
        Self::UnsubscribeLink,
        Self::DoNotCallRequest,
        Self::PrivacyRequest,
        Self::Erasure,
        Self::NoticeObjection,
        Self::HardBounce,
        Self::SpamComplaint,
        Self::GpcSignal,
    ];

    /// Its name, as stored and as the register's entry notes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnsubscribeLink => "unsubscribe_link",
            Self::DoNotCallRequest => "do_not_call_request",
            Self::PrivacyRequest => "privacy_request",
            Self::Erasure => "erasure",
            Self::NoticeObjection => "notice_objection",
            Self::HardBounce => "hard_bounce",
            Self::SpamComplaint => "spam_complaint",
            Self::GpcSignal => "gpc_signal",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A do-not-contact entry (`rec:opt-out:{channel}:{pseudonym}`). It holds no address, only the
/// pseudonym, so it survives the erasure of the person's other data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptOut {
    pub v: u32,
    pub id: String,
    pub channel: Channel,
    pub at: Timestamp,
    pub source: OptOutSource,
    /// A later confirmed signup (fresh consent) lifted the opt-out for email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifted_at: Option<Timestamp>,
}

impl OptOut {
    /// Whether the entry still forbids contact.
    pub fn in_force(&self) -> bool {
        self.lifted_at.is_none()
    }
}

impl Record for OptOut {
    const KIND: RecordKind = RecordKind::OptOut;

    fn people(&self) -> Vec<PersonKey> {
        self.id
            .split_once(':')
            .map(|(_, p)| PersonKey::Pseudonym(p.to_owned()))
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_is_named_as_serde_stores_it() {
        for source in OptOutSource::ALL {
            let stored = serde_json::to_value(source).unwrap();
            assert_eq!(stored.as_str(), Some(source.as_str()));
            assert_eq!(OptOutSource::parse(source.as_str()), Some(source));
        }
    }
}
