//! Pure domain types: each is built only by its parser, has private fields and does no I/O.
//!
//! Raw request values (`String`s) become these types at the boundary; once a value has one of these
//! types it is known to be valid, normalised and bounded in size.

mod client_ip;
mod consent;
mod consent_mode;
mod consent_strings;
mod country;
mod email;
mod form;
mod invalid;
mod language;
mod phone;
mod rights;
pub mod shape;
pub mod source;
mod text;
mod url;
mod webhook;

pub use client_ip::{ClientIp, IpHeaders, IpSource, truncate};
pub use consent::{
    ConsentChoices, ConsentId, PolicyVersion, TextHash, parse_banner_id, parse_bool, parse_tick,
    tick_shape,
};
pub use consent_mode::{ConsentModeType, Grant, Regime};
pub use consent_strings::{GppSectionIds, GppString, MAX_GPP_STRING, MAX_TC_STRING, TcString};
pub use country::CountryCode;
pub use email::EmailAddress;
pub use form::{FormId, FormKind};
pub use invalid::Invalid;
pub use language::Language;
pub use phone::PhoneNumber;
pub use rights::{Right, Rights};
pub use shape::Shape;
pub use source::{ContactSource, LegalBasis, ObtainedOn, SourceKind};
pub use text::{
    CompanyName, ExternalId, JobTitle, Message, OfficerText, PersonName, PreferredTime,
    RequestDetails, SourceName, UtmValue,
};
pub use url::WebUrl;
pub use webhook::{AllowedOrigin, EventType, SECRET_PREFIX, WebhookSecret, WebhookUrl};
