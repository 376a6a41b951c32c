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
    /// A webhook endpoint.
    Webhook,
    /// An event for webhook endpoints.
    WebhookEvent,
}

impl RecordKind {
    pub const ALL: [RecordKind; 11] = [
        Self::Submission,
        Self::Subscriber,
        Self::DemoRequest,
        Self::Consent,
        Self::DataRequest,
        Self::ApiKey,
        Self::Outbox,
        Self::OptOut,
        Self::Contact,
        Self::Webhook,
        Self::WebhookEvent,
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
            Self::Webhook => Log::Webhooks,
            Self::WebhookEvent => Log::Events,
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
            Self::Webhook => "webhook",
            Self::WebhookEvent => "webhook-event",
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
    /// Webhook endpoints: their creation, secrets, removal and replays.
    Webhooks,
    /// The events sent to webhook endpoints. Not in [`Log::ALL`] (the register): each event restates an
    /// entry of another log, which the register holds already.
    Events,
}

impl Log {
    /// The logs of the processing register.
    pub const ALL: [Log; 10] = [
        Self::Submissions,
        Self::Subscribers,
        Self::DemoRequests,
        Self::Consents,
        Self::OptOuts,
        Self::Requests,
        Self::Access,
        Self::Outbox,
        Self::Contacts,
        Self::Webhooks,
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
            Self::Webhooks => "webhooks",
            Self::Events => "webhook-events",
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
