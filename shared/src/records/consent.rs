//! One cookie-consent decision (`hist:consent:{id}:{n}`) and how it was given.

use super::kind::RecordKind;
use super::record::Record;
use crate::domain::{ConsentModeType, Grant, Invalid, Regime};
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
    /// "Do not sell or share my personal information" on the opt-out notice: the sale/share categories
    /// refused, the others kept.
    DoNotSellOrShare,
    /// After Global Privacy Control conflicted with an earlier opt-in of this browser, the visitor
    /// chose to keep that earlier choice (CCPA regulations §7025(c)(3)).
    KeepEarlierChoice,
    /// Recorded by the banner, not chosen: the signal arrived in a browser whose stored choice granted
    /// a sale/share category, so the stored choice was sent again and the signal refused those.
    GpcSignal,
}

impl ConsentMethod {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "accept_all" => Ok(Self::AcceptAll),
            "reject_all" => Ok(Self::RejectAll),
            "custom" => Ok(Self::Custom),
            "preferences" => Ok(Self::Preferences),
            "withdraw" => Ok(Self::Withdraw),
            "do_not_sell_or_share" => Ok(Self::DoNotSellOrShare),
            "keep_earlier_choice" => Ok(Self::KeepEarlierChoice),
            "gpc_signal" => Ok(Self::GpcSignal),
            _ => Err(Invalid::new(
                "invalid_method",
                "must be accept_all, reject_all, custom, preferences, withdraw, do_not_sell_or_share, keep_earlier_choice or gpc_signal",
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
    /// Sale/share categories the visitor kept granted despite `Sec-GPC`, having granted them before
    /// (method `keep_earlier_choice`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpc_kept: Vec<String>,
    /// Which banner the visitor saw: the opt-in banner or the opt-out notice (absent: an earlier
    /// banner version, or a decision recorded before regimes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regime: Option<Regime>,
    /// What Google Consent Mode was told for this decision, per type.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub consent_mode: BTreeMap<ConsentModeType, Grant>,
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

impl ConsentDecision {
    /// The decision came with Global Privacy Control and it was honoured: sale and sharing refused
    /// (§7025(c)(6)). Not when the visitor chose to keep an earlier opt-in.
    pub fn gpc_honored(&self) -> bool {
        self.gpc && self.gpc_kept.is_empty()
    }
}

/// A person a browser's consent id was sent with (`hist:consent-link:{id}:{n}`): a form, signup or
/// privacy request carried the banner's id, so the browser's Global Privacy Control reaches that person.
/// It holds the email's pseudonym only, like the do-not-contact registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentLink {
    pub v: u32,
    pub pseudonym: String,
    pub at: Timestamp,
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
            "do_not_sell_or_share",
            "keep_earlier_choice",
            "gpc_signal",
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
