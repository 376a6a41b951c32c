//! The document as served: the written template with what configuration decides filled in, and the
//! parts of the deployment that are switched off left out.

use super::consent::consent;
use super::fields::{Fields, text};
use super::forms::{forms, lists};
use super::links::links;
use super::urlencoded::form_bodies;
use crate::capture::{Banner, CaptureSettings, Forms};
use crate::domain::shape::literal;
use crate::domain::{ConsentId, OfficerText, Shape, SourceName};
use crate::time::Timestamp;
use serde_json::{Value, json};

/// The written document: everything that does not depend on configuration.
pub const TEMPLATE: &str = include_str!("openapi.json");

/// What of the configuration the document reflects.
pub struct Deployment<'a> {
    pub capture: &'a CaptureSettings,
    pub forms: &'a Forms,
    pub lists: &'a [ConsentId],
    pub banner: &'a Banner,
    /// The register is signed (`register_signing_key` set): its routes serve.
    pub register: bool,
    /// Key management is open (`admin_api_key` set).
    pub key_management: bool,
}

/// The document for `deployment` at `now` (earlier banner versions expire).
pub fn document(deployment: &Deployment, now: Timestamp) -> Value {
    let mut doc: Value = serde_json::from_str(TEMPLATE).expect("openapi.json is JSON");
    let fields = Fields {
        redirects: deployment.capture.redirect_prefixes(),
    };
    forms(&mut doc, deployment.forms, &fields);
    for name in [
        "NewsletterSignupRequest",
        "DemoRequestRequest",
        "DoNotCallRequest",
        "PrivacyRequestAsk",
    ] {
        let schema = &mut doc["components"]["schemas"][name];
        if name == "NewsletterSignupRequest" {
            lists(schema, deployment.lists);
        }
        fields.refine(schema);
    }
    consent(
        &mut doc["components"]["schemas"]["ConsentDecisionRequest"],
        deployment.banner,
        now,
    );
    decision(
        &mut doc["components"]["schemas"]["PrivacyDecision"],
        &fields,
    );
    doc["components"]["schemas"]["NewApiKeyRequest"]["properties"]["expires_at"] = json!({
        "anyOf": [{"type": "null"}, {"type": "string", "pattern": future_time(now)}],
        "description": "RFC 3339 UTC (`2030-01-31T00:00:00Z`, a fraction allowed), in the future; this document names the years after the one it was made in.",
    });
    let source = &mut doc["components"]["schemas"]["ContactSource"]["properties"];
    source["name"] = text(&SourceName::shape(), true);
    source["obtained_at"]["pattern"] = json!(past_day(now));
    links(&mut doc);
    form_bodies(&mut doc);
    let paths = doc["paths"].as_object_mut().expect("paths");
    if !deployment.register {
        paths.retain(|path, _| !path.starts_with("/api/v1/register/"));
    }
    if !deployment.key_management {
        paths.retain(|path, _| !path.starts_with("/api/v1/keys"));
    }
    doc
}

/// A staff decision's fields as the server reads them: a denial's reason code and text, an
/// extension's reason, and the fields a rectification may change (never blank; `null` leaves a field
/// as it is).
fn decision(decision: &mut Value, fields: &Fields) {
    for alternative in decision["oneOf"].as_array_mut().into_iter().flatten() {
        let properties = &mut alternative["properties"];
        if let Some(reason) = properties.get_mut("reason") {
            let shape = match reason["enum"].as_array() {
                Some(codes) => {
                    let codes: Vec<String> = codes
                        .iter()
                        .filter_map(|c| c.as_str().map(literal))
                        .collect();
                    Shape::trimmed(&codes.join("|"), None)
                }
                None => OfficerText::shape(),
            };
            *reason = text(&shape, true);
        }
        if let Some(words) = properties.get_mut("text") {
            *words = text(&OfficerText::shape(), false);
        }
        let Some(changes) = properties.get_mut("changes") else {
            continue;
        };
        let names: Vec<String> = changes["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        for name in &names {
            if let Some(given) = fields.field(name, true) {
                changes["properties"][name] = json!({"anyOf": [{"type": "null"}, given]});
            }
        }
        // At least one field that is not `null`.
        changes["anyOf"] = names
            .iter()
            .map(|name| json!({"required": [name], "properties": {name: {"type": "string"}}}))
            .collect();
    }
}

/// An RFC 3339 UTC time in a year after `now`'s (which is surely in the future).
fn future_time(now: Timestamp) -> String {
    let year: u32 = now.to_rfc3339()[..4].parse().unwrap_or(9998);
    format!(
        "^{}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\\.[0-9]+)?Z$",
        at_least(year + 1)
    )
}

/// A pattern of the calendar days of the years 1900 to the one before `now`'s (days 1 to 28, so every
/// date it names exists).
fn past_day(now: Timestamp) -> String {
    let last: u32 = now.to_rfc3339()[..4]
        .parse::<u32>()
        .unwrap_or(2001)
        .saturating_sub(1);
    let (tens, ones) = ((last / 10) % 10, last % 10);
    let mut years = vec!["19[0-9]{2}".to_owned()];
    if tens > 0 {
        years.push(format!("20[0-{}][0-9]", tens - 1));
    }
    years.push(format!("20{tens}[0-{ones}]"));
    format!(
        "^(?:{})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])$",
        years.join("|")
    )
}

/// A pattern of the four-digit numbers from `n` (at most 9999) on.
fn at_least(n: u32) -> String {
    let digits: Vec<u32> = format!("{n:04}")
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let mut alternatives = vec![format!("{n:04}")];
    for place in (0..4).rev() {
        let bumped = digits[place] + 1;
        if bumped <= 9 {
            let prefix: String = digits[..place].iter().map(|d| d.to_string()).collect();
            let rest = 3 - place;
            alternatives.push(format!("{prefix}[{bumped}-9][0-9]{{{rest}}}"));
        }
    }
    format!("(?:{})", alternatives.join("|"))
}
