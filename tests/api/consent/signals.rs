//! The signals a real site needs: the regime of the visitor's region, what Google Consent Mode was told,
//! the opt-out notice's "Do not sell or share", and Global Privacy Control reaching the person a form
//! names through the browser's consent id.

use super::support::{decision, history, post};
use crate::forms::support::{TEST_FORMS, contact};
use crate::harness::{TestApp, field_errors, test_settings};
use crate::marketing_api::support::{ADMIN_KEY, create_key};
use serde_json::{Value, json};
use shared::domain::{ConsentModeType, Grant, Regime};
use shared::records::{ConsentMethod, OptOut, OptOutSource};
use shared::store::Channel;

const GERMANY: &str = "80.128.0.77";
const UNITED_STATES: &str = "8.8.8.8";

async fn spawn() -> TestApp {
    TestApp::spawn_with(|vars| {
        vars.set("trusted_proxies", "127.0.0.1/32")
            .set("forms", TEST_FORMS)
            .set("admin_api_key", ADMIN_KEY);
    })
    .await
}

async fn config_from(app: &TestApp, ip: &str, headers: &[(&str, &str)]) -> Value {
    let mut request = app
        .client
        .get(app.url("/api/consent/config"))
        .header("x-forwarded-for", ip);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request).await.json().await.unwrap()
}

/// A decision as a visitor from `ip` sends it, citing the banner that visitor was shown.
async fn decision_from(app: &TestApp, ip: &str, method: &str, id: Option<&str>) -> Value {
    let mut body = decision(app, method, json!({}), id).await;
    body["text_hash"] = config_from(app, ip, &[]).await["text_hash"].clone();
    body
}

async fn decide(app: &TestApp, body: &Value, headers: &[(&str, &str)]) -> Value {
    let response = post(app, body, headers).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// The opt-out check's answer for one email: (email opted out, sale/share opted out).
async fn check(app: &TestApp, key: &str, email: &str) -> (bool, bool) {
    let response = app
        .send(
            app.client
                .post(app.url("/api/v1/opt-outs/check"))
                .bearer_auth(key)
                .json(&json!({"emails": [email]})),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let one = &answer["emails"][0];
    (
        one["opted_out"].as_bool().unwrap(),
        one["sale_share"].as_bool().unwrap(),
    )
}

async fn submit(app: &TestApp, email: &str, consent_id: Option<&str>, headers: &[(&str, &str)]) {
    let mut body = contact();
    body["email"] = json!(email);
    if let Some(id) = consent_id {
        body["consent_id"] = json!(id);
    }
    let response = app
        .post_json_with("/api/forms/contact", &body, headers)
        .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_german_visitor_is_opt_in_and_a_visitor_from_a_configured_country_opt_out_each_with_its_own_hash()
 {
    let app = spawn().await;
    let germany = config_from(&app, GERMANY, &[]).await;
    let states = config_from(&app, UNITED_STATES, &[]).await;
    assert_eq!(germany["regime"], "opt_in");
    assert_eq!(states["regime"], "opt_out");
    assert_ne!(
        germany["text_hash"], states["text_hash"],
        "the regime is hashed"
    );
    assert_eq!(germany["gpc"], false);
    assert_eq!(
        germany["consent_mode"]["map"]["marketing"],
        json!(["ad_storage", "ad_user_data", "ad_personalization"])
    );
    // An address the lookup does not know is opt-in; the signal is reported back to the banner.
    let unknown = config_from(&app, "192.0.2.1", &[("sec-gpc", "1")]).await;
    assert_eq!(unknown["regime"], "opt_in");
    assert_eq!(unknown["gpc"], true);

    // Each decision proves which of the two its visitor saw.
    for (ip, regime) in [(GERMANY, Regime::OptIn), (UNITED_STATES, Regime::OptOut)] {
        let made = decide(
            &app,
            &decision_from(&app, ip, "accept_all", None).await,
            &[],
        )
        .await;
        let stored = history(&app, made["consent_id"].as_str().unwrap()).await;
        assert_eq!(stored[0].regime, Some(regime));
    }

    // Another list of countries: the United States are opt-in again.
    let elsewhere = TestApp::spawn_with(|vars| {
        let banner = super::support::shared_default_consent().replace(
            "opt_out_countries = [\"US\"]",
            "opt_out_countries = [\"BR\"]",
        );
        vars.set("trusted_proxies", "127.0.0.1/32")
            .set("consent", banner);
    })
    .await;
    assert_eq!(
        config_from(&elsewhere, UNITED_STATES, &[]).await["regime"],
        "opt_in"
    );
}

#[tokio::test]
async fn each_decision_records_what_consent_mode_was_told() {
    use ConsentModeType::*;
    let app = spawn().await;
    let accepted = decide(
        &app,
        &decision_from(&app, GERMANY, "accept_all", None).await,
        &[],
    )
    .await;
    let told = &accepted["consent_mode"];
    for granted in [
        AdStorage,
        AdUserData,
        AdPersonalization,
        AnalyticsStorage,
        SecurityStorage,
    ] {
        assert_eq!(told[granted.as_str()], "granted", "{told}");
    }
    for denied in [FunctionalityStorage, PersonalizationStorage] {
        assert_eq!(told[denied.as_str()], "denied", "{told}");
    }
    let refused = decide(
        &app,
        &decision_from(&app, GERMANY, "reject_all", None).await,
        &[],
    )
    .await;
    let stored = history(&app, refused["consent_id"].as_str().unwrap()).await;
    let mode = &stored[0].consent_mode;
    assert_eq!(mode.len(), 7);
    assert!(
        mode.iter()
            .all(|(t, g)| (*t == SecurityStorage) == (*g == Grant::Granted)),
        "{mode:?}"
    );
    // The receipt page says it in Google's words.
    let page = app
        .send(
            app.client
                .get(app.url(refused["receipt_url"].as_str().unwrap()))
                .header("accept", "text/html"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("ad_storage: denied"), "{page}");
}

#[tokio::test]
async fn do_not_sell_or_share_is_the_opt_out_notice_s_choice_and_refuses_only_sale_and_sharing() {
    let app = spawn().await;
    let made = decide(
        &app,
        &decision_from(&app, UNITED_STATES, "do_not_sell_or_share", None).await,
        &[],
    )
    .await;
    assert_eq!(
        made["decisions"],
        json!({"necessary": true, "analytics": true, "marketing": false})
    );
    assert_eq!(made["consent_mode"]["ad_storage"], "denied");
    assert_eq!(made["consent_mode"]["analytics_storage"], "granted");
    let stored = history(&app, made["consent_id"].as_str().unwrap()).await;
    assert_eq!(stored[0].method, ConsentMethod::DoNotSellOrShare);

    // The browser's flag, sent by the banner as `gpc` without the header, is the same signal.
    let mut flagged = decision_from(&app, UNITED_STATES, "accept_all", None).await;
    flagged["gpc"] = json!(true);
    let honoured = decide(&app, &flagged, &[]).await;
    assert_eq!(honoured["gpc_honored"], true);
    assert_eq!(honoured["decisions"]["marketing"], false);

    // The opt-in banner has no such button: citing it, the method is refused.
    let response = post(
        &app,
        &decision_from(&app, GERMANY, "do_not_sell_or_share", None).await,
        &[],
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        field_errors(response).await,
        [("method".to_owned(), "not_offered".to_owned())]
    );
}

#[tokio::test]
async fn gpc_reaches_the_person_a_form_names_through_the_browser_s_consent_id() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["opt-outs:read"], None).await;

    // The signal first, then a form carrying the browser's id.
    let signalled = decide(
        &app,
        &decision_from(&app, GERMANY, "accept_all", None).await,
        &[("sec-gpc", "1")],
    )
    .await;
    assert_eq!(check(&app, &key, "ada@example.com").await, (false, false));
    submit(
        &app,
        "ada@example.com",
        signalled["consent_id"].as_str(),
        &[],
    )
    .await;
    assert_eq!(check(&app, &key, "Ada@Example.com").await, (false, true));

    // A form first, then the signal from the same browser.
    let plain = decide(
        &app,
        &decision_from(&app, GERMANY, "accept_all", None).await,
        &[],
    )
    .await;
    let id = plain["consent_id"].as_str().unwrap();
    submit(&app, "grace@example.com", Some(id), &[]).await;
    assert_eq!(check(&app, &key, "grace@example.com").await, (false, false));
    decide(
        &app,
        &decision_from(&app, GERMANY, "preferences", Some(id)).await,
        &[("sec-gpc", "1")],
    )
    .await;
    assert_eq!(check(&app, &key, "grace@example.com").await, (false, true));

    // A form posted with the signal itself, no banner involved.
    submit(&app, "alan@example.com", None, &[("sec-gpc", "1")]).await;
    assert_eq!(check(&app, &key, "alan@example.com").await, (false, true));
    let entry: OptOut = app
        .store()
        .opt_out_entry(
            Channel::SaleShare,
            &test_settings().pseudonym("alan@example.com"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.source, OptOutSource::GpcSignal);

    // An id this store never issued links nobody; one of the wrong shape is refused by name.
    submit(
        &app,
        "edsger@example.com",
        Some("AAAAAAAAAAAAAAAAAAAAAA"),
        &[],
    )
    .await;
    assert_eq!(
        check(&app, &key, "edsger@example.com").await,
        (false, false)
    );
    let mut bad = contact();
    bad["consent_id"] = json!("not an id");
    let response = app.post_json("/api/forms/contact", &bad).await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        field_errors(response).await,
        [("consent_id".to_owned(), "invalid_consent_id".to_owned())]
    );
}

#[tokio::test]
async fn a_browser_that_granted_marketing_before_its_signal_may_keep_that_choice_once_asked() {
    let app = spawn().await;
    let earlier = decide(
        &app,
        &decision_from(&app, GERMANY, "accept_all", None).await,
        &[],
    )
    .await;
    let id = earlier["consent_id"].as_str().unwrap();
    let gpc = [("sec-gpc", "1")];
    let mut again = decision_from(&app, GERMANY, "preferences", Some(id)).await;
    again["decisions"] = json!({"analytics": true, "marketing": true});
    let signal_won = decide(&app, &again, &gpc).await;
    assert_eq!(signal_won["decisions"]["marketing"], false);
    assert_eq!(signal_won["gpc_honored"], true);

    // As the banner sends it from a browser with the flag: `gpc` beside the header.
    let mut keep = decision_from(&app, GERMANY, "keep_earlier_choice", Some(id)).await;
    keep["decisions"] = json!({"analytics": true, "marketing": true});
    keep["gpc"] = json!(true);
    let kept = decide(&app, &keep, &gpc).await;
    assert_eq!(kept["decisions"]["marketing"], true);
    assert_eq!(kept["gpc_honored"], false);
    assert_eq!(kept["consent_mode"]["ad_storage"], "granted");
    let stored = history(&app, id).await;
    assert_eq!(stored[0].method, ConsentMethod::KeepEarlierChoice);
    assert_eq!(stored[0].gpc_kept, ["marketing"]);
    assert!(!stored[0].gpc_honored());

    // Kept, it stays kept while the visitor goes on granting it; withdrawn, there is nothing to keep.
    let mut save = decision_from(&app, GERMANY, "preferences", Some(id)).await;
    save["decisions"] = json!({"analytics": false, "marketing": true});
    let saved = decide(&app, &save, &gpc).await;
    assert_eq!(saved["decisions"]["marketing"], true, "{saved}");
    decide(
        &app,
        &decision_from(&app, GERMANY, "withdraw", Some(id)).await,
        &gpc,
    )
    .await;
    let revived = decide(&app, &keep, &gpc).await;
    assert_eq!(revived["decisions"]["marketing"], false, "{revived}");

    // A browser that never granted marketing without the signal has nothing to keep.
    let refused = decide(
        &app,
        &decision_from(&app, GERMANY, "reject_all", None).await,
        &[],
    )
    .await;
    let other = refused["consent_id"].as_str().unwrap();
    let mut keep = decision_from(&app, GERMANY, "keep_earlier_choice", Some(other)).await;
    keep["decisions"] = json!({"marketing": true});
    let nothing = decide(&app, &keep, &gpc).await;
    assert_eq!(nothing["decisions"]["marketing"], false);
    assert_eq!(nothing["gpc_honored"], true);

    // The banner's own record of a signal that arrived is only taken with the signal.
    let response = post(
        &app,
        &decision_from(&app, GERMANY, "gpc_signal", Some(other)).await,
        &[],
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        field_errors(response).await,
        [("method".to_owned(), "signal_needed".to_owned())]
    );

    // Without the id of the earlier choice there is nothing to keep: refused by name.
    let response = post(
        &app,
        &decision_from(&app, GERMANY, "keep_earlier_choice", None).await,
        &gpc,
    )
    .await;
    assert_eq!(response.status(), 422);
    assert_eq!(
        field_errors(response).await,
        [("method".to_owned(), "earlier_choice_needed".to_owned())]
    );
}
