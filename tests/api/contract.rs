//! The OpenAPI document as a contract the tests hold the app to: every response the harness sees from
//! the project app is checked against the operation it answers (its status must be documented, its
//! JSON body, and each NDJSON line, must validate against the documented schema).

use serde_json::{Value, json};
use sha2::Digest;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// An app's OpenAPI document, as its marketing API serves it (it reflects the app's configuration).
pub struct Document {
    value: Value,
    /// Tells documents apart in the validator cache (their components differ with configuration).
    id: String,
}

impl Document {
    pub fn new(value: Value) -> Self {
        let id = format!("{:x}", sha2::Sha256::digest(value.to_string().as_bytes()));
        Self { value, id }
    }

    pub fn value(&self) -> &Value {
        &self.value
    }
}

/// The documented path template that `path` (no query) falls under; literal segments win over
/// parameters, as in the app's routers.
pub fn template<'d>(doc: &'d Document, path: &str) -> Option<&'d str> {
    let segments: Vec<&str> = path.split('/').collect();
    doc.value["paths"]
        .as_object()?
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') && part.ends_with('}') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

/// Holds one response to the document. `path` without its query; `headers` the names of the response's
/// headers; `content_type` as sent.
pub fn check(
    doc: &Document,
    method: &str,
    path: &str,
    status: u16,
    headers: &[&str],
    content_type: Option<&str>,
    body: &[u8],
) {
    let Some(template) = template(doc, path) else {
        return;
    };
    let method = method.to_ascii_lowercase();
    let Some(operation) = doc.value["paths"][template].get(&method) else {
        assert!(
            matches!(status, 404 | 405),
            "{method} {path} answered {status} but {template} documents no {method}"
        );
        return;
    };
    let response = operation["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| {
            panic!("{method} {template} answered {status}, which is not documented")
        });
    let documented = response["headers"].as_object().into_iter().flatten();
    for (name, header) in documented {
        if header["required"] == true {
            assert!(
                headers.iter().any(|h| h.eq_ignore_ascii_case(name)),
                "{method} {template} {status} lacks the required header {name}"
            );
        }
    }
    let media = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    let Some(media) = media else { return };
    let content = &response["content"];
    if !content.is_null() && !body.is_empty() {
        assert!(
            content.get(&media).is_some(),
            "{method} {template} {status} answered {media}, which is not documented"
        );
    }
    let json_schema = &content["application/json"]["schema"];
    if json_schema.is_null() {
        return;
    }
    let context = format!("{method} {template} {status}");
    match media.as_str() {
        "application/json" => {
            let value: Value = serde_json::from_slice(body)
                .unwrap_or_else(|e| panic!("{context}: the body is not JSON: {e}"));
            validate(doc, &context, json_schema, &value);
        }
        "application/x-ndjson" => {
            let item = item_schema(doc, json_schema);
            for line in String::from_utf8_lossy(body).lines() {
                let value: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{context}: an NDJSON line is not JSON: {e}"));
                validate(doc, &format!("{context} (NDJSON line)"), &item, &value);
            }
        }
        _ => {}
    }
}

/// The schema of one item of a JSON page (`{"items": [...]}`), for NDJSON lines.
fn item_schema(doc: &Document, page: &Value) -> Value {
    let page = match page["$ref"].as_str() {
        Some(reference) => doc
            .value
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("unresolved {reference}")),
        None => page,
    };
    page["properties"]["items"]["items"].clone()
}

/// Validates `value` against `schema`, whose `#/components/...` references resolve in the document.
pub fn validate(doc: &Document, context: &str, schema: &Value, value: &Value) {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let key = format!("{} {schema}", doc.id);
    let validator = {
        let mut cache = VALIDATORS.get_or_init(Default::default).lock().unwrap();
        cache
            .entry(key)
            .or_insert_with(|| {
                let wrapped = json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "components": doc.value["components"],
                    "allOf": [schema],
                });
                std::sync::Arc::new(
                    jsonschema::validator_for(&wrapped)
                        .unwrap_or_else(|e| panic!("{context}: the schema does not compile: {e}")),
                )
            })
            .clone()
    };
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{context}: the response does not match the OpenAPI schema:\n{}\n{value:#}",
        errors.join("\n")
    );
}
