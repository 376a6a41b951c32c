//! The intake every website post goes through: settings, the body read as fields ([`crate::body`]),
//! client address, the visit fields, the capture pipeline ([`Post`]: spam verdict, group commit with the
//! rate limit and the render token's one use) and the answer.

mod banner;
mod contact;
mod forms;
pub(crate) mod gpc;
mod intake;
mod post;
mod settings;
mod spam;
mod visit;

pub use banner::{Banner, Category, Cited, ConsentMode, Shown, TEXT_KEYS};
pub use contact::{ContactField, ContactFields};
pub use forms::{FormSpec, Forms, newsletter_lists};
pub use gpc::{honour_browser, honour_linked};
pub use intake::{Intake, client_ip, error_as_html, preflight, respond, with_cors};
pub use post::{Offer, Post, lead_capture};
pub use settings::{CaptureSettings, RateLimit};
pub use spam::{
    HONEYPOT_FIELD, RENDER_TOKEN_FIELD, Verdict, issue_render_token, judge, render_token_response,
};
pub use visit::VisitFields;
