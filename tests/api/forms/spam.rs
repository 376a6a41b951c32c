//! Spam: the honeypot and render tokens (missing, too fast, forged, replayed, for another form), stored
//! as spam and answered like a person.

use super::support::{contact, only_submission, spawn, stored};
use serde_json::json;
use shared::records::{Action, SpamReason};
use shared::store::Log;

#[tokio::test]
async fn a_filled_honeypot_is_stored_as_spam_and_answered_like_a_person() {
    let app = spawn(&[]).await;
    let mut body = contact();
    body["_gotcha"] = json!("http://cheap-pills.example");

    let response = app.post_json("/api/forms/contact", &body).await;

    assert_eq!(response.status(), 201);
    let stored = only_submission(&app).await;
    assert_eq!(stored.spam, Some(SpamReason::Honeypot));
    let entry = app
        .store()
        .log_entries(Log::Submissions, 0, 1)
        .await
        .unwrap()[0]
        .1
        .clone()
        .unwrap();
    assert_eq!(entry.action, Action::CapturedAsSpam);
}

#[tokio::test]
async fn a_post_without_a_render_token_or_faster_than_a_person_is_stored_as_spam() {
    let app = spawn(&[]).await;
    let token = app.render_token("quick").await;
    let other_token = app.render_token("quick").await;

    let no_token = app
        .post_json("/api/forms/quick", &json!({"email": "bot@example.com"}))
        .await;
    let too_fast = app
        .post_json(
            "/api/forms/quick",
            &json!({"email": "bot@example.com", "_token": token}),
        )
        .await;
    let forged = app
        .post_json(
            "/api/forms/quick",
            &json!({"email": "bot@example.com", "_token": "1.AAAA"}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let person = app
        .post_json(
            "/api/forms/quick",
            &json!({"email": "ada@example.com", "_token": other_token}),
        )
        .await;

    for response in [no_token, too_fast, forged, person] {
        assert_eq!(response.status(), 201);
    }
    let verdicts: Vec<_> = stored(&app).await.iter().map(|s| s.spam).collect();
    assert_eq!(
        verdicts,
        [
            Some(SpamReason::MissingRenderToken),
            Some(SpamReason::TooFast),
            Some(SpamReason::InvalidRenderToken),
            None
        ]
    );
}

#[tokio::test]
async fn a_render_token_used_again_flags_the_later_post_as_spam_and_answers_it_alike() {
    let app = spawn(&[]).await;
    let token = app.render_token("quick").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let post = |email: &str| {
        let body = json!({"email": email, "_token": token});
        let app = &app;
        async move { app.post_json("/api/forms/quick", &body).await }
    };

    let first = post("ada@example.com").await;
    let replays =
        futures::future::join_all([post("bot1@example.com"), post("bot2@example.com")]).await;

    assert_eq!(first.status(), 201);
    for replay in replays {
        assert_eq!(replay.status(), 201);
    }
    let mut verdicts: Vec<_> = stored(&app).await.iter().map(|s| s.spam).collect();
    assert_eq!(verdicts.remove(0), None);
    assert_eq!(verdicts, [Some(SpamReason::ReplayedRenderToken); 2]);
    let actions: Vec<Action> = app
        .store()
        .log_entries(Log::Submissions, 0, 3)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, entry)| entry.unwrap().action)
        .collect();
    assert_eq!(
        actions,
        [
            Action::Captured,
            Action::CapturedAsSpam,
            Action::CapturedAsSpam
        ]
    );
}

#[tokio::test]
async fn a_render_token_for_one_form_does_not_count_for_another() {
    let app = spawn(&[]).await;
    let token = app.render_token("contact").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    app.post_json(
        "/api/forms/quick",
        &json!({"email": "ada@example.com", "_token": token}),
    )
    .await;

    assert_eq!(
        only_submission(&app).await.spam,
        Some(SpamReason::InvalidRenderToken)
    );
}
