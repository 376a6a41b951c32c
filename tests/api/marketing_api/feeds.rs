//! The feeds walked by cursor in JSON and NDJSON pages: submissions, subscribers, demo requests, consents
//! and opt-outs, IP masking, and the register entry of every pull.

use super::support::{
    access_log, assert_refused, call, capture, capture_many, column, create_key, get_with, ids,
    parse_csv, pull, pull_ok, pull_ok_of, shared_cursor, spawn,
};
use crate::harness::{TestApp, test_settings};
use serde_json::{Value, json};
use shared::records::{Action, Actor, Submission};
use shared::store::{Channel, Event, Log, RecordKind};
use shared::time::Timestamp;

#[tokio::test]
async fn bad_cursors_and_limits_get_400_and_unsupported_formats_406() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    capture(&app, 1, Timestamp::now()).await;
    for query in [
        "?after=nonsense",
        "?after=c3Vic2NyaWJlcnM6MA", /* an old, base64 cursor */
        "?limit=0",
        "?limit=1001",
        "?limit=x",
    ] {
        assert_refused(&pull(&app, &key, query).await, 400);
    }
    // A cursor past the end names no entry yet.
    let ahead = shared_cursor(99);
    assert_refused(&pull(&app, &key, &format!("?after={ahead}")).await, 404);

    let xml = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/submissions",
        Some(&key),
        &[("accept", "application/xml")],
        None,
    )
    .await;
    assert_refused(&xml, 406);
    assert_refused(&pull(&app, &key, "?format=xml").await, 406);
    assert_eq!(pull(&app, &key, "?format=json").await.status(), 200);
}

#[tokio::test]
async fn a_cursor_walk_returns_every_submission_once_in_order_and_then_waits() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let captured = capture_many(&app, 2500, Timestamp::now()).await;
    let mut seen = Vec::new();
    let mut query = "?limit=77".to_owned();
    let cursor = loop {
        let page = pull_ok(&app, &key, &query).await;
        let cursor = page["next_cursor"].as_str().unwrap().to_owned();
        let ids = ids(&page);
        if ids.is_empty() {
            break cursor;
        }
        assert!(ids.len() <= 77);
        seen.extend(ids);
        query = format!("?limit=77&after={cursor}");
    };
    assert_eq!(seen, captured);

    // A later capture and a change to an exported record come after the kept cursor, once each.
    let late = capture(&app, 2500, Timestamp::now()).await;
    let event = Event::by(
        Actor::System,
        Log::Submissions,
        Action::Updated,
        None,
        Timestamp::now(),
    );
    app.store()
        .update(
            RecordKind::Submission,
            &captured[5],
            event,
            |s: &mut Submission| {
                s.contact.name = Some("Changed".into());
                true
            },
        )
        .await
        .unwrap();
    let page = pull_ok(&app, &key, &format!("?after={cursor}")).await;
    assert_eq!(ids(&page), [late, captured[5].clone()]);
    assert_eq!(page["items"][1]["contact"]["name"], "Changed");
}

#[tokio::test]
async fn ips_are_truncated_unless_the_key_has_ip_read() {
    let app = spawn().await;
    capture(&app, 1, Timestamp::now()).await;
    let (_, plain) = create_key(&app, &["leads:read"], None).await;
    let (_, full) = create_key(&app, &["leads:read", "ip:read"], None).await;

    let masked = pull_ok(&app, &plain, "").await;
    assert_eq!(masked["items"][0]["origin"]["ip"], "203.0.113.0");
    assert!(!masked.to_string().contains("203.0.113.7"));
    let unmasked = pull_ok(&app, &full, "").await;
    assert_eq!(unmasked["items"][0]["origin"]["ip"], "203.0.113.7");
    // The store keeps the full address either way.
    let stored = app
        .store()
        .log_entries(Log::Submissions, 0, 1)
        .await
        .unwrap();
    let id = stored[0].1.as_ref().unwrap().record.clone().unwrap();
    let record = app.store().submission(&id).await.unwrap().unwrap();
    assert_eq!(record.origin.ip.as_deref(), Some("203.0.113.7"));
}

#[tokio::test]
async fn every_pull_is_registered_once_with_its_key_range_and_count() {
    let app = spawn().await;
    for n in 0..5 {
        capture(&app, n, Timestamp::now()).await;
    }
    let (id, key) = create_key(&app, &["leads:read"], None).await;
    let before = access_log(&app).await.len();
    let first = pull_ok(&app, &key, "?limit=3").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    pull_ok(&app, &key, &format!("?after={cursor}")).await;

    let register = access_log(&app).await;
    let pulls = &register[before..];
    assert_eq!(pulls.len(), 2);
    for pull in pulls {
        assert_eq!(pull.action, Action::Read);
        assert_eq!(pull.actor, Actor::ApiKey { key_id: id.clone() });
        assert_eq!(pull.record, None);
    }
    assert_eq!(
        pulls[0].detail.as_deref(),
        Some("collection=submissions after=0 to=3 count=3")
    );
    assert_eq!(
        pulls[1].detail.as_deref(),
        Some("collection=submissions after=3 to=5 count=2")
    );
    // A refused pull reads nothing and registers nothing.
    pull(&app, "garbage", "").await;
    assert_eq!(access_log(&app).await.len(), register.len());
}

#[tokio::test]
async fn ndjson_and_json_pages_of_the_same_records_agree() {
    let app = spawn().await;
    for n in 0..7 {
        capture(&app, n, Timestamp::now()).await;
    }
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let json = pull_ok(&app, &key, "?limit=5").await;

    let response = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/submissions?limit=5",
        Some(&key),
        &[("accept", "application/x-ndjson")],
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let cursor = response.headers()["next-cursor"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(cursor, json["next_cursor"].as_str().unwrap());
    let text = response.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(Value::Array(lines), json["items"]);

    let rest = pull(&app, &key, &format!("?format=ndjson&after={cursor}")).await;
    assert_eq!(rest.text().await.unwrap().lines().count(), 2);
}

#[tokio::test]
async fn subscribers_and_demo_requests_have_their_own_feeds_with_ips_truncated() {
    let app = spawn().await;
    let signup = json!({
        "email": "ada@example.com", "list_events": true, "consent_policy_version": "2026-01",
        "consent_newsletter": true,
    });
    let demo = json!({
        "name": "Grace Hopper", "email": "grace@navy.mil", "company": "Navy Labs",
        "consent_policy_version": "2026-01", "consent_privacy_policy": true,
    });
    assert_eq!(
        app.post_json("/api/newsletter", &signup).await.status(),
        201
    );
    let receipt: Value = app
        .post_json("/api/demo", &demo)
        .await
        .json()
        .await
        .unwrap();
    let (_, key) = create_key(&app, &["leads:read"], None).await;

    let subscribers = pull_ok_of(&app, &key, "subscribers", "").await;
    assert_eq!(subscribers["items"].as_array().unwrap().len(), 1);
    assert_eq!(subscribers["items"][0]["email"], "ada@example.com");
    let demos = pull_ok_of(&app, &key, "demo-requests", "").await;
    assert_eq!(ids(&demos), [receipt["id"].as_str().unwrap()]);
    assert_eq!(demos["items"][0]["status"], "requested");
    // The visitor came from 127.0.0.1: only its /24 network is served.
    assert_eq!(
        subscribers["items"][0]["signed_up"]["origin"]["ip"],
        "127.0.0.0"
    );
    assert_eq!(demos["items"][0]["origin"]["ip"], "127.0.0.0");
    for page in [&subscribers, &demos] {
        assert!(!page.to_string().contains("127.0.0.1"), "{page}");
    }
    // A cursor is a position in its own collection's log: past the end of another's, it names nothing.
    let cursor = demos["next_cursor"].as_str().unwrap();
    let crossed = pull(&app, &key, &format!("?after={cursor}")).await;
    assert_refused(&crossed, 404);
}

/// The first JSON page of `collection` for a key with `scope`, after checking that a `leads:read` key is
/// refused it; answers the key and the page.
async fn first_page_with_its_scope_only(
    app: &TestApp,
    collection: &str,
    scope: &str,
) -> (String, Value) {
    let (_, leads) = create_key(app, &["leads:read"], None).await;
    let (_, key) = create_key(app, &[scope], None).await;
    let path = format!("/api/v1/{collection}");
    assert_refused(&get_with(app, &leads, &path, &[]).await, 403);
    let page = pull_ok_of(app, &key, collection, "").await;
    (key, page)
}

/// A cookie-consent decision posted as the banner posts it; answers the consent id.
async fn decide(app: &TestApp, method: &str, decisions: Value, id: Option<&str>) -> String {
    let config: Value = app.get("/api/consent/config").await.json().await.unwrap();
    let mut body = json!({
        "decisions": decisions,
        "banner_version": config["banner_version"],
        "text_hash": config["text_hash"],
        "locale": "en",
        "method": method,
    });
    if let Some(id) = id {
        body["consent_id"] = json!(id);
    }
    let response = app.post_json("/api/consent", &body).await;
    assert!(response.status().is_success(), "{}", response.status());
    let receipt: Value = response.json().await.unwrap();
    receipt["consent_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_consents_feed_lists_every_decision_in_order_under_its_consent_id() {
    let app = spawn().await;
    let first = decide(&app, "reject_all", json!({}), None).await;
    let other = decide(&app, "accept_all", json!({}), None).await;
    decide(&app, "custom", json!({"analytics": true}), Some(&first)).await;
    let (key, page) = first_page_with_its_scope_only(&app, "consents", "consents:read").await;
    let items = page["items"].as_array().unwrap();
    let seen: Vec<(&str, u64)> = items
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["n"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            (first.as_str(), 1),
            (other.as_str(), 1),
            (first.as_str(), 2)
        ]
    );
    assert_eq!(items[2]["decisions"]["analytics"], true);
    assert_eq!(items[2]["method"], "custom");
    let history = app.store().consent_history(&first).await.unwrap();
    assert_eq!(
        serde_json::to_value(&history[0]).unwrap()["n"],
        items[2]["n"]
    );

    let csv = get_with(&app, &key, "/api/v1/consents?format=csv", &[]).await;
    let rows = parse_csv(&csv.text().await.unwrap());
    assert_eq!(
        rows[0].join(","),
        "id,n,at,expires_at,method,decisions,gpc,gpc_refused,gpc_kept,regime,consent_mode,\
banner_version,text_hash,locale,page_url,ip_truncated,country_code,tc_string,gpp_string,gpp_sid,deleted"
    );
    assert_eq!(rows.len(), 4);
    assert!(column(&rows, 3, "decisions").contains("analytics=true"));
    assert!(column(&rows, 3, "consent_mode").contains("analytics_storage=granted"));
    assert_eq!(column(&rows, 3, "regime"), "opt_in");
}

#[tokio::test]
async fn the_opt_outs_feed_lists_the_registry_by_pseudonym_only() {
    let app = spawn().await;
    let recorded = app
        .post_json("/api/opt-out/phone", &json!({"phone": "+31 20 123 4567"}))
        .await;
    assert_eq!(recorded.status(), 201);
    let (_, page) = first_page_with_its_scope_only(&app, "opt-outs", "opt-outs:read").await;
    let pseudonym = test_settings().pseudonym("+31201234567");
    assert_eq!(
        page["items"][0]["id"],
        Channel::Phone.opt_out_id(&pseudonym)
    );
    assert_eq!(page["items"][0]["channel"], "phone");
    assert_eq!(page["items"][0]["source"], "do_not_call_request");
    assert!(!page.to_string().contains("1234567"), "{page}");
}
