//! The outbox's logic natively: an in-memory store and a scripted fake provider.

use super::*;
use crate::jobs::outbox::{DeliveryReport, deliver_due, pending};
use crate::store::memory::{Memory, block_on};
use crate::store::{Backend, Key, Log, Store};
use crate::time::Timestamp;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// A provider that answers from a script (then 200s) and records what it was sent.
#[derive(Clone, Default)]
struct Fake {
    script: Rc<RefCell<VecDeque<Result<ProviderResponse, String>>>>,
    seen: Rc<RefCell<Vec<ProviderRequest>>>,
}

impl Fake {
    fn then(&self, status: u16, body: &str) -> &Self {
        self.script.borrow_mut().push_back(Ok(ProviderResponse {
            status,
            body: body.as_bytes().to_vec(),
            retry_after: None,
        }));
        self
    }
}

impl Transport for Fake {
    async fn send(&self, request: ProviderRequest) -> Result<ProviderResponse, String> {
        self.seen.borrow_mut().push(request);
        let n = self.seen.borrow().len();
        self.script.borrow_mut().pop_front().unwrap_or_else(|| {
            Ok(ProviderResponse {
                status: 200,
                body: format!(r#"{{"ErrorCode":0,"Message":"OK","MessageID":"pm-{n}"}}"#)
                    .into_bytes(),
                retry_after: None,
            })
        })
    }
}

fn settings(url: &str) -> MailSettings {
    MailSettings {
        api_url: url.to_owned(),
        api_token: "token-xyz".to_owned(),
        from: "news@example.com".to_owned(),
    }
}

fn message(subject: &str) -> Message {
    Message::new("ada@example.com", "news@example.com", subject, "body")
        .unwrap()
        .with_unsubscribe("https://example.com/u/t", "mailto:u@example.com")
        .unwrap()
}

const T0: i64 = 1_795_618_445_000;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_millis(T0).plus_seconds(seconds)
}

struct World {
    kv: Memory,
    store: Store<Memory>,
    fake: Fake,
    mailer: Mailer<Fake>,
}

fn world() -> World {
    let fake = Fake::default();
    let kv = Memory::default();
    World {
        store: Store::new(kv.clone()),
        kv,
        mailer: Mailer::new(settings("http://provider.test"), fake.clone()).unwrap(),
        fake,
    }
}

impl World {
    fn run(&self, now: Timestamp) -> DeliveryReport {
        block_on(deliver_due(&self.store, Some(&self.mailer), now, 50)).unwrap()
    }
    fn enqueue(&self, subject: &str, now: Timestamp) -> String {
        block_on(enqueue(&self.store, message(subject), now)).unwrap()
    }
    fn get(&self, id: &str) -> OutboxMessage {
        block_on(self.store.outbox_message(id)).unwrap().unwrap()
    }
    fn low(&self) -> u64 {
        block_on(self.store.outbox_low_water()).unwrap()
    }
}

#[test]
fn a_due_message_is_sent_once_and_recorded_as_sent() {
    let w = world();
    let id = w.enqueue("Hello", at(0));
    assert_eq!(
        w.run(at(1)),
        DeliveryReport {
            sent: 1,
            failed: 0,
            pending: 0
        }
    );
    let record = w.get(&id);
    assert_eq!(record.status, OutboxStatus::Sent);
    assert_eq!(record.attempts, 1);
    assert_eq!(record.sent_at, Some(at(1)));
    assert_eq!(record.provider_message_id.as_deref(), Some("pm-1"));
    assert_eq!(w.run(at(2)), DeliveryReport::default());
    assert_eq!(w.fake.seen.borrow().len(), 1, "sent exactly once");
    // The queued entry and the sent entry are both behind the mark now.
    assert_eq!(w.low(), 2);
}

#[test]
fn a_failed_attempt_stays_queued_with_its_error_and_is_retried_after_the_backoff() {
    let w = world();
    w.fake
        .then(500, r#"{"ErrorCode":1,"Message":"Server on fire"}"#);
    let id = w.enqueue("Hello", at(0));
    assert_eq!(
        w.run(at(0)),
        DeliveryReport {
            sent: 0,
            failed: 1,
            pending: 1
        }
    );
    let record = w.get(&id);
    assert_eq!(record.status, OutboxStatus::Failed);
    assert_eq!(record.attempts, 1);
    assert_eq!(
        record.last_error.as_deref(),
        Some("HTTP 500: Server on fire (code 1)")
    );
    assert_eq!(record.next_attempt_at, at(60));
    // Not due yet: nothing is sent.
    assert_eq!(w.run(at(59)).sent, 0);
    assert_eq!(w.fake.seen.borrow().len(), 1);
    // Due: sent, as attempt 2.
    assert_eq!(w.run(at(60)).sent, 1);
    let record = w.get(&id);
    assert_eq!((record.status, record.attempts), (OutboxStatus::Sent, 2));
    assert_eq!(record.last_error, None);
}

#[test]
fn transport_errors_are_failed_attempts_and_never_carry_the_token() {
    let w = world();
    w.fake
        .script
        .borrow_mut()
        .push_back(Err("connection refused (token-xyz)".into()));
    let id = w.enqueue("Hello", at(0));
    assert_eq!(w.run(at(0)).failed, 1);
    let error = w.get(&id).last_error.unwrap();
    assert!(
        error.starts_with("transport: connection refused"),
        "{error}"
    );
    assert!(!error.contains("token-xyz"));
}

#[test]
fn without_a_provider_messages_stay_queued() {
    let store = Store::new(Memory::default());
    assert!(Mailer::new(settings(""), Fake::default()).is_none());
    let id = block_on(enqueue(&store, message("Hello"), at(0))).unwrap();
    let report = block_on(deliver_due::<_, Fake>(&store, None, at(10), 50)).unwrap();
    assert_eq!(report.pending, 1);
    let pending = block_on(pending(&store, at(10), 10)).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, id);
    assert_eq!(pending[0].status, OutboxStatus::Queued);
    assert_eq!(
        block_on(deliver_now::<_, Fake>(&store, None, &id, at(10))).unwrap(),
        Delivery::Queued
    );
}

#[test]
fn an_attempt_is_claimed_by_one_deliverer_across_adjacent_lease_windows() {
    let store = Store::new(Memory::default());
    let claim =
        |attempt, window| block_on(store.claim_outbox_attempt("m", attempt, window)).unwrap();
    assert!(claim(1, 100));
    assert!(!claim(1, 100), "same window");
    assert!(!claim(1, 101), "next window shares a key");
    assert!(!claim(1, 99), "previous window shares a key");
    assert!(claim(2, 100), "another attempt is another claim");
    assert!(claim(1, 103), "two windows later the claim has lapsed");
}

#[test]
fn the_low_water_mark_never_passes_a_pending_message() {
    let w = world();
    w.fake.then(500, "down");
    let failing = w.enqueue("A", at(0)); // entry 1
    let _ok = w.enqueue("B", at(0)); // entry 2
    let report = w.run(at(0)); // A fails (entry 3), B is sent (entry 4)
    assert_eq!((report.sent, report.failed, report.pending), (1, 1, 1));
    // Entries 1 and 2 are superseded; entry 3 stands for the pending A.
    assert_eq!(w.low(), 2);
    w.run(at(30));
    assert_eq!(w.low(), 2, "A is still pending");
    w.run(at(60)); // A sent (entry 5)
    assert_eq!(w.get(&failing).status, OutboxStatus::Sent);
    // The run passes what it read; the entry it wrote itself is passed by the next run.
    assert_eq!(w.low(), 4);
    w.run(at(61));
    assert_eq!(w.low(), 5);
}

#[test]
fn a_young_hole_holds_the_mark_and_an_old_one_is_stepped_over() {
    let w = world();
    // A writer that took number 1 and died before writing its entry.
    let head = Key::LogHead(Log::Outbox).to_string();
    block_on(w.kv.increment(&head, 1)).unwrap();
    w.enqueue("B", at(0)); // entry 2
    w.run(at(1)); // B sent (entry 3); the hole is young
    assert_eq!(w.low(), 0);
    // Holes are dated by when the entries after them were written (the store stamps `written_at` with
    // the real clock), not by the events' `at`.
    w.run(Timestamp::now().plus_seconds(120));
    assert_eq!(w.low(), 3);
}

#[test]
fn the_backoff_grows_then_stays_at_six_hours() {
    let delays: Vec<i64> = (1..=7).map(retry_delay_seconds).collect();
    assert_eq!(delays, [60, 300, 1800, 7200, 21600, 21600, 21600]);
}
