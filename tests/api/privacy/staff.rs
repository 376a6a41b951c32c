//! The staff side: decisions along the request's lifecycle, racing decisions, and the queue soonest due
//! first.

use super::support::{
    ask, ask_for, decide, keyed_get, mail_with_subject, only_request, patch, requests, show, spawn,
    staff_key, verify,
};
use crate::harness::field_errors;
use serde_json::{Value, json};
use shared::privacy::{DataRequest, RequestStatus};
use shared::store::{Log, RecordKind};
use shared::time::Timestamp;

#[tokio::test]
async fn staff_decisions_follow_the_lifecycle_and_refuse_what_it_does_not_allow() {
    let app = spawn().await;
    ask_for(&app, &["access"]).await;
    let id = only_request(&app).await.id;
    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let reader = staff_key(&app, &["privacy:read"]).await;
    let (_, etag) = show(&app, &officer, &id).await;

    let approve = json!({"action": "approve"});
    let early = patch(&app, &officer, &id, Some(&etag), &approve).await;
    assert_eq!(early.status(), 409);
    let body: Value = early.json().await.unwrap();
    assert_eq!(body["error"]["status"], "unverified");

    assert_eq!(verify(&app).await.status(), 200);
    assert_eq!(
        patch(&app, &officer, &id, None, &approve).await.status(),
        428
    );
    assert_eq!(
        patch(&app, &officer, &id, Some(&etag), &approve)
            .await
            .status(),
        412
    );
    assert_eq!(
        patch(&app, &reader, &id, Some("*"), &approve)
            .await
            .status(),
        403
    );
    let unknown = patch(&app, &officer, &id, Some("*"), &json!({"action": "fulfil"})).await;
    assert_eq!(
        field_errors(unknown).await,
        [("action".into(), "unknown_action".into())]
    );

    let before = only_request(&app).await.due_at.unwrap();
    let extended = decide(
        &app,
        &officer,
        &id,
        json!({"action": "extend", "reason": "Your data is spread over three systems."}),
    )
    .await;
    assert_eq!(extended["status"], "extended");
    assert_eq!(only_request(&app).await.due_at, Some(before.plus_months(2)));
    let notice = mail_with_subject(&app, "Your privacy request: more time needed").await;
    assert!(notice.message.text_body.contains("three systems"));
    let again = patch(
        &app,
        &officer,
        &id,
        Some("*"),
        &json!({"action": "extend", "reason": "still busy"}),
    )
    .await;
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"]["status"],
        "extended"
    );

    let denied = decide(
        &app,
        &officer,
        &id,
        json!({"action": "deny", "reason": "excessive", "text": "You asked five times this week."}),
    )
    .await;
    assert_eq!(denied["status"], "denied");
    let letter = mail_with_subject(&app, "Your privacy request").await;
    assert!(letter.message.text_body.contains("supervisory authority"));
    let late = patch(&app, &officer, &id, Some("*"), &approve).await;
    assert_eq!(late.status(), 409);
    assert_eq!(
        late.json::<Value>().await.unwrap()["error"]["status"],
        "denied"
    );

    let steps: Vec<_> = crate::signups::log(&app, Log::Requests)
        .await
        .into_iter()
        .filter_map(|e| e.detail)
        .collect();
    assert_eq!(
        steps,
        [
            "received rights=access",
            "verified",
            "acknowledged",
            "extended",
            "denied reason=excessive"
        ]
    );
}

#[tokio::test]
async fn an_approval_racing_a_denial_has_exactly_one_winner() {
    let app = spawn().await;
    ask_for(&app, &["access"]).await;
    assert_eq!(verify(&app).await.status(), 200);
    let id = only_request(&app).await.id;
    let officer = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let (_, etag) = show(&app, &officer, &id).await;
    let approve = json!({"action": "approve"});
    let deny = json!({"action": "deny", "reason": "identity_not_verified"});
    let (a, b) = tokio::join!(
        patch(&app, &officer, &id, Some(&etag), &approve),
        patch(&app, &officer, &id, Some(&etag), &deny)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
    let status = only_request(&app).await.status;
    assert!(matches!(
        status,
        RequestStatus::Completed | RequestStatus::Denied
    ));
}

#[tokio::test]
async fn staff_see_requests_soonest_due_first_with_overdue_and_soon_due_flagged() {
    let app = spawn().await;
    let officer = staff_key(&app, &["privacy:read"]).await;
    for (email, received_days_ago) in [
        ("a@example.com", 10),
        ("b@example.com", 40),
        ("c@example.com", 25),
    ] {
        let response = ask(&app, &json!({"email": email, "rights": ["access"]})).await;
        assert_eq!(response.status(), 202);
        let id = requests(&app).await.last().unwrap().id.clone();
        let received = Timestamp::now().plus_days(-received_days_ago);
        app.tweak(RecordKind::DataRequest, &id, |r: &mut DataRequest| {
            r.verify(received);
            true
        })
        .await;
    }
    ask(
        &app,
        &json!({"email": "d@example.com", "rights": ["access"]}),
    )
    .await;
    let response = keyed_get(&app, &officer, "/api/v1/privacy-requests").await;
    assert_eq!(response.status(), 200);
    let items = response.json::<Value>().await.unwrap()["items"].clone();
    let flags: Vec<(&str, &Value)> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["status"].as_str().unwrap(), &i["urgency"]))
        .collect();
    assert_eq!(
        flags,
        [
            ("open", &json!("overdue")),
            ("open", &json!("due_soon")),
            ("open", &Value::Null),
            ("unverified", &Value::Null),
        ]
    );
    let filtered = keyed_get(&app, &officer, "/api/v1/privacy-requests?status=unverified").await;
    assert_eq!(
        filtered.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad = keyed_get(&app, &officer, "/api/v1/privacy-requests?status=lost").await;
    assert_eq!(bad.status(), 400);
    let feed = keyed_get(&app, &officer, "/api/v1/privacy-requests/changes").await;
    assert_eq!(feed.status(), 200);
    assert_eq!(
        feed.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}
