//! The fields of a body, names and values as sent (the raw DTO), parsed from JSON or a urlencoded form
//! as an endpoint's [`BodyRules`] say.

use super::form;
use super::json::{self, Marks};
use super::rules::{BodyFormat, BodyRules};
use crate::http::{ApiError, read_body};
use http::{HeaderMap, header};
use http_body::Body;

/// The fields of a post, names and values as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawFields(pub(super) Vec<(String, String)>, pub(super) Marks);

/// What a map entry was sent as.
pub(super) enum Entry<'a> {
    Text(&'a str),
    Flag(bool),
    Null,
}

impl RawFields {
    /// Parses a website post (JSON or urlencoded, no list or map fields): 415 for other types, 400 for a
    /// body that does not parse.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<(Self, BodyFormat), ApiError> {
        Self::parse_as(content_type, body, &BodyRules::form())
    }

    /// Parses a body as `rules` say: 415 for a type they do not accept, 400 for a body that does not
    /// parse (or names a field twice), 422 for a JSON value of the wrong shape (an object where a string
    /// belongs, a list that is no array of strings).
    pub fn parse_as(
        content_type: Option<&str>,
        body: &[u8],
        rules: &BodyRules<'_>,
    ) -> Result<(Self, BodyFormat), ApiError> {
        let format = rules.format(content_type)?;
        let fields = match format {
            BodyFormat::Json => {
                let (fields, marks) = json::decode(body, rules)?;
                Self(fields, marks)
            }
            BodyFormat::UrlEncoded => Self(form::decode(body, rules.lists)?, Marks::default()),
        };
        Ok((fields, format))
    }

    /// Reads and parses a request body as `rules` say: 415 before reading, 413 over `limit` bytes, then
    /// as [`RawFields::parse_as`].
    pub async fn read<B>(
        headers: &HeaderMap,
        body: B,
        limit: usize,
        rules: &BodyRules<'_>,
    ) -> Result<(Self, BodyFormat), ApiError>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        rules.format(content_type)?;
        let body = read_body(headers, body, limit).await?;
        Self::parse_as(content_type, &body, rules)
    }

    /// Removes and returns the field `name`.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let at = self.0.iter().position(|(n, _)| n == name)?;
        self.1.flags.retain(|n| n != name);
        self.1.nulls.retain(|n| n != name);
        Some(self.0.remove(at).1)
    }

    /// Drops every field sent empty or blank: the inputs of an HTML form left untouched (the privacy
    /// desk's rectify form has one per correctable field), which mean "not given".
    pub fn drop_blank(&mut self) {
        self.0.retain(|(_, value)| !value.trim().is_empty());
    }

    /// Whether `name` was sent as a JSON boolean rather than a string.
    pub(super) fn is_flag(&self, name: &str) -> bool {
        self.1.flags.iter().any(|n| n == name)
    }

    /// What the map entry `name`, valued `raw`, was sent as.
    pub(super) fn entry<'a>(&self, name: &str, raw: &'a str) -> Entry<'a> {
        if self.is_flag(name) {
            Entry::Flag(raw == "true")
        } else if self.1.nulls.iter().any(|n| n == name) {
            Entry::Null
        } else {
            Entry::Text(raw)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_urlencoded_bodies_give_the_same_fields() {
        let (mut json, f1) = RawFields::parse(
            Some("application/json"),
            br#"{"email":"a@b.co","consent_x":true}"#,
        )
        .unwrap();
        let (mut form, f2) = RawFields::parse(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"email=a%40b.co&consent_x=true",
        )
        .unwrap();
        assert_eq!((f1, f2), (BodyFormat::Json, BodyFormat::UrlEncoded));
        for name in ["email", "consent_x"] {
            assert_eq!(json.take(name), form.take(name));
        }
        assert_eq!(json, RawFields::default());
        assert_eq!(form, RawFields::default());
    }

    #[test]
    fn other_content_types_and_malformed_bodies_are_refused() {
        assert!(matches!(
            RawFields::parse(Some("text/plain"), b"x"),
            Err(ApiError::UnsupportedMediaType { .. })
        ));
        assert!(matches!(
            RawFields::parse(None, b"x"),
            Err(ApiError::UnsupportedMediaType { .. })
        ));
        assert!(matches!(
            RawFields::parse(Some("application/json"), b"{nope"),
            Err(ApiError::BadRequest { .. })
        ));
        assert!(matches!(
            RawFields::parse(Some("application/json"), b"[1]"),
            Err(ApiError::BadRequest { .. })
        ));
        assert!(matches!(
            RawFields::parse(Some("application/x-www-form-urlencoded"), b"a=1&a=2"),
            Err(ApiError::BadRequest { .. })
        ));
    }

    #[test]
    fn a_map_entry_and_a_field_of_the_same_name_are_refused_as_sent_twice() {
        let rules = BodyRules::json().maps(&["decisions"]);
        let twice = RawFields::parse_as(
            Some("application/json"),
            br#"{"decisions":{"analytics":true},"decisions.analytics":false}"#,
            &rules,
        );
        assert!(matches!(
            twice,
            Err(ApiError::BadRequest {
                code: "duplicate_field",
                ..
            })
        ));
    }
}
