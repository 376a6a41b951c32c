//! The store layer on every tested backend (Spin's SQLite store and Spin's Redis store, both as the test
//! host rebuilds them): the same guarantees on each, and the Redis defects the store works around.

use crate::harness::fresh_redis;
use ::host::kv::{Database, Location};
use futures::future::join_all;
use serde_json::{Value, json};
use shared::records::{Action, Actor};
use shared::store::{Backend, Conditional, Event, Flavour, Log, RecordKind, Store, etag};
use shared::time::Timestamp;

/// A fresh store on each backend, named for failure messages.
fn backends() -> Vec<(&'static str, Database)> {
    vec![
        (
            "sqlite",
            Database::open(Location::InMemory).expect("sqlite"),
        ),
        (
            "redis",
            Database::open(Location::FreshRedis).expect("redis-server"),
        ),
    ]
}

/// A store on `db` holding one demo request, `one`, as `record`.
async fn store_with_one(db: &Database, record: Value) -> Store<::host::KvStore> {
    let store = Store::new(db.store("default"));
    store
        .append(
            RecordKind::DemoRequest,
            "one",
            &record,
            event("test: create"),
        )
        .await
        .unwrap();
    store
}

fn event(detail: &str) -> Event {
    Event {
        log: Log::DemoRequests,
        action: Action::Updated,
        actor: Actor::System,
        detail: Some(detail.into()),
        at: Timestamp::now(),
    }
}

#[tokio::test]
async fn spins_redis_backend_answers_get_many_and_compare_and_swap_wrongly_and_counts_in_decimals()
{
    let Some(db) = fresh_redis() else { return };
    let kv = db.store("default");
    kv.set_many(vec![
        ("a".into(), b"1".to_vec()),
        ("b".into(), b"2".to_vec()),
    ])
    .await
    .unwrap();
    let many = kv.get_many(vec!["a".into(), "b".into()]).await;
    assert!(
        many.as_ref()
            .is_err_and(|e| e.to_string().contains("wrong number of arguments")),
        "get-many is sent as KEYS: {many:?}"
    );
    let swapped = kv.compare_and_swap("a", b"1", b"changed".to_vec()).await;
    assert!(matches!(swapped, Ok(false)), "the swap is reported failed");
    assert_eq!(
        kv.get("a").await.unwrap().as_deref(),
        Some(&b"changed"[..]),
        "though it landed"
    );
    assert_eq!(kv.increment("n", 3).await.unwrap(), 3);
    assert_eq!(kv.get("n").await.unwrap().as_deref(), Some(&b"3"[..]));
    assert!(
        db.store("another-label").get("a").await.unwrap().is_some(),
        "every label is one keyspace"
    );
}

#[tokio::test]
async fn the_store_tells_each_backend_apart_by_how_it_stores_a_counter() {
    for (name, db) in backends() {
        let want = if name == "sqlite" {
            Flavour::Sqlite
        } else {
            Flavour::Portable
        };
        assert_eq!(db.store("default").flavour().await.unwrap(), want, "{name}");
    }
}

#[tokio::test]
async fn on_every_backend_concurrent_appends_get_dense_numbers_and_a_feed_walk_returns_each_once() {
    for (name, db) in backends() {
        let store = Store::new(db.store("default"));
        let ids: Vec<String> = (0..200).map(|i| format!("rec{i:03}")).collect();
        let appends = ids.iter().map(|id| {
            let store = &store;
            async move {
                let record = json!({"v": 1, "id": id});
                store
                    .append(RecordKind::DemoRequest, id, &record, event("test: append"))
                    .await
            }
        });
        let mut seqs: Vec<u64> = join_all(appends)
            .await
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        seqs.sort_unstable();
        assert_eq!(
            seqs,
            (1..=200).collect::<Vec<_>>(),
            "{name}: dense, no repeat"
        );
        let mut walked = Vec::new();
        let mut after = 0;
        while after < store.log_head(Log::DemoRequests).await.unwrap() {
            for (seq, entry) in store
                .log_entries(Log::DemoRequests, after, 64)
                .await
                .unwrap()
            {
                if let Some(entry) = entry {
                    walked.push(entry.record.expect("names its record"));
                    after = seq;
                }
            }
        }
        walked.sort();
        assert_eq!(walked, ids, "{name}: each record once");
        let stored: Vec<Option<Value>> = store
            .records(
                RecordKind::DemoRequest,
                &ids.iter().map(String::as_str).collect::<Vec<_>>(),
            )
            .await
            .unwrap();
        assert!(
            stored.iter().all(Option::is_some),
            "{name}: every record readable in one batch"
        );
    }
}

#[tokio::test]
async fn on_every_backend_concurrent_changes_of_one_record_all_land() {
    for (name, db) in backends() {
        let store = store_with_one(&db, json!({"v": 1, "seen": []})).await;
        let changes = (0..20).map(|i| {
            store.update(
                RecordKind::DemoRequest,
                "one",
                event("test: change"),
                move |r: &mut Value| {
                    r["seen"].as_array_mut().unwrap().push(json!(i));
                    true
                },
            )
        });
        for outcome in join_all(changes).await {
            assert!(outcome.unwrap().changed(), "{name}: every change lands");
        }
        let record: Value = store
            .get(RecordKind::DemoRequest, "one")
            .await
            .unwrap()
            .unwrap();
        let mut seen: Vec<i64> = record["seen"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..20).collect::<Vec<_>>(), "{name}: no lost update");
        assert!(
            db.store("default")
                .dump()
                .await
                .unwrap()
                .iter()
                .all(|(key, _)| !key.starts_with("swap:")),
            "{name}: no swap claim is left behind"
        );
    }
}

#[tokio::test]
async fn on_every_backend_one_of_many_changes_made_with_the_same_etag_wins() {
    for (name, db) in backends() {
        let store = store_with_one(&db, json!({"v": 1, "status": "new"})).await;
        let (_, tag): (Value, String) = store
            .get_tagged(RecordKind::DemoRequest, "one")
            .await
            .unwrap()
            .unwrap();
        let tries = (0..50).map(|i| {
            let tag = tag.clone();
            let store = &store;
            async move {
                store
                    .update_if(
                        RecordKind::DemoRequest,
                        "one",
                        &tag,
                        event("test: edit"),
                        |r: &mut Value| {
                            r["status"] = json!(format!("by {i}"));
                            true
                        },
                    )
                    .await
                    .unwrap()
            }
        });
        let outcomes = join_all(tries).await;
        let winners: Vec<&Value> = outcomes
            .iter()
            .filter_map(|o| match o {
                Conditional::Changed(r, _) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(winners.len(), 1, "{name}: exactly one wins");
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| matches!(o, Conditional::Stale))
                .count(),
            49,
            "{name}: the others are told the record changed"
        );
        let (stored, now_tag): (Value, String) = store
            .get_tagged(RecordKind::DemoRequest, "one")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&stored, winners[0], "{name}: the winner's state is stored");
        assert_ne!(now_tag, tag);
        assert_eq!(now_tag, etag(&serde_json::to_vec(&stored).unwrap()));
    }
}

#[tokio::test]
async fn on_every_backend_a_creation_claim_goes_to_exactly_one_caller() {
    for (name, db) in backends() {
        let store = Store::new(db.store("default"));
        let claims = (0..50).map(|_| store.claim_new(RecordKind::Subscriber, "someone"));
        let won = join_all(claims)
            .await
            .into_iter()
            .filter(|c| *c.as_ref().unwrap())
            .count();
        assert_eq!(won, 1, "{name}");
    }
}
