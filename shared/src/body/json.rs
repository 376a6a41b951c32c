//! A JSON body decoded to fields: an object of strings (booleans for checkboxes and flags), with its
//! list fields as arrays of strings and its map fields as objects flattened to `{field}.{name}`.

use super::rules::{BodyRules, duplicate};
use crate::http::{ApiError, FieldError};

const NOT_A_LIST: &str = "must be an array of strings";
const NOT_A_SCALAR: &str = "must be a string (a checkbox: true or false)";

/// The fields whose JSON value was no string: booleans (their value is kept as `true`/`false`), and
/// map entries sent as `null` (kept blank), which a map reader tells apart from a blank string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Marks {
    pub(super) flags: Vec<String>,
    pub(super) nulls: Vec<String>,
}

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

/// The fields of a JSON body as `rules` say: 400 for a body that is no JSON object (or names a field
/// twice), 422 for a value of the wrong shape.
pub(super) fn decode(
    body: &[u8],
    rules: &BodyRules<'_>,
) -> Result<(Vec<(String, String)>, Marks), ApiError> {
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
    let mut keep = |name: String, value: Scalar, fields: &mut Vec<(String, String)>| match value {
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
                    Err(()) => wrong_type.push(FieldError::new(name, "invalid_type", NOT_A_SCALAR)),
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
    Ok((fields, marks))
}
