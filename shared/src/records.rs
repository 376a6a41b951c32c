//! What is stored: every record is JSON with a schema version `v`, built from domain types.
//!
//! Records hold plain strings so that old records stay readable when the parsers grow stricter; they are
//! only ever written from values that passed the domain parsers.

use crate::domain::{
    ClientIp, CompanyName, ConsentChoices, CountryCode, EmailAddress, FormId, FormKind, Invalid,
    IpSource, JobTitle, Message, PersonName, PhoneNumber, PolicyVersion, TextHash, UtmValue,
    WebUrl,
};
use crate::geo;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema version written into records created by this build.
pub const SCHEMA_VERSION: u32 = 1;

/// The contact details a visitor typed into a form, all optional (each form says which it requires).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Parsed contact details, each field already a domain value.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub name: Option<PersonName>,
    pub email: Option<EmailAddress>,
    pub company: Option<CompanyName>,
    pub title: Option<JobTitle>,
    pub phone: Option<PhoneNumber>,
    pub country: Option<CountryCode>,
    pub message: Option<Message>,
}

impl From<&Contact> for ContactDetails {
    fn from(c: &Contact) -> Self {
        let s = |v: Option<&str>| v.map(str::to_owned);
        Self {
            name: s(c.name.as_ref().map(PersonName::as_str)),
            email: s(c.email.as_ref().map(EmailAddress::as_str)),
            company: s(c.company.as_ref().map(CompanyName::as_str)),
            title: s(c.title.as_ref().map(JobTitle::as_str)),
            phone: s(c.phone.as_ref().map(PhoneNumber::as_str)),
            country: s(c.country.as_ref().map(CountryCode::as_str)),
            message: s(c.message.as_ref().map(Message::as_str)),
        }
    }
}

/// Where the visit came from: page, referrer, campaign parameters, browser.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VisitContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// `utm_source`, `utm_medium`, `utm_campaign`, `utm_term`, `utm_content` as sent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub utm: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl VisitContext {
    pub fn new(
        page_url: Option<&WebUrl>,
        referrer: Option<&WebUrl>,
        utm: &[(&'static str, UtmValue)],
        user_agent: Option<&str>,
    ) -> Self {
        Self {
            page_url: page_url.map(|u| u.as_str().to_owned()),
            referrer: referrer.map(|u| u.as_str().to_owned()),
            utm: utm
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.as_str().to_owned()))
                .collect(),
            // A user agent is context, not a field the visitor typed: keep it, capped.
            user_agent: user_agent
                .map(|ua| ua.chars().filter(|c| !c.is_control()).take(512).collect()),
        }
    }
}

/// The visitor's network origin: full IP (for the retention job to drop later), truncated IP and
/// the approximate location derived from the IP inside the component (DB-IP Lite).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkOrigin {
    /// The full address; `None` once retention has minimised the record.
    pub ip: Option<String>,
    /// /24 (IPv4) or /48 (IPv6) network address.
    pub ip_truncated: String,
    pub ip_source: IpSource,
    pub location: Option<LocationRecord>,
}

/// An approximate location: country always, region and city where the data has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationRecord {
    pub country: String,
    pub eu: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
}

impl NetworkOrigin {
    pub fn of(client: &ClientIp) -> Self {
        let location = geo::lookup(client.ip()).map(|loc| LocationRecord {
            country: loc.country().to_owned(),
            eu: CountryCode::parse(loc.country()).is_ok_and(|c| c.is_eu_member()),
            region: loc.region().map(str::to_owned),
            city: loc.city().map(str::to_owned),
        });
        Self {
            ip: Some(client.ip().to_string()),
            ip_truncated: client.truncated().to_string(),
            ip_source: client.source(),
            location,
        }
    }
}

/// What the visitor was shown and chose when submitting: policy version, hash of the consent text,
/// every offered checkbox's state, and whether the browser sent `Sec-GPC: 1`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsentSnapshot {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_hash: Option<String>,
    pub choices: BTreeMap<String, bool>,
    pub gpc: bool,
}

impl ConsentSnapshot {
    pub fn new(
        policy_version: Option<&PolicyVersion>,
        text_hash: Option<&TextHash>,
        choices: &ConsentChoices,
        gpc: bool,
    ) -> Self {
        Self {
            policy_version: policy_version.map(|v| v.as_str().to_owned()),
            text_hash: text_hash.map(|h| h.as_str().to_owned()),
            choices: choices
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v))
                .collect(),
            gpc,
        }
    }
}

/// Why a submission was judged to be spam. It is still stored, flagged, never silently dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpamReason {
    /// The hidden honeypot field was filled in.
    Honeypot,
    /// No form-render token came with the post.
    MissingRenderToken,
    /// The render token's signature did not verify, or it was for another form.
    InvalidRenderToken,
    /// The render token was older than its lifetime.
    ExpiredRenderToken,
    /// Submitted sooner after rendering than a person can fill the form in.
    TooFast,
    /// The render token had been used before: one rendered form, one post.
    ReplayedRenderToken,
}

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
    pub do_not_contact: Vec<crate::store::Channel>,
}

/// A captured record about a person who may be contacted (a lead): it notes the channels on which
/// they asked not to be, as found when it was stored.
pub trait Lead: Serialize {
    fn note_do_not_contact(&mut self, channels: Vec<crate::store::Channel>);
    /// Flags the lead as spam for a replayed render token, unless it was spam already; answers whether
    /// it was not (so that its register entry says so too).
    fn note_replayed(&mut self) -> bool;
}

impl Lead for Submission {
    fn note_do_not_contact(&mut self, channels: Vec<crate::store::Channel>) {
        self.do_not_contact = channels;
    }

    fn note_replayed(&mut self) -> bool {
        flag_replayed(&mut self.spam)
    }
}

impl Lead for DemoRequest {
    fn note_do_not_contact(&mut self, channels: Vec<crate::store::Channel>) {
        self.do_not_contact = channels;
    }

    fn note_replayed(&mut self) -> bool {
        flag_replayed(&mut self.spam)
    }
}

fn flag_replayed(spam: &mut Option<SpamReason>) -> bool {
    let fresh = spam.is_none();
    spam.get_or_insert(SpamReason::ReplayedRenderToken);
    fresh
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

/// Who caused a processing activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// A website visitor, known by truncated IP only (the register must not re-identify on its own).
    Visitor { ip_truncated: String },
    /// A marketing API key, by its public id.
    ApiKey { key_id: String },
    /// The service itself (retention job, mailer).
    System,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A new record was captured from a visitor.
    Captured,
    /// A captured record was flagged as spam.
    CapturedAsSpam,
    /// A record's state changed (confirmation, status change, withdrawal).
    Updated,
    /// A record was erased; only its id remains (a tombstone in the feed).
    Erased,
    /// Records were read or exported by staff.
    Read,
    /// A request was refused (a missing scope, a bad cursor, a stale `If-Match`); nothing changed.
    Refused,
}

/// One entry of a log: the change feed of a record kind and, at the same time, the processing
/// register's entry for that change (who, what, when, which record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub v: u32,
    pub seq: u64,
    pub at: Timestamp,
    pub action: Action,
    /// The record's id, or `None` for activities that touch many records (an export).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    pub actor: Actor,
    /// A short machine-readable note: the spam reason, the form, the cursor range of an export.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Which numbered state of the record the entry is about, for records kept as a history (the
    /// `n` of a cookie-consent decision); absent for records kept as one current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    /// Written before its change landed: readers wait for it (or, once it is older than the feed's grace
    /// period, treat it as final). A change rewrites its entry without this flag once it has landed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
    /// When the store wrote this version of the entry (`at` is when the event happened, which may be
    /// earlier): what readers date holes and pending entries by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_at: Option<Timestamp>,
}

impl LogEntry {
    /// When the entry was written: `written_at`, or `at` for entries written before it existed.
    pub fn written(&self) -> Timestamp {
        self.written_at.unwrap_or(self.at)
    }
}

/// When and from where one step of a double opt-in happened: the proof that it was this visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proof {
    pub at: Timestamp,
    pub origin: NetworkOrigin,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// Where a newsletter subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriberStatus {
    /// Signed up, confirmation link sent, not confirmed yet.
    Pending,
    Confirmed,
    /// Unsubscribed from every list (also recorded in the do-not-contact registry).
    Unsubscribed,
}

/// A newsletter subscriber (`rec:subscriber:{pseudonym}`): one per mailbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscriber {
    pub v: u32,
    /// The pseudonym of the normalised email address.
    pub id: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub lists: Vec<String>,
    pub status: SubscriberStatus,
    pub consent: ConsentSnapshot,
    pub visit: VisitContext,
    /// The latest signup: a new signup after an unsubscribe replaces it (fresh consent).
    pub signed_up: Proof,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<Proof>,
    /// When the last confirmation mail was queued (re-sends are throttled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_sent_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsubscribed_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spam: Option<SpamReason>,
}

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
    pub do_not_contact: Vec<crate::store::Channel>,
}

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
}

/// A do-not-contact entry (`rec:opt-out:{channel}:{pseudonym}`). It holds no address, only the
/// pseudonym, so it survives the erasure of the person's other data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptOut {
    pub v: u32,
    pub id: String,
    pub channel: crate::store::Channel,
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
}

/// A marketing API key (`rec:api-key:{id}`). Only a hash of its secret is stored; the secret itself is
/// shown once, when the key is created. When it was last used is kept apart (`used:api-key:{id}`), so
/// that using a key never rewrites its record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub v: u32,
    /// The public key id, also part of the key itself.
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// `sha256:` + hex SHA-256 of the whole key.
    pub secret_hash: String,
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Timestamp>,
}

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
