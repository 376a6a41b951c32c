//! A data-subject request (`rec:dsr:{id}`): its statuses, timeline, decision and legal deadlines.
//!
//! Lifecycle: `unverified` → `open` (verified by the emailed link; the clock runs) → `extended` →
//! `completed` or `denied`; `unverified` → `expired`. The record holds the person's address, phone
//! and free text (personal data) only while they are needed; the `requests` log holds steps by id.

use super::kind::{RecordKind, SCHEMA_VERSION};
use super::record::{Erasure, PersonKey, Record};
use super::retention::{DeleteRule, From, Only};
use crate::domain::{Right, Rights};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A request due within this many days is `due_soon`.
pub const DUE_SOON_DAYS: i64 = 7;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Asked; the verification mail is out, the link not yet followed.
    Unverified,
    /// Verified: on the clock until `due_at`.
    Open,
    /// Verified, and the deadline extended once (the person was told why).
    Extended,
    /// Answered: approved and carried out (or, for opt-outs only, in effect when asked).
    Completed,
    /// Refused, with a reason the person was told.
    Denied,
    /// Never verified within the link's lifetime; only its register entries remain.
    Expired,
}

impl RequestStatus {
    /// Every status, in the order a request may pass through them.
    pub const ALL: [Self; 6] = [
        Self::Unverified,
        Self::Open,
        Self::Extended,
        Self::Completed,
        Self::Denied,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Open => "open",
            Self::Extended => "extended",
            Self::Completed => "completed",
            Self::Denied => "denied",
            Self::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether the request waits for a staff decision.
    pub fn is_on_the_clock(self) -> bool {
        matches!(self, Self::Open | Self::Extended)
    }
}

/// One step of a request, as the timeline and the `requests` log name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Received,
    OptOutsApplied,
    Verified,
    Acknowledged,
    Expired,
    Extended,
    Approved,
    Denied,
    Rectified,
    Fulfilled,
    Downloaded,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::OptOutsApplied => "opt_outs_applied",
            Self::Verified => "verified",
            Self::Acknowledged => "acknowledged",
            Self::Expired => "expired",
            Self::Extended => "extended",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Rectified => "rectified",
            Self::Fulfilled => "fulfilled",
            Self::Downloaded => "downloaded",
        }
    }
}

/// One entry of a request's timeline: what happened, when, by whom (`visitor`, `system` or an API key
/// id). Never personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub step: Step,
    pub at: Timestamp,
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A staff decision on a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// `approve` or `deny`.
    pub action: String,
    pub at: Timestamp,
    /// The API key that decided.
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The officer's words to the person (personal data of the request; never in a log entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A deadline extension (once per request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub at: Timestamp,
    pub by: String,
    pub reason: String,
    /// The due date before the extension.
    pub previous_due_at: Timestamp,
}

/// What answering the request did: per record kind, how many records were erased or kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erased: Vec<(String, u64)>,
    /// The records erased, by kind and id (no personal data): what `person.erased` tells the systems
    /// fed, so they delete their copies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<super::webhook::RecordRef>,
    /// Record kinds kept under a legal hold, with the hold's reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<(String, String)>,
    /// Records changed by a rectification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rectified: Option<u64>,
    /// Until when the access package's download link works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_until: Option<Timestamp>,
}

/// A data-subject request (`rec:dsr:{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataRequest {
    pub v: u32,
    pub id: String,
    pub status: RequestStatus,
    pub rights: Vec<Right>,
    /// The address the request came from; gone once an erasure is carried out or the request expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The pseudonym of the normalised address (as in the do-not-contact registry): how the person's
    /// records are found, and what stays after erasure.
    pub email_pseudonym: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_pseudonym: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// The language its mails and pages are written in (absent on requests asked before languages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub california_resident: bool,
    /// The cookie banner's consent id the person gave (only if it exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_id: Option<String>,
    pub asked_at: Timestamp,
    /// Until when the verification link works.
    pub verify_until: Timestamp,
    /// When the verification mail was last queued (asking again re-sends it at most once per
    /// `privacy::RESEND_MINUTES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_sent_at: Option<Timestamp>,
    /// When it was verified: the clock starts here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    /// CCPA: acknowledge within 10 business days (the acknowledgement mail goes at verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge_by: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<Extension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Set once the approved request was carried out in full (an approval whose work failed midway is
    /// approved again by staff, and the work is idempotent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilled_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    pub timeline: Vec<TimelineEntry>,
}

impl DataRequest {
    /// A request just asked, unverified until `verify_until`, holding nothing yet but its rights and the
    /// mailbox's pseudonym: the person's details are set by the asking, the rest by the steps to come.
    pub fn asked(
        id: String,
        rights: Vec<Right>,
        email_pseudonym: String,
        asked_at: Timestamp,
        verify_until: Timestamp,
    ) -> Self {
        Self {
            v: SCHEMA_VERSION,
            id,
            status: RequestStatus::Unverified,
            rights,
            email: None,
            phone: None,
            email_pseudonym,
            phone_pseudonym: None,
            details: None,
            language: None,
            california_resident: false,
            consent_id: None,
            asked_at,
            verify_until,
            verification_sent_at: None,
            received_at: None,
            due_at: None,
            acknowledge_by: None,
            acknowledged_at: None,
            extension: None,
            decision: None,
            fulfilled_at: None,
            outcome: None,
            timeline: Vec::new(),
        }
    }

    pub fn rights(&self) -> Rights {
        Rights::new(self.rights.clone())
            .unwrap_or_else(|_| Rights::new(vec![Right::Access]).unwrap())
    }

    /// The status as of `now`: an unverified request past its link's lifetime reads as expired even
    /// before anything wrote that down.
    pub fn status_at(&self, now: Timestamp) -> RequestStatus {
        if self.status == RequestStatus::Unverified && now > self.verify_until {
            RequestStatus::Expired
        } else {
            self.status
        }
    }

    /// `overdue`, `due_soon` (within [`DUE_SOON_DAYS`]) or `None`, for a request still on the clock.
    pub fn urgency(&self, now: Timestamp) -> Option<&'static str> {
        let due = self.due_at?;
        if !self.status_at(now).is_on_the_clock() {
            return None;
        }
        if due < now {
            Some("overdue")
        } else if due <= now.plus_days(DUE_SOON_DAYS) {
            Some("due_soon")
        } else {
            None
        }
    }

    /// Adds a timeline entry.
    pub fn step(&mut self, step: Step, at: Timestamp, by: &str, note: Option<String>) {
        self.timeline.push(TimelineEntry {
            step,
            at,
            by: by.to_owned(),
            note,
        });
    }

    /// Starts the clock: verified at `at`.
    pub fn verify(&mut self, at: Timestamp) {
        let deadlines = Deadlines::at(at, self.california_resident);
        self.status = RequestStatus::Open;
        self.received_at = Some(at);
        self.due_at = Some(deadlines.due_at);
        self.acknowledge_by = deadlines.acknowledge_by;
        self.acknowledged_at = Some(at);
    }

    /// Removes what identifies the person (erasure carried out, or the request expired): only the
    /// pseudonyms, the rights and the timeline stay.
    pub fn forget_person(&mut self) {
        self.email = None;
        self.phone = None;
        self.details = None;
        if let Some(decision) = &mut self.decision {
            decision.text = None;
        }
    }
}

impl Record for DataRequest {
    const KIND: RecordKind = RecordKind::DataRequest;
    const ERASURE: Erasure = Erasure::Forgotten;

    fn people(&self) -> Vec<PersonKey> {
        std::iter::once(self.email_pseudonym.clone())
            .chain(self.phone_pseudonym.clone())
            .map(PersonKey::Pseudonym)
            .collect()
    }

    fn due_since(&self, rule: &DeleteRule) -> Option<Timestamp> {
        let named = rule.only == Only::All
            || (rule.only == Only::Expired && self.status == RequestStatus::Expired);
        match rule.from {
            From::Captured if named => Some(self.asked_at),
            From::Expired if named => self
                .timeline
                .iter()
                .find(|t| t.step == Step::Expired)
                .map(|t| t.at),
            _ => None,
        }
    }

    fn forget(&mut self) -> bool {
        let had = self.email.is_some() || self.phone.is_some() || self.details.is_some();
        self.forget_person();
        had
    }
}

/// The deadlines of a request verified at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub due_at: Timestamp,
    pub acknowledge_by: Option<Timestamp>,
}

impl Deadlines {
    /// GDPR Art. 12(3): one month from receipt. For a California resident also CCPA §7021:
    /// acknowledge within 10 business days, answer within 45 days; the earlier deadline wins.
    pub fn at(received_at: Timestamp, california: bool) -> Self {
        let gdpr = received_at.plus_months(1);
        if california {
            Self {
                due_at: gdpr.min(received_at.plus_days(45)),
                acknowledge_by: Some(received_at.plus_business_days(10)),
            }
        } else {
            Self {
                due_at: gdpr,
                acknowledge_by: None,
            }
        }
    }

    /// The longest a due date may be moved by one extension: GDPR two further months; CCPA 45 more
    /// days. For a California resident the earlier of the two holds.
    pub fn extended(due_at: Timestamp, california: bool) -> Timestamp {
        let gdpr = due_at.plus_months(2);
        if california {
            gdpr.min(due_at.plus_days(45))
        } else {
            gdpr
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse_rfc3339(raw).unwrap()
    }

    #[test]
    fn a_request_is_due_one_month_after_receipt_or_earlier_for_california() {
        let received = at("2026-01-31T10:00:00Z");
        assert_eq!(
            Deadlines::at(received, false).due_at,
            at("2026-02-28T10:00:00Z")
        );
        let ca = Deadlines::at(received, true);
        assert_eq!(ca.due_at, at("2026-02-28T10:00:00Z"));
        assert_eq!(ca.acknowledge_by, Some(at("2026-02-13T10:00:00Z")));
        // A month is at most 31 days, so the first deadline is GDPR's; CCPA is shorter on extension.
        assert_eq!(
            Deadlines::extended(at("2026-02-28T10:00:00Z"), false),
            at("2026-04-28T10:00:00Z")
        );
        assert_eq!(
            Deadlines::extended(at("2026-02-28T10:00:00Z"), true),
            at("2026-04-14T10:00:00Z")
        );
    }

    #[test]
    fn an_unverified_request_reads_as_expired_after_its_link_expired() {
        let mut request = DataRequest::asked(
            "r".into(),
            vec![Right::Access],
            "p".into(),
            at("2026-01-01T00:00:00Z"),
            at("2026-01-01T01:00:00Z"),
        );
        request.email = Some("ada@example.com".into());
        request.details = Some("my name is wrong".into());
        assert_eq!(
            request.status_at(at("2026-01-01T00:59:00Z")),
            RequestStatus::Unverified
        );
        assert_eq!(
            request.status_at(at("2026-01-01T01:00:01Z")),
            RequestStatus::Expired
        );
        request.forget_person();
        assert!(request.email.is_none() && request.details.is_none());
    }
}
