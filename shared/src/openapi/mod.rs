//! The OpenAPI document of the whole public API as this deployment serves it: the written document
//! (`openapi.json`) with what configuration decides filled in from the same types the handlers parse
//! with: each form's fields and consent checkboxes, the newsletter lists, the banner's versions and
//! text hashes, the thank-you URLs allowed, and which optional parts (register, key management) are on.
//!
//! Every request field's schema is its domain type's [`Shape`](crate::domain::Shape), so the document
//! states every rule the server enforces, and refuses unknown fields where the server does.

mod consent;
mod document;
mod fields;
mod forms;
mod links;
mod urlencoded;

pub use document::{Deployment, TEMPLATE, document};
pub use fields::text;
