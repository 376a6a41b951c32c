//! Which website form a submission came from, and what kind of form that is.

use super::invalid::Invalid;
use serde::{Deserialize, Serialize};

/// The form's identifier as used in the URL (`/api/forms/{form}`): `[a-z0-9-]`, 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FormId(String);

impl FormId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(Invalid::new(
                "invalid_form",
                "must be a form id of a-z, 0-9 and '-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The purpose of a form, which decides how marketing follows up on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    DemoRequest,
    ContentDownload,
    Contact,
    Event,
}
