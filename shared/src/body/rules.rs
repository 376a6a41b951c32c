//! What a body may be: the content types an endpoint reads, which of its fields are lists or maps, and
//! that it names each field once.

use crate::http::ApiError;

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
    pub(super) lists: &'a [&'a str],
    pub(super) maps: &'a [&'a str],
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
    ///
    /// [`FieldReader::list`]: super::reader::FieldReader::list
    pub fn lists(self, lists: &'a [&'a str]) -> Self {
        Self { lists, ..self }
    }

    /// Fields that hold named values: a JSON object of scalars, flattened to one `{field}.{name}` pair
    /// per entry, the names a form body would use (`decisions.analytics=true`); [`FieldReader::map`]
    /// reads them back.
    ///
    /// [`FieldReader::map`]: super::reader::FieldReader::map
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

/// The 400 for a body that names `name` twice (a list field aside).
pub(super) fn duplicate(name: &str) -> ApiError {
    ApiError::BadRequest {
        code: "duplicate_field",
        message: format!("The field {name:?} was sent more than once."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
