//! Request bodies as named string fields (the raw DTO), and a reader that turns them into domain
//! values, collecting every field error at once.

use crate::domain::Invalid;
use crate::http::{ApiError, FieldError};

/// How the body was sent; decides the shape of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `fetch` with a JSON object.
    Json,
    /// A plain HTML `<form>` post (or `fetch` with `URLSearchParams`).
    UrlEncoded,
}

/// The fields of a post, names and values as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawFields(Vec<(String, String)>);

impl RawFields {
    /// Parses a body by its content type: 415 for other types, 400 for a body that does not parse.
    pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<(Self, BodyFormat), ApiError> {
        Self::parse_with_lists(content_type, body, &[])
    }

    /// As [`RawFields::parse`], but the fields named in `lists` may hold several values: a JSON array
    /// of strings, or the field repeated in a form body (`rights=access&rights=erasure`). Each value
    /// becomes one pair; [`FieldReader::list`] reads them back.
    pub fn parse_with_lists(
        content_type: Option<&str>,
        body: &[u8],
        lists: &[&str],
    ) -> Result<(Self, BodyFormat), ApiError> {
        let accepted = "application/json or application/x-www-form-urlencoded";
        let media = content_type
            .and_then(|ct| ct.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .ok_or(ApiError::UnsupportedMediaType { accepted })?;
        match media.as_str() {
            "application/json" => Ok((Self::from_json(body, lists)?, BodyFormat::Json)),
            "application/x-www-form-urlencoded" => {
                Ok((Self::from_urlencoded(body, lists)?, BodyFormat::UrlEncoded))
            }
            _ => Err(ApiError::UnsupportedMediaType { accepted }),
        }
    }

    fn from_json(body: &[u8], lists: &[&str]) -> Result<Self, ApiError> {
        let bad = |message: String| ApiError::BadRequest {
            code: "malformed_json",
            message,
        };
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| bad(format!("The body is not valid JSON: {e}")))?;
        let serde_json::Value::Object(map) = value else {
            return Err(bad("The body must be a JSON object of fields.".into()));
        };
        let mut fields = Vec::with_capacity(map.len());
        let mut wrong_type = Vec::new();
        for (name, value) in map {
            match value {
                serde_json::Value::String(s) => fields.push((name, s)),
                serde_json::Value::Bool(b) => fields.push((name, b.to_string())),
                serde_json::Value::Number(n) => fields.push((name, n.to_string())),
                serde_json::Value::Null => {}
                serde_json::Value::Array(items) if lists.contains(&name.as_str()) => {
                    for item in items {
                        match item {
                            serde_json::Value::String(s) => fields.push((name.clone(), s)),
                            _ => wrong_type.push(FieldError::new(
                                name.clone(),
                                "invalid_type",
                                "must be an array of strings",
                            )),
                        }
                    }
                }
                _ => wrong_type.push(FieldError::new(
                    name,
                    "invalid_type",
                    "must be a string, number or boolean",
                )),
            }
        }
        if !wrong_type.is_empty() {
            return Err(ApiError::Invalid(wrong_type));
        }
        Ok(Self(fields))
    }

    fn from_urlencoded(body: &[u8], lists: &[&str]) -> Result<Self, ApiError> {
        if std::str::from_utf8(body).is_err() {
            return Err(ApiError::BadRequest {
                code: "malformed_form",
                message: "The form body is not UTF-8.".into(),
            });
        }
        let mut fields: Vec<(String, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(body) {
            if !lists.contains(&name.as_ref()) && fields.iter().any(|(n, _)| *n == name) {
                return Err(ApiError::BadRequest {
                    code: "duplicate_field",
                    message: format!("The field {name:?} was sent more than once."),
                });
            }
            fields.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self(fields))
    }

    /// Removes and returns the field `name`.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let at = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.remove(at).1)
    }
}

/// Turns raw fields into domain values. Every problem is collected, so one 422 names every bad field.
pub struct FieldReader {
    fields: RawFields,
    errors: Vec<FieldError>,
}

impl FieldReader {
    pub fn new(fields: RawFields) -> Self {
        Self {
            fields,
            errors: Vec::new(),
        }
    }

    /// A field that may be left out; an empty or blank value counts as left out.
    pub fn optional<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        let raw = self.fields.take(name)?;
        if raw.trim().is_empty() {
            return None;
        }
        match parse(&raw) {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.errors
                    .push(FieldError::new(name, invalid.code, invalid.message));
                None
            }
        }
    }

    /// A field that must be present and valid.
    pub fn required<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        let present = self
            .fields
            .0
            .iter()
            .any(|(n, v)| n == name && !v.trim().is_empty());
        if !present {
            self.fields.take(name);
            self.errors
                .push(FieldError::new(name, "required", "is required"));
            return None;
        }
        self.optional(name, parse)
    }

    /// Reads `name` when `wanted`, else leaves it to be reported as unknown.
    pub fn field<T>(
        &mut self,
        name: &str,
        wanted: bool,
        required: bool,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        match (wanted, required) {
            (false, _) => None,
            (true, true) => self.required(name, parse),
            (true, false) => self.optional(name, parse),
        }
    }

    /// Whether field `name` was refused already.
    pub fn has_error(&self, name: &str) -> bool {
        self.errors.iter().any(|e| e.field == name)
    }

    /// Whether field `name` was sent (with any value).
    pub fn present(&self, name: &str) -> bool {
        self.fields.0.iter().any(|(n, _)| n == name)
    }

    /// Every value of a list field (see [`RawFields::parse_with_lists`]), each parsed; a bad value is
    /// a field error naming the field.
    pub fn list<T>(&mut self, name: &str, parse: impl Fn(&str) -> Result<T, Invalid>) -> Vec<T> {
        let mut values = Vec::new();
        while let Some(raw) = self.fields.take(name) {
            match parse(&raw) {
                Ok(value) => values.push(value),
                Err(invalid) => {
                    self.errors
                        .push(FieldError::new(name, invalid.code, invalid.message))
                }
            }
        }
        values
    }

    /// The raw value of a control field (honeypot, token) without parsing.
    pub fn raw(&mut self, name: &str) -> Option<String> {
        self.fields.take(name)
    }

    /// Records a problem found by the caller (e.g. a consent that must be given).
    pub fn reject(&mut self, name: &str, code: &'static str, message: &str) {
        self.errors.push(FieldError::new(name, code, message));
    }

    /// Fails with every collected error, plus one `unknown_field` error per field nobody read: the
    /// service collects only what the form declares (no sensitive data slips in).
    pub fn finish(&mut self) -> Result<(), ApiError> {
        for (name, _) in std::mem::take(&mut self.fields.0) {
            self.errors.push(FieldError::new(
                name,
                "unknown_field",
                "is not a field of this form",
            ));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Invalid(std::mem::take(&mut self.errors)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EmailAddress;

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
    fn the_reader_names_every_missing_invalid_and_unknown_field() {
        let (fields, _) = RawFields::parse(
            Some("application/json"),
            br#"{"email":"nope","religion":"x"}"#,
        )
        .unwrap();
        let mut reader = FieldReader::new(fields);
        assert!(reader.required("email", EmailAddress::parse).is_none());
        assert!(
            reader
                .required("name", crate::domain::PersonName::parse)
                .is_none()
        );
        let Err(ApiError::Invalid(errors)) = reader.finish() else {
            panic!("expected 422")
        };
        let named: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            named,
            [
                ("email", "invalid_email"),
                ("name", "required"),
                ("religion", "unknown_field")
            ]
        );
    }
}
