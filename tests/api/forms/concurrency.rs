//! Posts at once: each stored once with dense feed numbers, and a store failure mid-batch failing only
//! its own posts.

use super::support::{contact, spawn, stored};
use crate::harness::TestApp;
use serde_json::{Value, json};
use shared::store::Log;
use std::collections::HashSet;

#[tokio::test]
async fn two_hundred_concurrent_posts_are_all_stored_once_with_no_gap_in_the_feed() {
    let app = spawn(&[("rate_limit", "1000/600")]).await;

    let posts = (0..200).map(|i| {
        let mut body = contact();
        body["message"] = json!(format!("message {i}"));
        let app = &app;
        async move { app.post_json("/api/forms/contact", &body).await }
    });
    let responses = futures::future::join_all(posts).await;

    let mut receipts = HashSet::new();
    for response in responses {
        assert_eq!(response.status(), 201);
        let receipt: Value = response.json().await.unwrap();
        receipts.insert(receipt["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(receipts.len(), 200);
    let stored = stored(&app).await;
    assert_eq!(stored.len(), 200, "feed entries 1..=200 all present");
    let ids: HashSet<_> = stored.iter().map(|s| s.id.clone()).collect();
    assert_eq!(
        ids, receipts,
        "each receipt appears exactly once in the feed"
    );
    let messages: HashSet<_> = stored
        .iter()
        .filter_map(|s| s.contact.message.clone())
        .collect();
    assert_eq!(messages.len(), 200);
}

/// `n` contact posts at once, each with its own email; the statuses in the order sent.
async fn post_at_once(app: &TestApp, n: usize) -> Vec<(String, reqwest::StatusCode)> {
    let posts = (0..n).map(|i| async move {
        let email = format!("visitor{i}@example.com");
        let mut body = contact();
        body["email"] = json!(email);
        let response = app.post_json("/api/forms/contact", &body).await;
        (email, response.status())
    });
    futures::future::join_all(posts).await
}

#[tokio::test]
async fn concurrent_posts_sharing_instances_are_each_stored_once_with_dense_numbers() {
    let app = spawn(&[("rate_limit", "1000/600")]).await;

    let answers = post_at_once(&app, 64).await;

    assert!(answers.iter().all(|(_, s)| *s == 201), "{answers:?}");
    let store = app.store();
    assert_eq!(store.log_head(Log::Submissions).await.unwrap(), 64);
    // `stored` fails on a hole and on an entry without its record.
    let submissions = stored(&app).await;
    let ids: HashSet<&str> = submissions.iter().map(|s| s.id.as_str()).collect();
    let emails: HashSet<&str> = submissions
        .iter()
        .filter_map(|s| s.contact.email.as_deref())
        .collect();
    assert_eq!(ids.len(), 64, "no record stored twice");
    assert_eq!(emails.len(), 64, "every post stored");
}

#[tokio::test]
async fn a_store_failure_mid_batch_fails_its_posts_and_stores_nothing_of_theirs() {
    let app = spawn(&[("rate_limit", "1000/600")]).await;
    app.kv().fail_next_writes(2);

    let answers = post_at_once(&app, 24).await;

    let failed: Vec<&str> = answers
        .iter()
        .filter(|(_, s)| *s == 500)
        .map(|(e, _)| e.as_str())
        .collect();
    assert!(!failed.is_empty(), "the injected failures failed posts");
    assert!(
        answers.iter().all(|(_, s)| *s == 201 || *s == 500),
        "{answers:?}"
    );
    let store = app.store();
    let head = store.log_head(Log::Submissions).await.unwrap();
    let entries = store.log_entries(Log::Submissions, 0, head).await.unwrap();
    let written: Vec<_> = entries.iter().filter_map(|(_, e)| e.as_ref()).collect();
    assert_eq!(
        written.len(),
        answers.len() - failed.len(),
        "an entry for every post answered 201, none for a failed one"
    );
    assert_eq!(
        head as usize,
        answers.len(),
        "each post took one number; the failed ones left holes, none was handed out twice"
    );
    let mut stored_emails = HashSet::new();
    for entry in written {
        let id = entry.record.as_deref().unwrap();
        let submission = store.submission(id).await.unwrap().expect("its record");
        stored_emails.insert(submission.contact.email.unwrap());
    }
    for email in failed {
        assert!(
            !stored_emails.contains(email),
            "{email} was answered 500 but stored"
        );
    }
    assert_eq!(
        stored_emails.len(),
        answers.len() - answers.iter().filter(|(_, s)| *s == 500).count()
    );
}
