//! The configured forms and newsletter lists in the document: one path and one body schema per form,
//! one checkbox per list.

use super::fields::{Fields, VISIT_FIELDS};
use crate::capture::{FormSpec, Forms};
use crate::domain::ConsentId;
use serde_json::{Map, Value, json};

/// The one path of each form in place of the written `/api/forms/{form}` ones, with the form's own
/// body schema.
pub(super) fn forms(doc: &mut Value, forms: &Forms, fields: &Fields) {
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
pub(super) fn for_form(item: &Value, id: &str) -> Value {
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
pub(super) fn form_body(spec: &FormSpec) -> Value {
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

/// One `list_<id>` checkbox per newsletter list, in place of the written pattern.
pub(super) fn lists(schema: &mut Value, lists: &[ConsentId]) {
    if let Some(object) = schema.as_object_mut() {
        object.remove("patternProperties");
    }
    for list in lists {
        schema["properties"][format!("list_{}", list.as_str())] = json!({});
    }
}
