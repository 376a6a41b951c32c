//! The access package as a page a person can read: each record as a list of its fields, the register
//! entries about them as a table, and the facts about the processing.

use http::{Response, StatusCode};
use serde_json::Value;
use shared::http::{escape_html, page};

/// `a.b.c: value` lines for every leaf of `value`.
fn leaves(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&key, v, out);
            }
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let joined: Vec<String> = items.iter().map(scalar).collect();
            out.push((prefix.to_owned(), joined.join(", ")));
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(&format!("{prefix}[{}]", i + 1), v, out);
            }
        }
        Value::Null => {}
        other => out.push((prefix.to_owned(), scalar(other))),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn fields(value: &Value) -> String {
    let mut rows = Vec::new();
    leaves("", value, &mut rows);
    let items: String = rows
        .iter()
        .map(|(k, v)| format!("<dt>{}</dt><dd>{}</dd>", escape_html(k), escape_html(v)))
        .collect();
    format!("<dl>{items}</dl>")
}

pub fn package_page(package: &Value, json_url: &str) -> Response<String> {
    let mut body = format!(
        "<p>This is everything we hold about you, generated {}. \
         <a href=\"{}\">Download it as JSON</a> to take it to another service.</p>",
        escape_html(package["generated_at"].as_str().unwrap_or_default()),
        escape_html(json_url)
    );
    body.push_str("<h2>You</h2>");
    body.push_str(&fields(&package["person"]));
    body.push_str("<h2>What we hold</h2>");
    match package["records"].as_object() {
        Some(records) if !records.is_empty() => {
            for (collection, items) in records {
                body.push_str(&format!(
                    "<h3>{}</h3>",
                    escape_html(&collection.replace('_', " "))
                ));
                for item in items.as_array().into_iter().flatten() {
                    body.push_str(&fields(item));
                }
            }
        }
        _ => body.push_str("<p>Nothing.</p>"),
    }
    body.push_str(
        "<h2>Who processed your data</h2><table><caption>Entries of our processing register about your \
         records</caption><tr><th scope=col>When</th><th scope=col>What</th><th scope=col>By</th>\
         <th scope=col>Details</th></tr>",
    );
    for entry in package["processing"].as_array().into_iter().flatten() {
        let by = match &entry["by"] {
            Value::Object(actor) => match actor.get("type").and_then(Value::as_str) {
                Some("api_key") => format!(
                    "staff (API key {})",
                    actor.get("key_id").and_then(Value::as_str).unwrap_or("?")
                ),
                Some("visitor") => "you (website)".into(),
                _ => "our system".into(),
            },
            _ => String::new(),
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td>{} ({})</td><td>{}</td><td>{}</td></tr>",
            escape_html(entry["at"].as_str().unwrap_or_default()),
            escape_html(entry["action"].as_str().unwrap_or_default()),
            escape_html(entry["log"].as_str().unwrap_or_default()),
            escape_html(&by),
            escape_html(entry["detail"].as_str().unwrap_or_default()),
        ));
    }
    body.push_str("</table><h2>About this processing</h2>");
    body.push_str(&fields(&package["about_this_processing"]));
    page(StatusCode::OK, "Your data", &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_leaf_is_listed_and_escaped() {
        let mut rows = Vec::new();
        leaves(
            "",
            &json!({"a": {"b": "<x>"}, "list": ["p", "q"], "n": 3, "none": null}),
            &mut rows,
        );
        assert_eq!(
            rows,
            [
                ("a.b".to_owned(), "<x>".to_owned()),
                ("list".to_owned(), "p, q".to_owned()),
                ("n".to_owned(), "3".to_owned()),
            ]
        );
        assert!(fields(&json!({"a": "<x>"})).contains("&lt;x&gt;"));
    }
}
