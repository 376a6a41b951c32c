//! What every captured lead holds beside its own fields: contact details, visit, network origin, consent
//! snapshot and spam verdict; and what capture notes on a lead before storing it.

use super::kind::Channel;
use crate::domain::{
    ClientIp, CompanyName, ConsentChoices, CountryCode, EmailAddress, IpSource, JobTitle, Message,
    PersonName, PhoneNumber, PolicyVersion, TextHash, UtmValue, WebUrl,
};
use crate::geo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// The visitor's language (the post's `language` field, else the browser's first choice): the
    /// language of the mails it gets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
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
            language: None,
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

/// A captured record about a person who may be contacted (a lead): it notes the channels on which
/// they asked not to be, as found when it was stored.
pub trait Lead: Serialize {
    /// The lead's spam verdict and its do-not-contact channels, the two things capture notes on it.
    fn notes(&mut self) -> (&mut Option<SpamReason>, &mut Vec<Channel>);

    fn note_do_not_contact(&mut self, channels: Vec<Channel>) {
        *self.notes().1 = channels;
    }

    /// Flags the lead as spam for a replayed render token, unless it was spam already; answers whether
    /// it was not (so that its register entry says so too).
    fn note_replayed(&mut self) -> bool {
        let spam = self.notes().0;
        let fresh = spam.is_none();
        spam.get_or_insert(SpamReason::ReplayedRenderToken);
        fresh
    }
}
