//! The intake every website post goes through (forms now, signups later): settings, body and field
//! parsing, client address, spam verdict and the answer (JSON or a redirect to a thank-you page).

mod contact;
mod fields;
mod guard;
mod intake;
mod settings;
mod spam;

pub use contact::{ContactField, ContactFields};
pub use fields::{BodyFormat, FieldReader, RawFields};
pub use guard::{Screening, do_not_contact, screen};
pub use intake::{
    Intake, VisitFields, Visitor, client_ip, error_as_html, preflight, read_json_object, respond,
    with_cors,
};
pub use settings::{CaptureSettings, RateLimit};
pub use spam::{
    HONEYPOT_FIELD, RENDER_TOKEN_FIELD, issue_render_token, judge, render_token_response,
};
