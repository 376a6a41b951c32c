//! The OpenAPI document of the whole public API as this deployment serves it: the written document
//! (`openapi.json`) with what configuration decides filled in from the same types the handlers parse
//! with: each form's fields and consent checkboxes, the newsletter lists, the banner's versions and
//! text hashes, the thank-you URLs allowed, and which optional parts (register, key management) are on.
//!
//! Every request field's schema is its domain type's [`Shape`], so the document states every rule the
//! server enforces, and refuses unknown fields where the server does.

use crate::capture::{Banner, CaptureSettings, FormSpec, Forms};
use crate::domain::shape::literal;
use crate::domain::{
    CompanyName, ConsentId, CountryCode, EmailAddress, JobTitle, Message, OfficerText, PersonName,
    PhoneNumber, PolicyVersion, PreferredTime, RequestDetails, Shape, TextHash, UtmValue, WebUrl,
    tick_shape,
};
use crate::time::Timestamp;
use serde_json::{Map, Value, json};

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

/// Links for stateful testing and for readers: what one answer hands the next request.
fn links(doc: &mut Value) {
    let link =
        |doc: &mut Value, path: &str, method: &str, status: &str, name: &str, link: Value| {
            if let Some(response) = doc.pointer_mut(&format!(
                "/paths/{}/{method}/responses/{status}",
                path.replace('~', "~0").replace('/', "~1")
            )) {
                response["links"][name] = link;
            }
        };
    link(
        doc,
        "/api/v1/keys",
        "post",
        "201",
        "revoke",
        json!({
            "operationId": "revokeKey",
            "parameters": {"path.id": "$response.body#/id"},
        }),
    );
    link(
        doc,
        "/api/demo",
        "post",
        "201",
        "show",
        json!({
            "operationId": "getDemoRequest",
            "parameters": {"path.id": "$response.body#/id"},
        }),
    );
    link(
        doc,
        "/api/v1/demo-requests/{id}",
        "get",
        "200",
        "update",
        json!({
            "operationId": "updateDemoRequest",
            "parameters": {"path.id": "$request.path.id", "header.If-Match": "$response.header.ETag"},
        }),
    );
    link(
        doc,
        "/api/consent",
        "post",
        "201",
        "receipt",
        json!({
            "operationId": "consentReceipt",
            "parameters": {"path.id": "$response.body#/consent_id"},
        }),
    );
    link(
        doc,
        "/api/consent",
        "post",
        "201",
        "decideAgain",
        json!({
            "operationId": "recordConsent",
            "requestBody": {"consent_id": "$response.body#/consent_id"},
        }),
    );
    link(
        doc,
        "/api/v1/privacy-requests",
        "get",
        "200",
        "show",
        json!({
            "operationId": "showPrivacyRequestToStaff",
            "parameters": {"path.id": "$response.body#/items/0/id"},
        }),
    );
    link(
        doc,
        "/api/v1/privacy-requests/{id}",
        "get",
        "200",
        "decide",
        json!({
            "operationId": "decidePrivacyRequest",
            "parameters": {"path.id": "$request.path.id", "header.If-Match": "$response.header.ETag"},
        }),
    );
    for token in [
        "/api/newsletter/token",
        "/api/demo/token",
        "/api/privacy/requests/token",
    ] {
        let target = match token {
            "/api/newsletter/token" => "subscribeNewsletter",
            "/api/demo/token" => "requestDemo",
            _ => "askPrivacyRequest",
        };
        link(
            doc,
            token,
            "get",
            "200",
            "submit",
            json!({
                "operationId": target,
                "requestBody": {"_token": "$response.body#/token"},
            }),
        );
    }
}

/// A form body cannot say `null`: each urlencoded request body gets its own schema, `{name}-form`,
/// the JSON one without `null`.
fn form_bodies(doc: &mut Value) {
    const FORM: &str = "application/x-www-form-urlencoded";
    let mut made: Vec<(String, String)> = Vec::new();
    for item in doc["paths"].as_object_mut().expect("paths").values_mut() {
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let Some(schema) = operation.pointer_mut(&format!(
                "/requestBody/content/{}/schema",
                FORM.replace('/', "~1")
            )) else {
                continue;
            };
            let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) else {
                continue;
            };
            let (name, form_name) = (name.to_owned(), format!("{name}-form"));
            *schema = json!({"$ref": format!("#/components/schemas/{form_name}")});
            made.push((form_name, name));
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("schemas");
    for (form_name, name) in made {
        let mut schema = schemas[name.as_str()].clone();
        without_null(&mut schema);
        schemas.insert(form_name, schema);
    }
}

/// Removes `null` from every `type` list and `enum` in `schema`.
fn without_null(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if let Some(Value::Array(types)) = object.get_mut("type") {
                types.retain(|t| t != "null");
            }
            if let Some(Value::Array(values)) = object.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
            object.values_mut().for_each(without_null);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}

/// The one path of each form in place of the written `/api/forms/{form}` ones, with the form's own
/// body schema.
fn forms(doc: &mut Value, forms: &Forms, fields: &Fields) {
    let paths = doc["paths"].as_object_mut().expect("paths");
    let post = paths.remove("/api/forms/{form}").unwrap_or_default();
    let token = paths.remove("/api/forms/{form}/token").unwrap_or_default();
    let mut schemas = Map::new();
    for (id, spec) in forms.iter() {
        let schema_name = format!("Form-{id}");
        let mut schema = form_body(spec);
        fields.refine(&mut schema);
        schemas.insert(schema_name.clone(), schema);
        let reference = json!({"$ref": format!("#/components/schemas/{schema_name}")});
        let mut post = for_form(&post, id);
        for media in ["application/json", "application/x-www-form-urlencoded"] {
            post["post"]["requestBody"]["content"][media]["schema"] = reference.clone();
        }
        let mut token = for_form(&token, id);
        token["get"]["responses"]["200"]["links"] = json!({
            "submit": {
                "operationId": format!("submitForm-{id}"),
                "description": "Post the form with the render token.",
                "requestBody": {"_token": "$response.body#/token"},
            }
        });
        paths.insert(format!("/api/forms/{id}"), post);
        paths.insert(format!("/api/forms/{id}/token"), token);
    }
    doc["components"]["schemas"]
        .as_object_mut()
        .expect("schemas")
        .extend(schemas);
}

/// A written `/api/forms/{form}...` path item made the path item of form `id`: no `form` parameter,
/// no 404 (the form exists), operation ids suffixed with the form's id.
fn for_form(item: &Value, id: &str) -> Value {
    let mut item = item.clone();
    for (_, operation) in item.as_object_mut().into_iter().flatten() {
        if let Some(parameters) = operation["parameters"].as_array_mut() {
            parameters.retain(|p| p["name"] != "form");
        }
        if let Some(responses) = operation["responses"].as_object_mut() {
            responses.remove("404");
        }
        if let Some(op_id) = operation["operationId"].as_str() {
            operation["operationId"] = format!("{op_id}-{id}").into();
        }
    }
    item
}

/// The body of a form: its contact fields, its consent checkboxes and the fields every post has.
fn form_body(spec: &FormSpec) -> Value {
    let mut properties = Map::new();
    let mut required: Vec<String> = Vec::new();
    for field in spec.contact.offered() {
        properties.insert(field.name().to_owned(), json!({}));
        if spec.contact.requires(*field) {
            required.push(field.name().to_owned());
        }
    }
    for id in &spec.consents {
        let name = format!("consent_{}", id.as_str());
        if spec.required_consents.contains(id) {
            required.push(name.clone());
        }
        properties.insert(name, json!({}));
    }
    for common in VISIT_FIELDS {
        properties.insert(common.to_owned(), json!({}));
    }
    json!({
        "type": "object",
        "description": "The form's fields as configured (the `forms` variable): its contact fields, one `consent_<id>` per checkbox, and the fields every post may carry.",
        "properties": properties,
        "required": required,
    })
}

/// The fields every capture post may carry besides its own.
const VISIT_FIELDS: [&str; 12] = [
    "page_url",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "consent_policy_version",
    "consent_text_hash",
    "_token",
    "_gotcha",
    "_next",
];

/// One `list_<id>` checkbox per newsletter list, in place of the written pattern.
fn lists(schema: &mut Value, lists: &[ConsentId]) {
    if let Some(object) = schema.as_object_mut() {
        object.remove("patternProperties");
    }
    for list in lists {
        schema["properties"][format!("list_{}", list.as_str())] = json!({});
    }
}

/// The fields of a decision that the banner decides: its versions still accepted with their text
/// hashes, its locales and its categories.
fn consent(schema: &mut Value, banner: &Banner, now: Timestamp) {
    let accepted = banner.accepted(now);
    let any_of = |schemas: Vec<Value>| match <[Value; 1]>::try_from(schemas) {
        Ok([one]) => one,
        Err(many) => json!({"anyOf": many}),
    };
    let versions = any_of(accepted.iter().map(|(v, _)| version_schema(v)).collect());
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

fn version_schema(version: &PolicyVersion) -> Value {
    version.shape_of().schema(false)
}

fn hash_schema(hash: &TextHash) -> Value {
    hash.shape_of().schema(false)
}

/// Gives the fields of a written request schema the shapes their parsers accept.
struct Fields {
    /// Where `_next` may point.
    redirects: Vec<String>,
}

impl Fields {
    /// Replaces each known property's schema by its field's shape (blank allowed unless required),
    /// makes `consent_policy_version` required when the body has consent checkboxes (as the server
    /// does) and refuses other fields.
    fn refine(&self, schema: &mut Value) {
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
    fn field(&self, name: &str, required: bool) -> Option<Value> {
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
const ID: &str = "[A-Za-z0-9_-]{22}";

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
fn checkbox(required: bool) -> Value {
    if required {
        json!({"anyOf": [{"const": true}, tick_shape(true).schema(false)]})
    } else {
        json!({"anyOf": [{"type": ["boolean", "null"]}, tick_shape(false).schema(true)]})
    }
}
