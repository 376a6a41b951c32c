//! A demo request (`rec:demo-request:{id}`) and where marketing stands with it.

use super::kind::{Channel, RecordKind};
use super::lead::{ConsentSnapshot, ContactDetails, NetworkOrigin, SpamReason, VisitContext};
use super::record::lead_record;
use crate::domain::Invalid;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Where marketing stands with a demo request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemoStatus {
    Requested,
    Contacted,
    Scheduled,
    Done,
    Cancelled,
}

impl DemoStatus {
    pub const ALL: [Self; 5] = [
        Self::Requested,
        Self::Contacted,
        Self::Scheduled,
        Self::Done,
        Self::Cancelled,
    ];

    /// The status as JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Contacted => "contacted",
            Self::Scheduled => "scheduled",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                Invalid::new(
                    "invalid_status",
                    "One of requested, contacted, scheduled, done or cancelled.",
                )
            })
    }
}

/// A demo request (`rec:demo-request:{id}`): a lead marketing follows up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoRequest {
    pub v: u32,
    pub id: String,
    pub received_at: Timestamp,
    pub status: DemoStatus,
    pub contact: ContactDetails,
    /// When the visitor would like to be called, as they wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_time: Option<String>,
    /// The email's domain is a free-mail provider (flagged, not refused).
    pub free_mail: bool,
    pub visit: VisitContext,
    pub origin: NetworkOrigin,
    pub consent: ConsentSnapshot,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spam: Option<SpamReason>,
    /// Channels on the do-not-contact registry when the request came in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub do_not_contact: Vec<Channel>,
}

lead_record!(DemoRequest, RecordKind::DemoRequest);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_demo_status_parses_from_its_json_spelling_and_nothing_else() {
        for status in DemoStatus::ALL {
            let json = serde_json::to_value(status).unwrap();
            assert_eq!(json.as_str(), Some(status.as_str()));
            assert_eq!(DemoStatus::parse(status.as_str()), Ok(status));
        }
        assert_eq!(DemoStatus::parse("won").unwrap_err().code, "invalid_status");
        assert_eq!(
            DemoStatus::parse("Done").unwrap_err().code,
            "invalid_status"
        );
    }
}
