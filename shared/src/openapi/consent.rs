//! The consent decision's schema as the banner decides it: the versions still accepted with their
//! text hashes, the locales and the categories.

use super::fields::{ID, checkbox, text};
use crate::capture::Banner;
use crate::domain::{GppSectionIds, GppString, PolicyVersion, Shape, TcString, TextHash, WebUrl};
use crate::time::Timestamp;
use serde_json::{Map, Value, json};

/// The fields of a decision that the banner decides: its versions still accepted with their text
/// hashes, its locales and its categories.
pub(super) fn consent(schema: &mut Value, banner: &Banner, now: Timestamp) {
    let accepted = banner.accepted(now);
    let any_of = |schemas: Vec<Value>| match <[Value; 1]>::try_from(schemas) {
        Ok([one]) => one,
        Err(many) => json!({"anyOf": many}),
    };
    // The version in force is cited with either regime's hash: listed once.
    let mut versions: Vec<Value> = Vec::new();
    for (version, _) in &accepted {
        let schema = version_schema(version);
        if !versions.contains(&schema) {
            versions.push(schema);
        }
    }
    let versions = any_of(versions);
    let hashes = any_of(accepted.iter().map(|(_, h)| hash_schema(h)).collect());
    // With earlier versions still in force, a decision cites a version with that version's hash.
    let pairs: Vec<Value> = accepted
        .iter()
        .map(|(version, hash)| {
            json!({
                "properties": {
                    "banner_version": version_schema(version),
                    "text_hash": hash_schema(hash),
                }
            })
        })
        .collect();
    let properties = &mut schema["properties"];
    properties["banner_version"] = versions;
    properties["text_hash"] = hashes;
    properties["locale"] = json!({"type": "string", "enum": banner.locales});
    properties["consent_id"] = text(&Shape::new(ID, None), false);
    properties["page_url"] = text(&WebUrl::shape(), false);
    // The site's own IAB CMP strings, kept as proof (checked for syntax and size only).
    properties["tc_string"] = text(&TcString::shape(), false);
    properties["gpp_string"] = text(&GppString::shape(), false);
    properties["gpp_sid"] = text(&GppSectionIds::shape(), false);
    // `navigator.globalPrivacyControl`, read as a checkbox is.
    let described = properties["gpc"]["description"].clone();
    properties["gpc"] = checkbox(false);
    properties["gpc"]["description"] = described;
    let categories: Map<String, Value> = banner
        .shown
        .categories
        .iter()
        .map(|c| {
            // `null` is a category left out.
            let choice = if c.required {
                json!({"enum": [true, null], "description": "Strictly necessary: cannot be refused."})
            } else {
                json!({"type": ["boolean", "null"]})
            };
            (c.id.clone(), choice)
        })
        .collect();
    properties["decisions"] = json!({
        "type": ["object", "null"],
        "properties": categories,
        "additionalProperties": false,
        "description": "One true/false per category of the banner; a category left out is not chosen.",
    });
    schema["additionalProperties"] = false.into();
    if pairs.len() > 1 {
        schema["anyOf"] = pairs.into();
    }
}

pub(super) fn version_schema(version: &PolicyVersion) -> Value {
    version.shape_of().schema(false)
}

pub(super) fn hash_schema(hash: &TextHash) -> Value {
    hash.shape_of().schema(false)
}
