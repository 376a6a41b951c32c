//! The urlencoded request bodies' own schemas: a form body cannot say `null`, so each gets a copy of
//! its JSON schema without it.

use serde_json::{Value, json};

/// A form body cannot say `null`: each urlencoded request body gets its own schema, `{name}-form`,
/// the JSON one without `null`.
pub(super) fn form_bodies(doc: &mut Value) {
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
pub(super) fn without_null(schema: &mut Value) {
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
