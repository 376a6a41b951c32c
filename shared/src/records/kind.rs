//! The names of what is stored: record kinds, logs, do-not-contact channels, and the schema version.

/// The schema version written into records created by this build.
pub const SCHEMA_VERSION: u32 = 1;

/// A kind of stored record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordKind {
    Submission,
    Subscriber,
    DemoRequest,
    Consent,
    DataRequest,
    ApiKey,
    Outbox,
    OptOut,
    /// A contact from another source (a fair, a licensed list, the CRM).
    Contact,
}

impl RecordKind {
    pub const ALL: [RecordKind; 9] = [
        Self::Submission,
        Self::Subscriber,
        Self::DemoRequest,
        Self::Consent,
        Self::DataRequest,
        Self::ApiKey,
        Self::Outbox,
        Self::OptOut,
        Self::Contact,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The log whose entries name records of this kind (their change feed).
    pub fn log(self) -> Log {
        match self {
            Self::Submission => Log::Submissions,
            Self::Subscriber => Log::Subscribers,
            Self::DemoRequest => Log::DemoRequests,
            Self::Consent => Log::Consents,
            Self::DataRequest => Log::Requests,
            Self::ApiKey => Log::Access,
            Self::Outbox => Log::Outbox,
            Self::OptOut => Log::OptOuts,
            Self::Contact => Log::Contacts,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submission => "submission",
            Self::Subscriber => "subscriber",
            Self::DemoRequest => "demo-request",
            Self::Consent => "consent",
            Self::DataRequest => "dsr",
            Self::ApiKey => "api-key",
            Self::Outbox => "outbox",
            Self::OptOut => "opt-out",
            Self::Contact => "contact",
        }
    }
}

/// An append-only log with a dense sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Log {
    Submissions,
    Subscribers,
    DemoRequests,
    Consents,
    OptOuts,
    Requests,
    Access,
    Outbox,
    Contacts,
}

impl Log {
    pub const ALL: [Log; 9] = [
        Self::Submissions,
        Self::Subscribers,
        Self::DemoRequests,
        Self::Consents,
        Self::OptOuts,
        Self::Requests,
        Self::Access,
        Self::Outbox,
        Self::Contacts,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submissions => "submissions",
            Self::Subscribers => "subscribers",
            Self::DemoRequests => "demo-requests",
            Self::Consents => "consents",
            Self::OptOuts => "opt-outs",
            Self::Requests => "requests",
            Self::Access => "access",
            Self::Outbox => "outbox",
            Self::Contacts => "contacts",
        }
    }
}

/// A do-not-contact channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Phone,
    /// "Do not sell or share my personal information" (CCPA), keyed by the email's pseudonym.
    SaleShare,
}

impl Channel {
    /// The id of the do-not-contact record for `pseudonym` on this channel.
    pub fn opt_out_id(self, pseudonym: &str) -> String {
        match self {
            Self::Email => format!("email:{pseudonym}"),
            Self::Phone => format!("phone:{pseudonym}"),
            Self::SaleShare => format!("sale_share:{pseudonym}"),
        }
    }
}
