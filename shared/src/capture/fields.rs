//! Request bodies as named string fields (the raw DTO), and a reader that turns them into domain
//! values, collecting every field error at once.

use crate::domain::{Invalid, parse_tick};
use crate::http::{ApiError, FieldError, read_body};
use http::{HeaderMap, header};
use http_body::Body;

const NOT_A_LIST: &str = "must be an array of strings";
const NOT_A_SCALAR: &str = "must be a string (a checkbox: true or false)";
const NOT_A_STRING: &str = "must be a string";
const NOT_A_FLAG: &str = "must be true or false";

/// A JSON field's value: a string, or a boolean (which only checkboxes and flags take). Numbers,
/// arrays and objects are refused, so that a JSON body has exactly the types the OpenAPI document
/// gives it.
enum Scalar {
    Text(String),
    Flag(bool),
}

/// A JSON scalar as a field value (`None` for `null`, which counts as left out); `Err` for a number,
/// an array or an object.
fn scalar(value: serde_json::Value) -> Result<Option<Scalar>, ()> {
    match value {
        serde_json::Value::String(s) => Ok(Some(Scalar::Text(s))),
        serde_json::Value::Bool(b) => Ok(Some(Scalar::Flag(b))),
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(_)
        | serde_json::Value::Array(_)
        | serde_json::Value::Object(_) => Err(()),
    }
}

fn duplicate(name: &str) -> ApiError {
    ApiError::BadRequest {
        code: "duplicate_field",
        message: format!("The field {name:?} was sent more than once."),
    }
}

/// How the body was sent; decides the shape of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `fetch` with a JSON object.
    Json,
    /// A plain HTML `<form>` post (or `fetch` with `URLSearchParams`).
    UrlEncoded,
}

/// What a body may be: the content types an endpoint reads, and which of its fields are lists or maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyRules<'a> {
    accepts: Accepts,
    lists: &'a [&'a str],
    maps: &'a [&'a str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accepts {
    JsonOrForm,
    Json,
    AnyJson,
}

impl<'a> BodyRules<'a> {
    /// JSON or a urlencoded form: what the website's posts send.
    pub fn form() -> Self {
        Self::accepting(Accepts::JsonOrForm)
    }

    /// `application/json` only.
    pub fn json() -> Self {
        Self::accepting(Accepts::Json)
    }

    /// `application/json` or any `application/*+json` (a PATCH's `merge-patch+json`).
    pub fn any_json() -> Self {
        Self::accepting(Accepts::AnyJson)
    }

    fn accepting(accepts: Accepts) -> Self {
        Self {
            accepts,
            lists: &[],
            maps: &[],
        }
    }

    /// Fields that may hold several values: a JSON array of strings, or the field repeated in a form
    /// body (`rights=access&rights=erasure`). Each value becomes one pair; [`FieldReader::list`] reads
    /// them back.
    pub fn lists(self, lists: &'a [&'a str]) -> Self {
        Self { lists, ..self }
    }

    /// Fields that hold named values: a JSON object of scalars, flattened to one `{field}.{name}` pair
    /// per entry, the names a form body would use (`decisions.analytics=true`); [`FieldReader::map`]
    /// reads them back.
    pub fn maps(self, maps: &'a [&'a str]) -> Self {
        Self { maps, ..self }
    }

    /// The format of a body of `content_type`, or 415 naming what is accepted; decided before the body
    /// is read, so a wrong-type upload is refused without buffering it.
    pub fn format(&self, content_type: Option<&str>) -> Result<BodyFormat, ApiError> {
        let accepted = match self.accepts {
            Accepts::JsonOrForm => "application/json or application/x-www-form-urlencoded",
            Accepts::Json | Accepts::AnyJson => "application/json",
        };
        let media = content_type
            .and_then(|ct| ct.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .ok_or(ApiError::UnsupportedMediaType { accepted })?;
        match (self.accepts, media.as_str()) {
            (_, "application/json") => Ok(BodyFormat::Json),
            (Accepts::JsonOrForm, "application/x-www-form-urlencoded") => {
                Ok(BodyFormat::UrlEncoded)
            }
            (Accepts::AnyJson, m) if m.starts_with("application/") && m.ends_with("+json") => {
                Ok(BodyFormat::Json)
            }
            _ => Err(ApiError::UnsupportedMediaType { accepted }),
        }
    }
}

/// The fields of a post, names and values as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawFields(Vec<(String, String)>, Marks);

/// The fields whose JSON value was no string: booleans (their value is kept as `true`/`false`), and
/// map entries sent as `null` (kept blank), which a map reader tells apart from a blank string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Marks {
    flags: Vec<String>,
    nulls: Vec<String>,
}

/// What a map entry was sent as.
enum Entry<'a> {
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
            BodyFormat::Json => Self::from_json(body, rules)?,
            BodyFormat::UrlEncoded => Self::from_urlencoded(body, rules.lists)?,
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

    fn from_json(body: &[u8], rules: &BodyRules<'_>) -> Result<Self, ApiError> {
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
        let mut marks = Marks::default();
        let mut wrong_type = Vec::new();
        let mut keep = |name: String, value: Scalar, fields: &mut Vec<(String, String)>| match value
        {
            Scalar::Text(s) => fields.push((name, s)),
            Scalar::Flag(b) => {
                marks.flags.push(name.clone());
                fields.push((name, b.to_string()));
            }
        };
        for (name, value) in map {
            if rules.lists.contains(&name.as_str()) {
                let serde_json::Value::Array(items) = value else {
                    if !value.is_null() {
                        wrong_type.push(FieldError::new(name, "invalid_type", NOT_A_LIST));
                    }
                    continue;
                };
                for item in items {
                    let serde_json::Value::String(s) = item else {
                        // One error per list, however many of its items are wrong.
                        wrong_type.push(FieldError::new(name.clone(), "invalid_type", NOT_A_LIST));
                        break;
                    };
                    fields.push((name.clone(), s));
                }
            } else if rules.maps.contains(&name.as_str()) {
                let serde_json::Value::Object(entries) = value else {
                    if !value.is_null() {
                        wrong_type.push(FieldError::new(
                            name,
                            "invalid_type",
                            "must be an object of name: value",
                        ));
                    }
                    continue;
                };
                for (key, value) in entries {
                    let name = format!("{name}.{key}");
                    match scalar(value) {
                        Ok(Some(value)) => keep(name, value, &mut fields),
                        // Kept, so that an entry the endpoint does not know is refused even so.
                        Ok(None) => {
                            marks.nulls.push(name.clone());
                            fields.push((name, String::new()));
                        }
                        Err(()) => {
                            wrong_type.push(FieldError::new(name, "invalid_type", NOT_A_SCALAR))
                        }
                    }
                }
            } else {
                match scalar(value) {
                    Ok(Some(value)) => keep(name, value, &mut fields),
                    // `null` counts as left out, like a blank value; a field the endpoint does not
                    // take is still refused as unknown.
                    Ok(None) => fields.push((name, String::new())),
                    Err(()) => wrong_type.push(FieldError::new(name, "invalid_type", NOT_A_SCALAR)),
                }
            }
        }
        if !wrong_type.is_empty() {
            return Err(ApiError::Invalid(wrong_type));
        }
        // A flattened map entry may meet a top-level field of the same name (`"decisions.x"`): a body
        // names each field once, as in a form body.
        let mut names: Vec<&str> = fields
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !rules.lists.contains(n))
            .collect();
        names.sort_unstable();
        if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(duplicate(twice[0]));
        }
        Ok(Self(fields, marks))
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
                return Err(duplicate(&name));
            }
            fields.push((name.into_owned(), value.into_owned()));
        }
        Ok(Self(fields, Marks::default()))
    }

    /// Removes and returns the field `name`.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let at = self.0.iter().position(|(n, _)| n == name)?;
        self.1.flags.retain(|n| n != name);
        self.1.nulls.retain(|n| n != name);
        Some(self.0.remove(at).1)
    }

    /// Whether `name` was sent as a JSON boolean rather than a string.
    fn is_flag(&self, name: &str) -> bool {
        self.1.flags.iter().any(|n| n == name)
    }

    /// What the map entry `name`, valued `raw`, was sent as.
    fn entry<'a>(&self, name: &str, raw: &'a str) -> Entry<'a> {
        if self.is_flag(name) {
            Entry::Flag(raw == "true")
        } else if self.1.nulls.iter().any(|n| n == name) {
            Entry::Null
        } else {
            Entry::Text(raw)
        }
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
        let raw = self.text(name)?;
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

    /// Every value of a list field (see [`BodyRules::lists`]), each parsed; a bad value is a field
    /// error naming the field.
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

    /// Every entry of a map field (see [`BodyRules::maps`]): `(name, value)` for each `{field}.{name}`
    /// pair, each value parsed by `parse(name, raw)`; a refused one (a boolean among them) is a field
    /// error naming `{field}.{name}`. `parse` gets `None` for an entry sent as JSON `null`, so that it
    /// decides what that means and still refuses a name it does not know.
    pub fn map<T>(
        &mut self,
        field: &str,
        mut parse: impl FnMut(&str, Option<&str>) -> Result<T, Invalid>,
    ) -> Vec<(String, T)> {
        self.entries(field, |key, entry| match entry {
            Entry::Text(raw) => parse(key, Some(raw)),
            Entry::Null => parse(key, None),
            Entry::Flag(_) => Err(Invalid::new("invalid_type", NOT_A_STRING)),
        })
    }

    /// As [`FieldReader::map`], for a map of JSON booleans (`{"analytics": true}`).
    pub fn flag_map<T>(
        &mut self,
        field: &str,
        mut check: impl FnMut(&str, Option<bool>) -> Result<T, Invalid>,
    ) -> Vec<(String, T)> {
        self.entries(field, |key, entry| match entry {
            Entry::Flag(flag) => check(key, Some(flag)),
            Entry::Null => check(key, None),
            Entry::Text(_) => Err(Invalid::new("invalid_type", NOT_A_FLAG)),
        })
    }

    fn entries<T>(
        &mut self,
        field: &str,
        mut parse: impl FnMut(&str, Entry<'_>) -> Result<T, Invalid>,
    ) -> Vec<(String, T)> {
        let prefix = format!("{field}.");
        let mut values = Vec::new();
        let taken: Vec<(String, String)> = self
            .fields
            .0
            .extract_if(.., |(name, _)| name.starts_with(&prefix))
            .collect();
        for (name, raw) in taken {
            let key = &name[prefix.len()..];
            match parse(key, self.fields.entry(&name, &raw)) {
                Ok(value) => values.push((key.to_owned(), value)),
                Err(invalid) => {
                    self.errors
                        .push(FieldError::new(&name, invalid.code, invalid.message))
                }
            }
        }
        self.fields
            .1
            .flags
            .retain(|name| !name.starts_with(&prefix));
        self.fields
            .1
            .nulls
            .retain(|name| !name.starts_with(&prefix));
        values
    }

    /// Whether any entry of map field `field` was sent.
    pub fn present_under(&self, field: &str) -> bool {
        self.fields.0.iter().any(|(name, _)| {
            name.strip_prefix(field)
                .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    /// The raw value of a control field (honeypot, token) without parsing.
    pub fn raw(&mut self, name: &str) -> Option<String> {
        self.text(name)
    }

    /// A checkbox: `true`/`false` in JSON, or a form's checkbox value ([`parse_tick`]: `on`, `true`,
    /// `off`, ...); `None` when absent or empty.
    pub fn tick(&mut self, name: &str) -> Option<bool> {
        if self.fields.is_flag(name) {
            return self.fields.take(name).map(|raw| raw == "true");
        }
        self.optional(name, parse_tick)
    }

    /// Removes the string field `name`; a JSON boolean there is a field error.
    fn text(&mut self, name: &str) -> Option<String> {
        if self.fields.is_flag(name) {
            self.fields.take(name);
            self.errors
                .push(FieldError::new(name, "invalid_type", NOT_A_STRING));
            return None;
        }
        self.fields.take(name)
    }

    /// Records a problem found by the caller (e.g. a consent that must be given).
    pub fn reject(&mut self, name: &str, code: &'static str, message: &str) {
        self.errors.push(FieldError::new(name, code, message));
    }

    /// Fails with every collected error, plus one `unknown_field` error per field nobody read: the
    /// service collects only what the form declares (no sensitive data slips in).
    pub fn finish(&mut self) -> Result<(), ApiError> {
        self.finish_with("is not a field of this form")
    }

    /// As [`FieldReader::finish`], telling the sender of an unknown field `unknown` (what the body may
    /// hold instead).
    pub fn finish_with(&mut self, unknown: &str) -> Result<(), ApiError> {
        for (name, _) in std::mem::take(&mut self.fields.0) {
            self.errors
                .push(FieldError::new(name, "unknown_field", unknown));
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
    use crate::domain::{EmailAddress, parse_bool};

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

    fn errors(result: Result<impl std::fmt::Debug, ApiError>) -> Vec<(String, &'static str)> {
        match result {
            Err(ApiError::Invalid(errors)) => {
                errors.into_iter().map(|e| (e.field, e.code)).collect()
            }
            other => panic!("expected 422, got {other:?}"),
        }
    }

    fn named(field: &str, code: &'static str) -> Vec<(String, &'static str)> {
        vec![(field.to_owned(), code)]
    }

    #[test]
    fn each_endpoint_reads_only_the_content_types_its_rules_accept() {
        let form = Some("application/x-www-form-urlencoded");
        let patch = Some("application/merge-patch+json; charset=utf-8");
        let json = Some("application/json");
        assert_eq!(
            BodyRules::form().format(form).unwrap(),
            BodyFormat::UrlEncoded
        );
        assert!(matches!(
            BodyRules::json().format(form),
            Err(ApiError::UnsupportedMediaType {
                accepted: "application/json"
            })
        ));
        assert!(BodyRules::json().format(patch).is_err());
        assert!(BodyRules::form().format(patch).is_err());
        assert_eq!(
            BodyRules::any_json().format(patch).unwrap(),
            BodyFormat::Json
        );
        assert!(
            BodyRules::any_json()
                .format(Some("text/plain+json"))
                .is_err()
        );
        for rules in [BodyRules::form(), BodyRules::json(), BodyRules::any_json()] {
            assert_eq!(rules.format(json).unwrap(), BodyFormat::Json);
            assert!(rules.format(None).is_err());
        }
    }

    #[test]
    fn a_map_field_is_flattened_to_the_names_a_form_body_would_use() {
        let rules = BodyRules::form().maps(&["decisions"]);
        let (json, _) = RawFields::parse_as(
            Some("application/json"),
            br#"{"decisions":{"analytics":"true","ads":"false"},"method":"custom"}"#,
            &rules,
        )
        .unwrap();
        let (form, _) = RawFields::parse_as(
            Some("application/x-www-form-urlencoded"),
            b"decisions.ads=false&decisions.analytics=true&method=custom",
            &rules,
        )
        .unwrap();
        for fields in [json, form] {
            let mut reader = FieldReader::new(fields);
            assert!(reader.present_under("decisions"));
            assert!(!reader.present_under("decision"));
            let mut decisions = reader.map("decisions", |_, raw| parse_bool(raw.unwrap()));
            decisions.sort();
            assert_eq!(
                decisions,
                [("ads".to_owned(), false), ("analytics".to_owned(), true)]
            );
            assert!(!reader.present_under("decisions"));
            assert_eq!(reader.raw("method").as_deref(), Some("custom"));
            reader.finish().unwrap();
        }
    }

    #[test]
    fn json_takes_strings_where_a_string_belongs_and_booleans_only_for_checkboxes() {
        let (fields, _) = RawFields::parse(
            Some("application/json"),
            br#"{"name":true,"consent_a":true,"consent_b":"on","consent_c":false}"#,
        )
        .unwrap();
        let mut reader = FieldReader::new(fields);
        assert_eq!(reader.optional("name", |raw| Ok(raw.to_owned())), None);
        assert_eq!(reader.tick("consent_a"), Some(true));
        assert_eq!(reader.tick("consent_b"), Some(true));
        assert_eq!(reader.tick("consent_c"), Some(false));
        assert_eq!(errors(reader.finish()), named("name", "invalid_type"));
        for (body, field) in [
            (r#"{"name":5}"#, "name"),
            (r#"{"consent_a":1}"#, "consent_a"),
        ] {
            assert_eq!(
                errors(RawFields::parse(Some("application/json"), body.as_bytes())),
                named(field, "invalid_type")
            );
        }
    }

    #[test]
    fn a_map_entry_that_is_refused_is_named_by_its_full_name() {
        let rules = BodyRules::json().maps(&["decisions"]);
        let (fields, _) = RawFields::parse_as(
            Some("application/json"),
            br#"{"decisions":{"analytics":"yes","ads":true}}"#,
            &rules,
        )
        .unwrap();
        let mut reader = FieldReader::new(fields);
        let taken = reader.flag_map("decisions", |_, granted| Ok(granted));
        assert_eq!(taken, [("ads".to_owned(), Some(true))]);
        assert_eq!(
            errors(reader.finish()),
            named("decisions.analytics", "invalid_type")
        );
    }

    #[test]
    fn a_map_or_list_of_the_wrong_shape_is_refused_naming_the_field() {
        let rules = BodyRules::json().maps(&["decisions"]).lists(&["rights"]);
        let parse =
            |body: &str| RawFields::parse_as(Some("application/json"), body.as_bytes(), &rules);
        assert_eq!(
            errors(parse(r#"{"decisions":true}"#)),
            named("decisions", "invalid_type")
        );
        assert_eq!(
            errors(parse(r#"{"decisions":{"analytics":[true]}}"#)),
            named("decisions.analytics", "invalid_type")
        );
        assert_eq!(
            errors(parse(r#"{"rights":"access"}"#)),
            named("rights", "invalid_type")
        );
        assert_eq!(
            errors(parse(r#"{"rights":[1,2,3]}"#)),
            named("rights", "invalid_type")
        );
        assert_eq!(
            errors(parse(r#"{"other":{"a":1}}"#)),
            named("other", "invalid_type")
        );
        // Null is a field left out, whatever its kind; a name the endpoint does not take is still
        // refused.
        let (fields, _) = parse(r#"{"decisions":null,"rights":null,"other":null}"#).unwrap();
        assert_eq!(
            errors(FieldReader::new(fields).finish()),
            named("other", "unknown_field")
        );
    }

    #[test]
    fn a_null_map_entry_reaches_the_map_reader_as_none_and_an_unknown_name_is_still_refused() {
        let rules = BodyRules::json().maps(&["decisions", "changes"]);
        let (fields, _) = RawFields::parse_as(
            Some("application/json"),
            br#"{"decisions":{"ads":null,"unknown":null},"changes":{"name":null}}"#,
            &rules,
        )
        .unwrap();
        let mut reader = FieldReader::new(fields);
        assert!(reader.present_under("decisions"));
        let taken = reader.flag_map("decisions", |name, granted| match name {
            "ads" => Ok(granted),
            _ => Err(Invalid::new("unknown_category", "not a category")),
        });
        assert_eq!(taken, [("ads".to_owned(), None)]);
        assert_eq!(
            reader.map("changes", |_, raw| Ok(raw.map(str::to_owned))),
            [("name".to_owned(), None)]
        );
        assert_eq!(
            errors(reader.finish()),
            named("decisions.unknown", "unknown_category")
        );
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

    #[test]
    fn an_unknown_field_is_named_with_the_endpoints_own_words() {
        let (fields, _) = RawFields::parse(Some("application/json"), br#"{"owner":"x"}"#).unwrap();
        let mut reader = FieldReader::new(fields);
        let Err(ApiError::Invalid(errors)) = reader.finish_with("Only status can be changed.")
        else {
            panic!("expected 422")
        };
        assert_eq!(errors[0].code, "unknown_field");
        assert_eq!(errors[0].message, "Only status can be changed.");
    }
}
