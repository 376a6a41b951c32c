//! From changes to events: the webhooks job reads the logs whose changes leave (captures, signups,
//! demo requests, opt-outs, privacy requests, contacts) from a mark per log and writes one event per
//! change that an endpoint may want, in the order the changes happened.
//!
//! The change's own log entry is the durable record that it happened: it is written in the same commit
//! as the change (a `set-many`, or pending before a swap and final after), so no event is lost when an
//! instance dies after a change, and capture writes nothing extra. A change that did not take effect
//! (its entry `refused`) makes no event. Events from one log keep that log's order; the logs are merged
//! by the time of their changes.

use super::rules::{event_id, sends};
use crate::domain::EventType;
use crate::records::{
    Action, DataRequest, LogEntry, RecordRef, SCHEMA_VERSION, WebhookEndpoint, WebhookEvent, notes,
};
use crate::store::{Backend, Log, RecordKind, Store, StoreError};
use crate::time::Timestamp;
use std::collections::VecDeque;

/// The logs events come from, with the kind of record their entries name.
pub const SOURCES: [(Log, RecordKind); 6] = [
    (Log::Submissions, RecordKind::Submission),
    (Log::Subscribers, RecordKind::Subscriber),
    (Log::DemoRequests, RecordKind::DemoRequest),
    (Log::OptOuts, RecordKind::OptOut),
    (Log::Requests, RecordKind::DataRequest),
    (Log::Contacts, RecordKind::Contact),
];

/// What one run of the events step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Collected {
    /// Log entries read.
    pub entries: u64,
    /// Events written.
    pub events: u64,
}

/// The event types a log entry stands for (most one; an objection two).
pub fn types_of(log: Log, entry: &LogEntry) -> Vec<EventType> {
    let detail = entry.detail.as_deref().unwrap_or_default();
    if entry.record.is_none() {
        return Vec::new();
    }
    let one = |t| vec![t];
    match (log, entry.action) {
        (_, Action::Refused | Action::Read) => Vec::new(),
        (Log::Submissions, Action::Captured) => one(EventType::SubmissionCreated),
        (Log::DemoRequests, Action::Captured) => one(EventType::DemoRequestCreated),
        (Log::DemoRequests, Action::Updated) if detail.starts_with("status=") => {
            one(EventType::DemoRequestStatusChanged)
        }
        (Log::Subscribers, Action::Updated) if detail == "confirmed" => {
            one(EventType::SubscriberConfirmed)
        }
        (Log::Subscribers, Action::Updated)
            if detail == notes::ALL_EMAIL
                || detail.starts_with(notes::LIST)
                || detail == notes::SPAM_COMPLAINT =>
        {
            one(EventType::SubscriberUnsubscribed)
        }
        (Log::OptOuts, Action::Captured) => one(EventType::OptOutCreated),
        (Log::OptOuts, Action::Updated) if detail.starts_with(notes::BACK_IN_FORCE) => {
            one(EventType::OptOutCreated)
        }
        (Log::Requests, Action::Updated) if detail.starts_with(notes::FULFILLED) => {
            vec![EventType::PrivacyRequestCompleted, EventType::PersonErased]
        }
        // A contact reaches the systems fed once its notice is on its way (Art. 14(3)(c)), as in the
        // pull API's contacts feed.
        (Log::Contacts, Action::Updated) if detail == "notice queued" => {
            one(EventType::ContactImported)
        }
        (Log::Contacts, Action::Erased) if detail == "objection" => {
            vec![EventType::ContactObjected, EventType::PersonErased]
        }
        _ => Vec::new(),
    }
}

/// One run: reads up to `budget` entries past the marks (in pages, log by log), turns them into the
/// events some active endpoint wants, and writes those events and the new marks together. With no active
/// endpoint the marks just move to the logs' heads: events are made for the endpoints there are.
pub async fn collect<B: Backend>(
    store: &Store<B>,
    endpoints: &[WebhookEndpoint],
    budget: u64,
    now: Timestamp,
) -> Result<Collected, StoreError> {
    let active: Vec<&WebhookEndpoint> = endpoints.iter().filter(|e| e.is_active()).collect();
    let mut run = Collected::default();
    let mut marks = Vec::new();
    let mut lanes: Vec<VecDeque<WebhookEvent>> = Vec::new();
    let per_log = (budget / SOURCES.len() as u64).max(1);
    for (log, kind) in SOURCES {
        let reader = store.reader(log, now);
        let mark = store.webhook_mark(log).await?;
        let head = reader.head().await?;
        if active.is_empty() {
            if head > mark {
                marks.push((log, head));
            }
            continue;
        }
        let (entries, next) = reader.settled(mark, per_log.min(head - mark), head).await?;
        run.entries += entries.len() as u64;
        let mut lane = VecDeque::new();
        for (seq, entry, _) in &entries {
            for event_type in types_of(log, entry) {
                if !active.iter().any(|e| sends(e, event_type.as_str())) {
                    continue;
                }
                if let Some(event) = event(store, log, kind, *seq, entry, event_type).await? {
                    lane.push_back(event);
                }
            }
        }
        lanes.push(lane);
        if next > mark {
            marks.push((log, next));
        }
    }
    let events = merge(lanes);
    run.events = events.len() as u64;
    if !events.is_empty() || !marks.is_empty() {
        store.add_webhook_events(&events, &marks, now).await?;
    }
    Ok(run)
}

/// The event of type `event_type` for entry `seq` of `log`; `None` for `person.erased` when nothing
/// was erased.
async fn event<B: Backend>(
    store: &Store<B>,
    log: Log,
    kind: RecordKind,
    seq: u64,
    entry: &LogEntry,
    event_type: EventType,
) -> Result<Option<WebhookEvent>, StoreError> {
    let id = entry.record.clone().unwrap_or_default();
    let mut erased = Vec::new();
    if event_type == EventType::PersonErased {
        erased = match log {
            Log::Requests => {
                let request: Option<DataRequest> = store.get(kind, &id).await?;
                request
                    .and_then(|r| r.outcome)
                    .map(|o| o.records)
                    .unwrap_or_default()
            }
            _ => vec![RecordRef {
                kind: kind.as_str().to_owned(),
                id: id.clone(),
            }],
        };
        if erased.is_empty() {
            return Ok(None);
        }
    }
    Ok(Some(WebhookEvent {
        v: SCHEMA_VERSION,
        id: event_id(log, seq, entry.written(), event_type),
        seq: 0,
        event_type: event_type.as_str().to_owned(),
        record: RecordRef {
            kind: kind.as_str().to_owned(),
            id,
        },
        at: entry.at,
        erased,
    }))
}

/// The lanes' events in one line: each lane's order kept, the lanes merged by the time of the change.
fn merge(mut lanes: Vec<VecDeque<WebhookEvent>>) -> Vec<WebhookEvent> {
    let mut out = Vec::with_capacity(lanes.iter().map(VecDeque::len).sum());
    loop {
        let next = lanes
            .iter()
            .enumerate()
            .filter_map(|(i, lane)| lane.front().map(|e| (e.at, i)))
            .min();
        let Some((_, i)) = next else { break };
        out.extend(lanes[i].pop_front());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Actor;

    fn entry(action: Action, detail: Option<&str>) -> LogEntry {
        crate::records::Event::by(
            Actor::System,
            Log::Submissions,
            action,
            detail.map(str::to_owned),
            Timestamp::from_unix_millis(1),
        )
        .entry(1, Some("r1"), None)
    }

    #[test]
    fn each_change_that_leaves_has_its_event_and_a_refused_one_none() {
        let t = |log, action, detail| types_of(log, &entry(action, detail));
        use EventType::*;
        assert_eq!(
            t(Log::Submissions, Action::Captured, Some("contact")),
            [SubmissionCreated]
        );
        assert!(t(Log::Submissions, Action::CapturedAsSpam, None).is_empty());
        assert!(t(Log::Submissions, Action::Refused, None).is_empty());
        assert_eq!(
            t(Log::DemoRequests, Action::Updated, Some("status=qualified")),
            [DemoRequestStatusChanged]
        );
        assert_eq!(
            t(Log::Subscribers, Action::Updated, Some("confirmed")),
            [SubscriberConfirmed]
        );
        assert_eq!(
            t(Log::Subscribers, Action::Updated, Some("list news")),
            [SubscriberUnsubscribed]
        );
        assert_eq!(
            t(
                Log::Requests,
                Action::Updated,
                Some("fulfilled erased=3 kept=0")
            ),
            [PrivacyRequestCompleted, PersonErased]
        );
        assert_eq!(
            t(Log::Contacts, Action::Erased, Some("objection")),
            [ContactObjected, PersonErased]
        );
        assert!(t(Log::Contacts, Action::Erased, Some("retention")).is_empty());
    }

    #[test]
    fn lanes_merge_by_time_and_keep_their_own_order() {
        let ev = |id: &str, at| WebhookEvent {
            v: 1,
            id: id.into(),
            seq: 0,
            event_type: "submission.created".into(),
            record: RecordRef {
                kind: "submission".into(),
                id: id.into(),
            },
            at: Timestamp::from_unix_millis(at),
            erased: Vec::new(),
        };
        let a = VecDeque::from([ev("a1", 1), ev("a2", 5), ev("a3", 3)]);
        let b = VecDeque::from([ev("b1", 2), ev("b2", 4)]);
        let ids: Vec<String> = merge(vec![a, b]).into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["a1", "b1", "b2", "a2", "a3"]);
    }
}
