//! The rights a person may exercise with a data-subject request (GDPR Art. 15–21, CCPA §1798.100–125).

use super::invalid::Invalid;
use serde::{Deserialize, Serialize};

/// One right asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// A copy of everything held (GDPR Art. 15 and 20, CCPA "right to know").
    Access,
    /// Correct what is wrong (GDPR Art. 16, CCPA "right to correct").
    Rectification,
    /// Delete everything held (GDPR Art. 17, CCPA "right to delete").
    Erasure,
    /// No more direct marketing (GDPR Art. 21).
    Objection,
    /// Keep the data but stop using it for marketing (GDPR Art. 18).
    Restriction,
    /// Do not sell or share (CCPA §1798.120).
    OptOutSaleShare,
}

impl Right {
    pub const ALL: [Right; 6] = [
        Self::Access,
        Self::Rectification,
        Self::Erasure,
        Self::Objection,
        Self::Restriction,
        Self::OptOutSaleShare,
    ];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            // Exactly, as the OpenAPI document's enum says: a checkbox's value is never padded.
            .find(|r| r.as_str() == raw)
            .ok_or_else(|| {
                Invalid::new(
                    "unknown_right",
                    "must be access, rectification, erasure, objection, restriction or opt_out_sale_share",
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Rectification => "rectification",
            Self::Erasure => "erasure",
            Self::Objection => "objection",
            Self::Restriction => "restriction",
            Self::OptOutSaleShare => "opt_out_sale_share",
        }
    }

    /// Opt-outs only ever reduce processing, so they take effect when asked, before verification (CCPA
    /// §7026 asks for none) and without a staff step.
    pub fn is_opt_out(self) -> bool {
        matches!(
            self,
            Self::Objection | Self::Restriction | Self::OptOutSaleShare
        )
    }
}

/// The rights of one request: at least one, each once, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rights(Vec<Right>);

impl Rights {
    pub fn new(mut rights: Vec<Right>) -> Result<Self, Invalid> {
        if rights.is_empty() {
            return Err(Invalid::new("required", "name at least one right"));
        }
        rights.sort();
        rights.dedup();
        Ok(Self(rights))
    }

    pub fn as_slice(&self) -> &[Right] {
        &self.0
    }

    pub fn contains(&self, right: Right) -> bool {
        self.0.contains(&right)
    }

    /// Whether every right asked for is an opt-out (nothing left for staff to answer).
    pub fn only_opt_outs(&self) -> bool {
        self.0.iter().all(|r| r.is_opt_out())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_parse_by_their_wire_names_and_nothing_else() {
        for right in Right::ALL {
            assert_eq!(Right::parse(right.as_str()), Ok(right));
        }
        assert_eq!(Right::parse("delete").unwrap_err().code, "unknown_right");
        assert!(Right::parse("").is_err());
    }

    #[test]
    fn a_request_names_each_right_once_and_at_least_one() {
        let rights = Rights::new(vec![Right::Erasure, Right::Access, Right::Erasure]).unwrap();
        assert_eq!(rights.as_slice(), [Right::Access, Right::Erasure]);
        assert!(!rights.only_opt_outs());
        assert!(Rights::new(vec![]).is_err());
        assert!(
            Rights::new(vec![Right::Objection, Right::OptOutSaleShare])
                .unwrap()
                .only_opt_outs()
        );
    }
}
