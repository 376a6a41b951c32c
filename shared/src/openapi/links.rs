//! OpenAPI links between operations, for stateful testing and for readers: what one answer hands the
//! next request.

use serde_json::{Value, json};

/// Links for stateful testing and for readers: what one answer hands the next request.
pub(super) fn links(doc: &mut Value) {
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
