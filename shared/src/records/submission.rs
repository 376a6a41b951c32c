//! A website form submission (`rec:submission:{id}`).

use super::kind::{Channel, RecordKind, SCHEMA_VERSION};
use super::lead::{
    ConsentSnapshot, Contact, ContactDetails, NetworkOrigin, SpamReason, VisitContext,
};
use super::record::lead_record;
use crate::domain::{FormId, FormKind};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A website form submission (`rec:submission:{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    pub v: u32,
    pub id: String,
    pub form: String,
    pub kind: FormKind,
    pub received_at: Timestamp,
    pub contact: ContactDetails,
    pub visit: VisitContext,
    pub origin: NetworkOrigin,
    pub consent: ConsentSnapshot,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spam: Option<SpamReason>,
    /// Channels on the do-not-contact registry when this was captured: marketing must not follow up on
    /// them (the submission itself is still answered).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub do_not_contact: Vec<Channel>,
}

impl Submission {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        form: &FormId,
        kind: FormKind,
        received_at: Timestamp,
        contact: &Contact,
        visit: VisitContext,
        origin: NetworkOrigin,
        consent: ConsentSnapshot,
        spam: Option<SpamReason>,
    ) -> Self {
        Self {
            v: SCHEMA_VERSION,
            id,
            form: form.as_str().to_owned(),
            kind,
            received_at,
            contact: contact.into(),
            visit,
            origin,
            consent,
            spam,
            do_not_contact: Vec::new(),
        }
    }
}

lead_record!(Submission, RecordKind::Submission);
