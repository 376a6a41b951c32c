//! The typed reader of a body's fields: turns the raw strings into domain values, collecting every
//! field error at once, and refuses the fields nobody read.

use super::raw::{Entry, RawFields};
use crate::domain::{Invalid, parse_tick};
use crate::http::{ApiError, FieldError};

const NOT_A_STRING: &str = "must be a string";
const NOT_A_FLAG: &str = "must be true or false";

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
    ///
    /// [`BodyRules::lists`]: super::rules::BodyRules::lists
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
    ///
    /// [`BodyRules::maps`]: super::rules::BodyRules::maps
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
    use super::super::rules::BodyRules;
    use super::*;
    use crate::domain::{EmailAddress, parse_bool};

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
        for (body, field) in [
            (r#"{"decisions":true}"#, "decisions"),
            (
                r#"{"decisions":{"analytics":[true]}}"#,
                "decisions.analytics",
            ),
            (r#"{"rights":"access"}"#, "rights"),
            (r#"{"rights":[1,2,3]}"#, "rights"),
            (r#"{"other":{"a":1}}"#, "other"),
        ] {
            assert_eq!(errors(parse(body)), named(field, "invalid_type"));
        }
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
