//! Decisions through the test host: banner config, decisions, history, receipts, GPC, TCF / GPP strings.

use super::support::{decision, history, post, shared_default_consent, spawn};
use crate::harness::TestApp;
use serde_json::{Value, json};
use shared::records::ConsentMethod;
use shared::store::Log;
use std::collections::BTreeSet;

#[tokio::test]
async fn the_config_lists_categories_and_texts_with_a_hash_that_follows_the_texts() {
    let app = spawn().await;
    let config: Value = app.get("/api/consent/config").await.json().await.unwrap();
    let ids: Vec<&str> = config["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["necessary", "analytics", "marketing"]);
    assert_eq!(config["texts"]["de"]["reject_all"], "Alle ablehnen");
    let hash = config["text_hash"].as_str().unwrap();
    assert!(hash.starts_with("sha256:") && hash.len() == 71);

    let default = shared_default_consent();
    let changed = TestApp::spawn_with(|vars| {
        vars.set("consent", default.replace("Reject all", "Refuse all"));
    })
    .await;
    let other: Value = changed
        .get("/api/consent/config")
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(
        other["text_hash"], config["text_hash"],
        "another text, another hash"
    );
}

#[tokio::test]
async fn a_first_decision_creates_an_id_and_a_later_one_appends_to_its_history() {
    let app = spawn().await;

    let first = post(
        &app,
        &decision(&app, "reject_all", json!({}), None).await,
        &[],
    )
    .await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let id = first["consent_id"].as_str().unwrap().to_owned();
    assert!(shared::ids::is_id(&id));
    assert_eq!(
        first["decisions"],
        json!({"necessary": true, "analytics": false, "marketing": false})
    );
    assert_eq!(first["receipt_url"], format!("/api/consent/{id}"));

    let second = post(
        &app,
        &decision(&app, "custom", json!({"analytics": true}), Some(&id)).await,
        &[],
    )
    .await;
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["consent_id"], id.as_str());

    let receipt: Value = app
        .get(&format!("/api/consent/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["current"]["method"], "custom");
    assert_eq!(receipt["current"]["decisions"]["analytics"], true);
    let ns: Vec<u64> = receipt["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["n"].as_u64().unwrap())
        .collect();
    assert_eq!(ns, [2, 1], "newest first");
    let stored = history(&app, &id).await;
    assert_eq!(stored[1].method, ConsentMethod::RejectAll);
    assert_eq!(
        stored[1].page_url.as_deref(),
        Some("https://www.example.com/pricing")
    );
    let log: Vec<_> = app.store().log_entries(Log::Consents, 0, 2).await.unwrap();
    assert!(
        log.iter()
            .all(|(_, e)| e.as_ref().and_then(|e| e.record.as_deref()) == Some(id.as_str()))
    );
}

#[tokio::test]
async fn the_receipt_is_a_readable_page_for_browsers_and_unknown_ids_are_not_found() {
    let app = spawn().await;
    let answer: Value = post(
        &app,
        &decision(&app, "accept_all", json!({}), None).await,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    let id = answer["consent_id"].as_str().unwrap();

    let page = app
        .send(
            app.client
                .get(app.url(&format!("/api/consent/{id}")))
                .header("accept", "text/html"),
        )
        .await;
    assert_eq!(page.status(), 200);
    // A page of the product: a CSP allowing no script and only its own inline stylesheet.
    assert_eq!(
        page.headers()["content-security-policy"],
        shared::http::page_csp()
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(id) && html.contains("analytics: yes"));
    assert_eq!(
        app.get("/api/consent/AAAAAAAAAAAAAAAAAAAAAA")
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/api/consent/not-an-id").await.status(), 404);
}

#[tokio::test]
async fn sec_gpc_refuses_every_sale_or_share_category_and_the_record_says_so() {
    let app = spawn().await;

    let answer: Value = post(
        &app,
        &decision(&app, "accept_all", json!({}), None).await,
        &[("sec-gpc", "1")],
    )
    .await
    .json()
    .await
    .unwrap();

    assert_eq!(
        answer["decisions"],
        json!({"necessary": true, "analytics": true, "marketing": false})
    );
    assert_eq!(answer["gpc"], true);
    assert_eq!(answer["gpc_honored"], true);
    let id = answer["consent_id"].as_str().unwrap();
    let stored = history(&app, id).await;
    assert!(stored[0].gpc);
    assert_eq!(stored[0].gpc_refused, ["marketing"]);

    // The receipt shows that the opt-out request was honoured, as JSON and on the page, in the
    // language of the page the decision was made on.
    let receipt: Value = app
        .get(&format!("/api/consent/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["gpc_honored"], true);
    for (lang, words) in [
        ("en", "Opt-out request honored"),
        ("de", "Opt-out-Anfrage berücksichtigt"),
        ("nl", "Opt-outverzoek gehonoreerd"),
    ] {
        let mut body = decision(&app, "accept_all", json!({}), None).await;
        body["locale"] = json!(lang);
        let made: Value = post(&app, &body, &[("sec-gpc", "1")])
            .await
            .json()
            .await
            .unwrap();
        let page = app
            .send(
                app.client
                    .get(app.url(made["receipt_url"].as_str().unwrap()))
                    .header("accept", "text/html"),
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains(words), "{lang}: {page}");
    }
    // Without the signal, nothing is claimed.
    let plain: Value = post(
        &app,
        &decision(&app, "accept_all", json!({}), None).await,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(plain["gpc_honored"], false);
}

#[tokio::test]
async fn expiry_follows_the_configured_lifetimes_for_consent_and_for_refusal() {
    let app = spawn().await;

    let accepted: Value = post(
        &app,
        &decision(&app, "accept_all", json!({}), None).await,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    let refused: Value = post(
        &app,
        &decision(&app, "reject_all", json!({}), None).await,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();

    for (answer, days) in [(accepted, 365), (refused, 180)] {
        let d = &history(&app, answer["consent_id"].as_str().unwrap()).await[0];
        assert_eq!(
            d.expires_at.unix_millis() - d.at.unix_millis(),
            days * 86_400_000
        );
        assert_eq!(answer["expires_at"], d.expires_at.to_rfc3339());
    }
}

#[tokio::test]
async fn a_consent_record_holds_the_truncated_ip_and_country_never_the_full_ip() {
    let app = spawn().await;
    for (ip, truncated, country) in [
        ("80.128.0.77", "80.128.0.0", "DE"),
        ("2003:e0:1234:5678::9", "2003:e0:1234::", "DE"),
    ] {
        let answer: Value = post(
            &app,
            &decision(&app, "accept_all", json!({}), None).await,
            &[("x-forwarded-for", ip)],
        )
        .await
        .json()
        .await
        .unwrap();
        let stored = history(&app, answer["consent_id"].as_str().unwrap()).await;
        assert_eq!(stored[0].ip_truncated, truncated);
        assert_eq!(stored[0].country.as_deref(), Some(country));
        let everything = serde_json::to_string(&stored).unwrap();
        assert!(!everything.contains(ip), "no full IP in {everything}");
        let entries =
            serde_json::to_string(&app.store().log_entries(Log::Consents, 0, 10).await.unwrap())
                .unwrap();
        assert!(!entries.contains(ip));
    }
}

#[tokio::test]
async fn refused_decisions_name_the_field_and_store_nothing() {
    let app = spawn().await;
    let valid = decision(&app, "custom", json!({"analytics": true}), None).await;
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let cases = [
        (
            with("decisions", json!({"necessary": false})),
            "decisions.necessary",
            "required_category",
        ),
        (
            with("decisions", json!({"ads": true})),
            "decisions.ads",
            "unknown_category",
        ),
        (
            with("decisions", json!({"analytics": "yes"})),
            "decisions.analytics",
            "invalid_type",
        ),
        (
            with("banner_version", json!("1999-01")),
            "banner_version",
            "unknown_version",
        ),
        (
            with("text_hash", json!(format!("sha256:{}", "0".repeat(64)))),
            "text_hash",
            "text_mismatch",
        ),
        (
            with("consent_id", json!("../../etc")),
            "consent_id",
            "invalid_id",
        ),
        (with("locale", json!("fr")), "locale", "unknown_locale"),
        (with("method", json!("maybe")), "method", "invalid_method"),
        (with("religion", json!("none")), "religion", "unknown_field"),
    ];
    for (body, field, code) in cases {
        let response = post(&app, &body, &[]).await;
        assert_eq!(response.status(), 422, "{field}");
        let error: Value = response.json().await.unwrap();
        let named = error["error"]["fields"].as_array().unwrap();
        assert!(
            named
                .iter()
                .any(|f| f["field"] == field && f["code"] == code),
            "{field}/{code} in {named:?}"
        );
    }
    let unknown = with("consent_id", json!("AAAAAAAAAAAAAAAAAAAAAA"));
    assert_eq!(
        post(&app, &unknown, &[]).await.status(),
        404,
        "an id never issued"
    );
    assert_eq!(
        app.post_raw(
            "/api/consent",
            "application/json",
            b"{\"decisions\":".to_vec()
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        app.post_raw("/api/consent", "application/json", b"[]".to_vec())
            .await
            .status(),
        400
    );
    assert_eq!(
        app.post_raw(
            "/api/consent",
            "application/x-www-form-urlencoded",
            b"method=accept_all".to_vec()
        )
        .await
        .status(),
        415
    );
    let huge = format!(
        "{{\"page_url\":\"https://x.example/{}\"}}",
        "a".repeat(300_000)
    );
    assert_eq!(
        app.post_raw("/api/consent", "application/json", huge.into_bytes())
            .await
            .status(),
        413
    );
    assert_eq!(
        app.store().log_head(Log::Consents).await.unwrap(),
        0,
        "nothing written"
    );
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_and_others_are_refused() {
    let app = TestApp::spawn_with(|vars| {
        vars.set("allowed_origins", "https://www.example.com");
    })
    .await;
    let preflight = async |origin: &'static str| {
        let headers = [
            ("origin", origin),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ];
        app.options("/api/consent", &headers).await
    };

    let allowed = preflight("https://www.example.com").await;
    let refused = preflight("https://evil.example.net").await;

    assert_eq!(allowed.status(), 204);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://www.example.com"
    );
    assert!(
        allowed.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("content-type")
    );
    assert_eq!(refused.status(), 403);
    let body = decision(&app, "accept_all", json!({}), None).await;
    assert_eq!(
        post(&app, &body, &[("origin", "https://evil.example.net")])
            .await
            .status(),
        403
    );
    assert_eq!(app.store().log_head(Log::Consents).await.unwrap(), 0);
}

#[tokio::test]
async fn two_hundred_concurrent_decisions_for_one_id_are_all_kept_in_order_without_gaps() {
    let app = spawn().await;
    let first: Value = post(
        &app,
        &decision(&app, "reject_all", json!({}), None).await,
        &[],
    )
    .await
    .json()
    .await
    .unwrap();
    let id = first["consent_id"].as_str().unwrap().to_owned();
    let body = decision(&app, "custom", json!({"analytics": true}), Some(&id)).await;

    let posts = (0..200).map(|_| post(&app, &body, &[]));
    for response in futures::future::join_all(posts).await {
        assert_eq!(response.status(), 201);
    }

    let stored = history(&app, &id).await;
    let ns: Vec<u64> = stored.iter().map(|d| d.n).collect();
    assert_eq!(
        ns,
        (1..=201).rev().collect::<Vec<_>>(),
        "every decision, newest first, no gap"
    );
    let log = app
        .store()
        .log_entries(Log::Consents, 0, 201)
        .await
        .unwrap();
    let details: BTreeSet<String> = log
        .iter()
        .map(|(_, e)| e.as_ref().unwrap().detail.clone().unwrap())
        .collect();
    assert_eq!(details.len(), 201, "one register entry per decision");
}

#[tokio::test]
async fn the_site_s_own_tcf_and_gpp_strings_are_kept_with_the_decision_and_shown_in_its_receipt() {
    let app = spawn().await;
    let tc = "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA.IAAA";
    let gpp = "DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA.QA";
    let mut body = decision(&app, "accept_all", json!({}), None).await;
    body["tc_string"] = json!(tc);
    body["gpp_string"] = json!(gpp);
    body["gpp_sid"] = json!("2_7");
    let response = post(&app, &body, &[]).await;
    assert_eq!(response.status(), 201);
    let answer: Value = response.json().await.unwrap();
    let id = answer["consent_id"].as_str().unwrap();
    let stored = &history(&app, id).await[0];
    assert_eq!(stored.tc_string.as_deref(), Some(tc));
    assert_eq!(stored.gpp_string.as_deref(), Some(gpp));
    assert_eq!(stored.gpp_sid.as_deref(), Some(&[2, 7][..]));

    let receipt: Value = app
        .get(&format!("/api/consent/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["current"]["tc_string"], tc);
    assert_eq!(receipt["current"]["gpp_sid"], json!([2, 7]));
    let page = app
        .send(
            app.client
                .get(app.url(&format!("/api/consent/{id}")))
                .header("accept", "text/html"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(tc) && page.contains("GPP section ids"),
        "{page}"
    );

    // Malformed strings: 422 naming each, nothing stored.
    let mut bad = decision(&app, "accept_all", json!({}), None).await;
    bad["tc_string"] = json!("BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA");
    bad["gpp_string"] = json!("DBABMA~~x");
    bad["gpp_sid"] = json!("2__7");
    let response = post(&app, &bad, &[]).await;
    assert_eq!(response.status(), 422);
    let mut fields = crate::harness::invalid_fields(response).await;
    fields.sort();
    assert_eq!(fields, ["gpp_sid", "gpp_string", "tc_string"]);
    let entries = app.store().log_head(Log::Consents).await.unwrap();
    assert_eq!(entries, 1, "only the first decision was stored");
}
