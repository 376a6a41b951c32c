//! Request fields' schemas from the same domain types the handlers parse with, so the document
//! states every rule the server enforces and refuses unknown fields where the server does.

use crate::domain::shape::literal;
use crate::domain::{
    CompanyName, CountryCode, EmailAddress, JobTitle, Language, Message, PersonName, PhoneNumber,
    PolicyVersion, PreferredTime, RequestDetails, Shape, TextHash, UtmValue, WebUrl, tick_shape,
};
use serde_json::{Value, json};

/// The fields every capture post may carry besides its own.
pub(super) const VISIT_FIELDS: [&str; 14] = [
    "language",
    "page_url",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "consent_policy_version",
    "consent_text_hash",
    "consent_id",
    "_token",
    "_gotcha",
    "_next",
];

/// Gives the fields of a written request schema the shapes their parsers accept.
pub(super) struct Fields {
    /// Where `_next` may point.
    pub(super) redirects: Vec<String>,
}

impl Fields {
    /// Replaces each known property's schema by its field's shape (blank allowed unless required),
    /// makes `consent_policy_version` required when the body has consent checkboxes (as the server
    /// does) and refuses other fields.
    pub(super) fn refine(&self, schema: &mut Value) {
        let required: Vec<String> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect();
        let mut required = required;
        let names: Vec<String> = schema["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let checkboxes = names
            .iter()
            .any(|n| n.starts_with("consent_") && !VISIT_FIELDS.contains(&n.as_str()));
        if checkboxes && names.iter().any(|n| n == "consent_policy_version") {
            required.push("consent_policy_version".into());
        }
        required.sort();
        required.dedup();
        for name in &names {
            let is_required = required.contains(name);
            let Some(refined) = self.field(name, is_required) else {
                if !is_required {
                    blank_enum(&mut schema["properties"][name]);
                }
                continue;
            };
            let property = &mut schema["properties"][name];
            let description = property["description"].clone();
            *property = refined;
            if !description.is_null() {
                property["description"] = description;
            }
        }
        schema["required"] = required.into();
        schema["additionalProperties"] = false.into();
    }

    /// The schema of field `name`; `None` for a field this does not know (left as written).
    pub(super) fn field(&self, name: &str, required: bool) -> Option<Value> {
        let shape = match name {
            "name" => PersonName::shape(),
            "email" => EmailAddress::shape(),
            "company" => CompanyName::shape(),
            "title" => JobTitle::shape(),
            "phone" => PhoneNumber::shape(),
            "country" => CountryCode::shape(),
            "message" => Message::shape(),
            "preferred_time" => PreferredTime::shape(),
            "details" => RequestDetails::shape(),
            "page_url" | "referrer" => WebUrl::shape(),
            "language" | "lang" => Language::shape(),
            "consent_policy_version" => PolicyVersion::shape(),
            "consent_text_hash" => TextHash::shape(),
            "_next" => WebUrl::shape_under(&self.redirects),
            "_token" | "_gotcha" => return Some(json!({"type": ["string", "null"]})),
            "consent_id" => Shape::trimmed(ID, None),
            n if n.starts_with("utm_") => UtmValue::shape(),
            n if n.starts_with("consent_")
                || n.starts_with("list_")
                || n == "california_resident" =>
            {
                return Some(checkbox(required));
            }
            _ => return None,
        };
        Some(text(&shape, required))
    }
}

/// The pattern of a record id (`ids::is_id`).
pub(super) const ID: &str = "[A-Za-z0-9_-]{22}";

/// A written optional field with an `enum` of strings also takes a blank value or `null`.
fn blank_enum(property: &mut Value) {
    let Some(words) = property["enum"].as_array() else {
        return;
    };
    let words: Vec<String> = words
        .iter()
        .filter_map(|w| w.as_str().map(literal))
        .collect();
    let shape = Shape::new(words.join("|"), None);
    let description = property["description"].clone();
    *property = text(&shape, false);
    if !description.is_null() {
        property["description"] = description;
    }
}

/// A string field of `shape`; an optional one may be blank or `null` (both count as left out).
pub fn text(shape: &Shape, required: bool) -> Value {
    let mut schema = shape.schema(!required);
    if !required {
        schema["type"] = json!(["string", "null"]);
    }
    schema
}

/// A checkbox: JSON `true`/`false` or a form's checkbox value; a required one must be ticked.
pub(super) fn checkbox(required: bool) -> Value {
    if required {
        json!({"anyOf": [{"const": true}, tick_shape(true).schema(false)]})
    } else {
        json!({"anyOf": [{"type": ["boolean", "null"]}, tick_shape(false).schema(true)]})
    }
}
