//! How a feed reads its log, in pages and in streams: holes young and old, entries still pending, and
//! tombstones of erased records.

use super::support::{
    capture, column, create_key, get_with, ids, inert_off, ndjson_lines, pull, pull_csv, pull_ok,
    shared_cursor, spawn, submission,
};
use crate::harness::{TestApp, test_settings};
use serde_json::{Value, json};
use shared::records::{Action, Actor, LogEntry, Submission};
use shared::store::{Backend, Channel, Event, Key, Log, RecordKind};
use shared::time::Timestamp;
use std::time::Duration;

/// Stores submission `n` as if it had been captured, and its feed entry written, two minutes ago.
async fn capture_long_ago(app: &TestApp, n: usize) -> String {
    let then = Timestamp::now().plus_seconds(-120);
    let id = capture(app, n, then).await;
    let store = app.store();
    let seq = store.log_head(Log::Submissions).await.unwrap();
    let (_, entry) = store
        .log_entries(Log::Submissions, seq - 1, 1)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let entry = LogEntry {
        written_at: Some(then),
        ..entry.unwrap()
    };
    app.kv()
        .set_many(vec![(
            Key::LogEntry(Log::Submissions, seq).to_string(),
            serde_json::to_vec(&entry).unwrap(),
        )])
        .await
        .unwrap();
    id
}

/// A writer takes the submissions log's next number and has not written its entry (yet): a hole.
async fn take_a_number(app: &TestApp) {
    app.kv()
        .increment(&Key::LogHead(Log::Submissions).to_string(), 1)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_feed_waits_at_a_young_hole_and_steps_over_an_old_one() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let first = capture(&app, 1, Timestamp::now()).await;
    // A writer took number 2 and has not written its entry yet.
    take_a_number(&app).await;
    capture(&app, 3, Timestamp::now()).await;
    let page = pull_ok(&app, &key, "").await;
    assert_eq!(ids(&page), [first]);
    assert_eq!(page["next_cursor"], shared_cursor(1));

    // Another hole, followed by an entry written long after it: the hole is abandoned.
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    take_a_number(&app).await;
    let later = capture_long_ago(&app, 2).await;
    let page = pull_ok(&app, &key, "").await;
    assert_eq!(ids(&page), [later]);
    assert_eq!(page["next_cursor"], shared_cursor(2));
}

#[tokio::test]
async fn a_stream_waits_for_an_entry_whose_writer_is_still_writing() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let first = capture(&app, 1, Timestamp::now()).await;
    // A writer has taken number 2 and writes its record and entry only 300 ms into the export.
    take_a_number(&app).await;
    let third = capture(&app, 3, Timestamp::now()).await;
    let late_id = shared::ids::new_id();
    let kv = app.kv();
    let late = late_id.clone();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let entry = LogEntry {
            v: 1,
            seq: 2,
            at: Timestamp::now(),
            action: Action::Captured,
            record: Some(late.clone()),
            actor: Actor::System,
            detail: None,
            revision: None,
            pending: false,
            written_at: None,
        };
        kv.set_many(vec![
            (
                Key::Record(RecordKind::Submission, &late).to_string(),
                serde_json::to_vec(&submission(&late, 2)).unwrap(),
            ),
            (
                Key::LogEntry(Log::Submissions, 2).to_string(),
                serde_json::to_vec(&entry).unwrap(),
            ),
        ])
        .await
        .unwrap();
    });
    let response = pull(&app, &key, "?limit=all&format=ndjson").await;
    writer.await.unwrap();
    let lines = ndjson_lines(&response.text().await.unwrap());
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.as_str(), late_id.as_str(), third.as_str()]);
}

#[tokio::test]
async fn a_stream_steps_over_a_hole_left_long_ago() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    take_a_number(&app).await;
    let later = capture_long_ago(&app, 2).await;
    let response = pull(&app, &key, "?limit=all&format=ndjson").await;
    assert_eq!(response.headers()["next-cursor"], shared_cursor(2));
    let lines = ndjson_lines(&response.text().await.unwrap());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], later.as_str());
}

#[tokio::test]
async fn an_erased_record_comes_after_the_cursor_as_a_tombstone_in_every_format() {
    let app = spawn().await;
    let kept = capture(&app, 1, Timestamp::now()).await;
    let erased = capture(&app, 2, Timestamp::now()).await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let cursor = pull_ok(&app, &key, "").await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = Event::system(
        Log::Submissions,
        Action::Erased,
        "erasure request".into(),
        Timestamp::now(),
    );
    app.store()
        .erase(RecordKind::Submission, &erased, event)
        .await
        .unwrap();

    let page = pull_ok(&app, &key, &format!("?after={cursor}")).await;
    assert_eq!(page["items"], json!([{"id": erased, "deleted": true}]));
    let all = pull(&app, &key, "?limit=all&format=ndjson").await;
    let lines = ndjson_lines(&all.text().await.unwrap());
    assert_eq!(lines[0]["id"], kept.as_str());
    assert_eq!(lines[1], json!({"id": erased, "deleted": true}));
    let (_, _, rows) = pull_csv(&app, &key, "submissions", &format!("?after={cursor}")).await;
    assert_eq!(inert_off(column(&rows, 1, "id")), erased);
    assert_eq!(column(&rows, 1, "deleted"), "true");
    assert_eq!(column(&rows, 1, "email"), "");
}

/// Writes log entry `seq` of the submissions log naming submission `id`, `pending` or final, as a
/// writer in the middle of a change does.
async fn write_entry(app: &TestApp, seq: u64, id: &str, pending: bool) {
    let entry = LogEntry {
        v: 1,
        seq,
        at: Timestamp::now(),
        action: Action::Updated,
        record: Some(id.to_owned()),
        actor: Actor::System,
        detail: None,
        revision: None,
        pending,
        written_at: None,
    };
    app.kv()
        .set_many(vec![(
            Key::LogEntry(Log::Submissions, seq).to_string(),
            serde_json::to_vec(&entry).unwrap(),
        )])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_change_still_landing_holds_the_feed_until_it_has_landed() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let id = capture(&app, 1, Timestamp::now()).await;
    // A change to the record has written its entry (number 2) as pending and not yet swapped the record.
    take_a_number(&app).await;
    write_entry(&app, 2, &id, true).await;
    let page = pull_ok(&app, &key, "").await;
    assert_eq!(
        page["next_cursor"],
        shared_cursor(1),
        "the page stops before the pending entry"
    );

    // A stream waits for it: the change lands 300 ms in, and the stream carries the new state.
    let store = app.store();
    let landing = {
        let (app_kv, id) = (app.kv(), id.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut record = submission(&id, 1);
            record.contact.name = Some("Changed".into());
            app_kv
                .set_many(vec![(
                    Key::Record(RecordKind::Submission, &id).to_string(),
                    serde_json::to_vec(&record).unwrap(),
                )])
                .await
                .unwrap();
        })
    };
    let finishing = async {
        landing.await.unwrap();
        write_entry(&app, 2, &id, false).await;
    };
    let (response, ()) = tokio::join!(pull(&app, &key, "?limit=all&format=ndjson"), finishing);
    assert_eq!(response.headers()["next-cursor"], shared_cursor(2));
    let lines = ndjson_lines(&response.text().await.unwrap());
    assert_eq!(lines.last().unwrap()["contact"]["name"], "Changed");
    assert_eq!(store.log_head(Log::Submissions).await.unwrap(), 2);
}

#[tokio::test]
async fn an_entry_naming_a_record_that_never_existed_is_no_tombstone() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["opt-outs:read"], None).await;
    // A bot's do-not-call request is registered without creating an opt-out.
    let event = Event::by(
        Actor::System,
        Log::OptOuts,
        Action::CapturedAsSpam,
        None,
        Timestamp::now(),
    );
    let never = Channel::Phone.opt_out_id(&test_settings().pseudonym("+31201234567"));
    app.store().note(&never, event).await.unwrap();
    let page: Value = get_with(&app, &key, "/api/v1/opt-outs", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"], json!([]));
    assert_ne!(page["next_cursor"], json!(null));
}

#[tokio::test]
async fn a_run_of_holes_longer_than_a_page_is_stepped_over_once_a_later_entry_is_old() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    // An import reserved 300 numbers and died before writing them; later a submission came in.
    app.kv()
        .increment(&Key::LogHead(Log::Submissions).to_string(), 300)
        .await
        .unwrap();
    let later = capture_long_ago(&app, 1).await;
    let mut query = "?limit=100".to_owned();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let page = pull_ok(&app, &key, &query).await;
        seen.extend(ids(&page));
        query = format!("?limit=100&after={}", page["next_cursor"].as_str().unwrap());
    }
    assert_eq!(seen, [later.as_str()]);
    // A stream steps over them at once.
    let stream = pull(&app, &key, "?limit=all&format=ndjson").await;
    let lines = ndjson_lines(&stream.text().await.unwrap());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], later.as_str());
}

#[tokio::test]
async fn a_stream_ends_before_holes_at_the_top_of_the_log() {
    let app = spawn().await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let first = capture(&app, 1, Timestamp::now()).await;
    take_a_number(&app).await;
    let stream = pull(&app, &key, "?limit=all&format=ndjson").await;
    assert_eq!(stream.headers()["next-cursor"], shared_cursor(1));
    let lines = ndjson_lines(&stream.text().await.unwrap());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], first.as_str());
}

#[tokio::test]
async fn an_erasure_followed_by_a_late_entry_for_the_same_record_still_gives_its_tombstone() {
    let app = spawn().await;
    let id = capture(&app, 1, Timestamp::now()).await;
    let (_, key) = create_key(&app, &["leads:read"], None).await;
    let cursor = pull_ok(&app, &key, "").await["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let event = |action| {
        Event::by(
            Actor::System,
            Log::Submissions,
            action,
            None,
            Timestamp::now(),
        )
    };
    let store = app.store();
    store
        .erase(RecordKind::Submission, &id, event(Action::Erased))
        .await
        .unwrap();
    // A change that read the record before the erasure finishes after it, and finds it gone.
    let late = store
        .update(
            RecordKind::Submission,
            &id,
            event(Action::Updated),
            |_: &mut Submission| true,
        )
        .await
        .unwrap();
    assert_eq!(late, shared::store::Updated::Missing);
    store.note(&id, event(Action::Updated)).await.unwrap();

    let page = pull_ok(&app, &key, &format!("?after={cursor}")).await;
    assert_eq!(page["items"], json!([{"id": id, "deleted": true}]));
}
