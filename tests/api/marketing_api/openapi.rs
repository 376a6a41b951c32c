//! The OpenAPI document as the contract: what it documents for a configuration, every route and method
//! answered as documented, and the contract check refusing a response that breaks it.

use super::support::{ADMIN_KEY, spawn};
use crate::harness::TestApp;
use serde_json::{Value, json};

#[tokio::test]
async fn the_openapi_document_reflects_the_configured_forms_lists_banner_and_optional_parts() {
    let app = TestApp::spawn_with(|vars| {
        vars.set(
            "forms",
            r#"
            [survey]
            kind = "content_download"
            fields = ["email", "country"]
            required = ["email"]
            consents = ["privacy_policy"]
            required_consents = ["privacy_policy"]
            thank_you = "http://127.0.0.1:3000/thanks.html"
            "#,
        )
        .set("newsletter_lists", "weekly,launches");
    })
    .await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.contains_key("/api/forms/survey"));
    assert!(paths.contains_key("/api/forms/survey/token"));
    for absent in ["/api/forms/contact", "/api/forms/{form}", "/api/v1/keys"] {
        assert!(!paths.contains_key(absent), "{absent} is documented");
    }
    assert!(
        !paths.keys().any(|p| p.starts_with("/api/v1/register/")),
        "the register is documented although it is not signed"
    );
    let form = &doc["components"]["schemas"]["Form-survey"];
    assert_eq!(form["additionalProperties"], false);
    let mut required: Vec<&str> = form["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    required.sort();
    assert_eq!(
        required,
        ["consent_policy_version", "consent_privacy_policy", "email"]
    );
    let fields = form["properties"].as_object().unwrap();
    assert!(fields.contains_key("country") && !fields.contains_key("name"));
    let signup = &doc["components"]["schemas"]["NewsletterSignupRequest"]["properties"];
    assert!(signup.get("list_weekly").is_some() && signup.get("list_launches").is_some());
    assert!(signup.get("list_product-news").is_none());
    let decision = &doc["components"]["schemas"]["ConsentDecisionRequest"];
    let version = decision["properties"]["banner_version"]["pattern"]
        .as_str()
        .unwrap();
    assert!(version.contains("2026-12"), "{version}");
    let opened = spawn().await;
    let opened = opened.document().await.value();
    assert!(opened["paths"].get("/api/v1/keys").is_some());
}

#[tokio::test]
async fn every_documented_path_answers_a_method_it_does_not_take_with_405_naming_its_methods() {
    let template: Value = serde_json::from_str(shared::openapi::TEMPLATE).unwrap();
    let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    let mut written: Vec<(String, String)> = template["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, operations)| {
            let mut methods: Vec<String> = operations
                .as_object()
                .unwrap()
                .keys()
                .map(|m| m.to_ascii_uppercase())
                .filter(|m| order.contains(&m.as_str()))
                .collect();
            methods.sort_by_key(|m| order.iter().position(|o| o == m));
            (path.clone(), methods.join(", "))
        })
        .collect();
    // The desk's pages (GET) are for browsers: the document lists only its form posts.
    let mut table: Vec<(String, String)> = shared::routes::all()
        .iter()
        .map(|(p, m)| match shared::routes::is_desk(p) {
            true => (p.to_string(), m.replace("GET, ", "").replace("GET", "")),
            false => (p.to_string(), m.to_string()),
        })
        .filter(|(_, m)| !m.is_empty())
        .collect();
    written.sort();
    table.sort();
    assert_eq!(
        table, written,
        "shared::routes and the OpenAPI document disagree"
    );
    let app = TestApp::spawn_with(|vars| {
        vars.set("admin_api_key", ADMIN_KEY)
            .set("register_signing_key", "7".repeat(64));
    })
    .await;
    for (path, methods) in &written {
        let path = path
            .replace("{form}", "contact")
            .replace("{token}", "not-a-token")
            .replace("{level}", "0")
            .replace("{index}", "000")
            .replace("{id}", "AAAAAAAAAAAAAAAAAAAAAA");
        let trace = reqwest::Method::from_bytes(b"TRACE").unwrap();
        let response = app.send(app.client.request(trace, app.url(&path))).await;
        assert_eq!(response.status(), 405, "TRACE {path}");
        let methods = shared::routes::allowed(&path).unwrap_or(methods);
        assert_eq!(response.headers()["allow"], methods, "TRACE {path}");
    }
}

#[tokio::test]
async fn every_route_in_spin_toml_is_documented() {
    let manifest = ::host::manifest::Manifest::load(&crate::harness::project_manifest()).unwrap();
    let app = spawn().await;
    let paths: Vec<&String> = app.document().await.value()["paths"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    for trigger in &manifest.http_triggers {
        let prefix = trigger.route.trim_end_matches("...");
        let covered = paths.iter().any(|p| {
            if prefix.ends_with('/') {
                p.starts_with(prefix) || format!("{p}/") == prefix
            } else {
                p.as_str() == prefix
            }
        });
        assert!(
            covered,
            "route {} of {} is not documented",
            trigger.route, trigger.component
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_answered_by_its_route() {
    let app = spawn().await;
    let doc = app.document().await.value();
    for (template, operations) in doc["paths"].as_object().unwrap() {
        let path = template
            .replace("{token}", "not-a-token")
            .replace("{id}", "AAAAAAAAAAAAAAAAAAAAAA");
        for (method, operation) in operations.as_object().unwrap() {
            let Ok(method) = method.to_ascii_uppercase().parse::<reqwest::Method>() else {
                continue;
            };
            // Sent through the harness, so the answer is also held to the document.
            let response = app
                .send(app.client.request(method.clone(), app.url(&path)))
                .await;
            let status = response.status().as_u16();
            assert_ne!(
                status, 405,
                "{method} {template} is documented but not routed"
            );
            if status == 404 {
                assert!(
                    operation["responses"].get("404").is_some(),
                    "{method} {template} answered 404"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_contract_refuses_a_response_that_breaks_its_schema() {
    let app = spawn().await;
    let doc = app.document().await;
    let check = |status, headers: &'static [&'static str], body: Value| {
        let body = serde_json::to_vec(&body).unwrap();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let json = Some("application/json");
            crate::contract::check(
                doc,
                "GET",
                "/api/v1/submissions",
                status,
                headers,
                json,
                &body,
            )
        }))
    };
    let wrong_item = json!({"items": [{"id": 7}], "next_cursor": "x"});
    assert!(
        check(200, &[], wrong_item).is_err(),
        "a wrong item type must fail"
    );
    assert!(
        check(418, &[], json!({})).is_err(),
        "an undocumented status must fail"
    );
    let unauthorized = json!({"error": {"code": "unauthorized", "message": "m"}});
    assert!(
        check(401, &[], unauthorized.clone()).is_err(),
        "a 401 without WWW-Authenticate must fail"
    );
    assert!(check(401, &["www-authenticate"], unauthorized).is_ok());
    assert!(check(200, &[], json!({"items": [], "next_cursor": "x"})).is_ok());
}
