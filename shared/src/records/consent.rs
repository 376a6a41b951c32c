//! One cookie-consent decision (`hist:consent:{id}:{n}`) and how it was given.

use super::kind::RecordKind;
use super::record::Record;
use crate::domain::Invalid;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a cookie-consent decision was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    AcceptAll,
    RejectAll,
    Custom,
    Preferences,
    Withdraw,
}

impl ConsentMethod {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "accept_all" => Ok(Self::AcceptAll),
            "reject_all" => Ok(Self::RejectAll),
            "custom" => Ok(Self::Custom),
            "preferences" => Ok(Self::Preferences),
            "withdraw" => Ok(Self::Withdraw),
            _ => Err(Invalid::new(
                "invalid_method",
                "must be accept_all, reject_all, custom, preferences or withdraw",
            )),
        }
    }
}

/// One cookie-consent decision (`hist:consent:{id}:{n}`): what was shown, what was chosen, when and how.
/// It holds the truncated IP and country only, never a full IP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentDecision {
    pub v: u32,
    pub consent_id: String,
    /// The decision's place in this id's history, from 1.
    pub n: u64,
    pub at: Timestamp,
    pub expires_at: Timestamp,
    pub banner_version: String,
    pub text_hash: String,
    pub locale: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    pub method: ConsentMethod,
    /// The effective choice per category, after `Sec-GPC` and required categories are applied.
    pub decisions: BTreeMap<String, bool>,
    /// `Sec-GPC: 1` was sent.
    pub gpc: bool,
    /// Categories that `Sec-GPC` forced to refused although the visitor granted them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpc_refused: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    pub ip_truncated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The TCF v2 TC string of the site's own CMP, as sent with the decision (proof, not decoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tc_string: Option<String>,
    /// The GPP string of the site's own CMP, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpp_string: Option<String>,
    /// The GPP section ids in force with it (`-1`: none applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpp_sid: Option<Vec<i16>>,
}

/// Kept as a history per consent id (`hist:consent:*`), pseudonymous: it names nobody and is never erased
/// (the proof of consent, GDPR Art. 7(1)).
impl Record for ConsentDecision {
    const KIND: RecordKind = RecordKind::Consent;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consent_method_parses_from_its_json_spelling_and_nothing_else() {
        for raw in [
            "accept_all",
            "reject_all",
            "custom",
            "preferences",
            "withdraw",
        ] {
            let method = ConsentMethod::parse(raw).unwrap();
            assert_eq!(serde_json::to_value(method).unwrap(), raw);
        }
        assert_eq!(
            ConsentMethod::parse("maybe").unwrap_err().code,
            "invalid_method"
        );
    }
}
