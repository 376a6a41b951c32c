//! Data-subject requests: answering them (finding, erasing, correcting, packaging), their mails and
//! settings, the reasons a request may be denied. The stored request itself is
//! [`crate::records::DataRequest`].

pub mod answer;
pub mod decide;
pub mod facts;
pub mod mail;
pub mod rectify;
pub mod settings;

pub use crate::records::{
    DataRequest, Deadlines, Decision, Extension, Outcome, RequestStatus, Step, TimelineEntry,
};
pub use settings::PrivacySettings;

/// Asking again for the same unconfirmed request re-sends its link at most once per this many minutes.
pub const RESEND_MINUTES: i64 = 15;

/// Why a request may be denied (the code staff send; the person's mail explains it).
pub const DENY_REASONS: [(&str, &str); 5] = [
    (
        "identity_not_verified",
        "We could not confirm that the request comes from the person the data is about.",
    ),
    (
        "manifestly_unfounded",
        "The request is manifestly unfounded (GDPR Art. 12(5)).",
    ),
    (
        "excessive",
        "The request is excessive, in particular because it repeats an earlier one (GDPR Art. 12(5)).",
    ),
    (
        "legal_obligation",
        "A legal obligation requires us to keep or process this data (GDPR Art. 17(3)(b)).",
    ),
    (
        "legal_claims",
        "The data is needed to establish, exercise or defend legal claims (GDPR Art. 17(3)(e)).",
    ),
];

/// The explanation of deny reason `code`, if it is one.
pub fn deny_reason(code: &str) -> Option<&'static str> {
    DENY_REASONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deny_reason_is_one_of_the_known_codes() {
        assert!(deny_reason("excessive").is_some());
        assert!(deny_reason("because").is_none());
    }
}
