//! The suppression check (`POST /api/v1/opt-outs/check`): which addresses and numbers are opted out.

use super::support::{access_log, assert_refused, call, create_key, spawn};
use crate::harness::{invalid_fields, test_settings};
use serde_json::{Value, json};
use shared::records::{Actor, OptOutSource};
use shared::store::Channel;
use shared::time::Timestamp;

#[tokio::test]
async fn the_suppression_check_answers_which_addresses_and_numbers_are_opted_out() {
    let app = spawn().await;
    let settings = test_settings();
    let at = Timestamp::now();
    app.store()
        .opt_out(
            Channel::Email,
            &settings.pseudonym("ada@example.com"),
            OptOutSource::UnsubscribeLink,
            Actor::System,
            at,
        )
        .await
        .unwrap();
    app.store()
        .opt_out(
            Channel::SaleShare,
            &settings.pseudonym("grace@example.com"),
            OptOutSource::GpcSignal,
            Actor::System,
            at,
        )
        .await
        .unwrap();
    let phone = app
        .post_json("/api/opt-out/phone", &json!({"phone": "+31 20 123 4567"}))
        .await;
    assert_eq!(phone.status(), 201);
    let (id, key) = create_key(&app, &["opt-outs:read"], None).await;
    let (_, leads) = create_key(&app, &["leads:read"], None).await;
    let body = json!({
        "emails": ["Ada@EXAMPLE.com", "grace@example.com", "not an email"],
        "phones": ["0031 20 1234567", "+44 20 7946 0018", "call me"],
    });
    let check = async |key: &str| {
        call(
            &app,
            reqwest::Method::POST,
            "/api/v1/opt-outs/check",
            Some(key),
            &[],
            Some(&body),
        )
        .await
    };

    assert_refused(&check(&leads).await, 403);
    let response = check(&key).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let opted = |list: &str| -> Vec<bool> {
        answer[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["opted_out"].as_bool().unwrap())
            .collect()
    };
    assert_eq!(opted("emails"), [true, false, false]);
    assert_eq!(opted("phones"), [true, false, false]);
    assert_eq!(answer["emails"][0]["input"], "Ada@EXAMPLE.com");
    assert_eq!(answer["emails"][0]["normalized"], "ada@example.com");
    assert_eq!(answer["emails"][0]["since"], json!(at));
    assert_eq!(answer["emails"][2]["error"], "invalid_email");
    assert_eq!(answer["phones"][0]["normalized"], "+31201234567");
    assert_eq!(answer["phones"][2]["error"], "invalid_phone");
    // Each valid email says whether the person opted out of sale and sharing; phones and invalid
    // inputs do not.
    let sale_share: Vec<Value> = answer["emails"]
        .as_array()
        .unwrap()
        .iter()
        .chain(answer["phones"].as_array().unwrap())
        .map(|c| c["sale_share"].clone())
        .collect();
    assert_eq!(
        sale_share,
        [
            json!(false),
            json!(true),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );

    let register = access_log(&app).await;
    let last = register.last().unwrap();
    assert_eq!(last.actor, Actor::ApiKey { key_id: id });
    assert_eq!(
        last.detail.as_deref(),
        Some("opt-outs check emails=3 phones=3 matched=2")
    );

    // Not a list of strings, an unknown field, too many entries: 422 naming the field.
    for (bad, field) in [
        (json!({"emails": "ada@example.com"}), "emails"),
        (json!({"phones": [42]}), "phones"),
        (json!({"names": []}), "names"),
        (json!({"emails": vec!["a@example.com"; 1001]}), "emails"),
    ] {
        let response = call(
            &app,
            reqwest::Method::POST,
            "/api/v1/opt-outs/check",
            Some(&key),
            &[],
            Some(&bad),
        )
        .await;
        assert_eq!(invalid_fields(response).await, [field], "{bad}");
    }
}
