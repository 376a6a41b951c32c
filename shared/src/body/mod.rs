//! Request bodies as named string fields: which content types an endpoint reads, JSON and urlencoded
//! decoding to one list of fields, and the reader that turns those fields into domain values.

mod form;
mod json;
mod raw;
mod reader;
mod rules;

pub use raw::RawFields;
pub use reader::FieldReader;
pub use rules::{BodyFormat, BodyRules};
