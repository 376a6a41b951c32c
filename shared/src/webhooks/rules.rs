//! The rules every webhook follows: the retry schedule with its jitter, the `webhook-id` of an event,
//! and the scope each event type needs.

use crate::domain::EventType;
use crate::records::{Log, WebhookEndpoint};
use crate::time::Timestamp;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Seconds to wait after failed attempt `n` (from 1), before jitter: 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 14 h, 20 h, 20 h. Ten attempts over about three days; the event is then given up on.
pub const SCHEDULE: [i64; 9] = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 72_000];

/// Attempts an event gets before it is given up on.
pub const ATTEMPTS: u32 = SCHEDULE.len() as u32 + 1;

/// How long a receiver has to answer.
pub const TIMEOUT_SECONDS: u64 = 15;

/// The longest `Retry-After` honoured (a day): a receiver cannot park its line for longer.
pub const MAX_RETRY_AFTER: i64 = 86_400;

/// When attempt `n + 1` of event `id` is due after attempt `n` failed at `now`: the schedule's delay,
/// spread by ±10% (the same for the same event and attempt, so a run retried does not move it).
pub fn retry_at(id: &str, n: u32, now: Timestamp) -> Timestamp {
    let base = SCHEDULE[(n.max(1) as usize - 1).min(SCHEDULE.len() - 1)] * 1000;
    let digest = Sha256::digest(format!("{id}:{n}").as_bytes());
    let spread = i64::from(u16::from_be_bytes([digest[0], digest[1]]) % 201) - 100;
    Timestamp::from_unix_millis(now.unix_millis() + base + base * spread / 1000)
}

/// The `webhook-id` of the event of type `event_type` for entry `seq` of `log`, written at `written`:
/// the same whenever that entry is turned into events again (a run that died before moving its mark),
/// so receivers drop the repeat; different for a log numbered anew (a restored store).
pub fn event_id(log: Log, seq: u64, written: Timestamp, event_type: EventType) -> String {
    let digest = Sha256::digest(
        format!(
            "{}:{seq}:{}:{}",
            log.as_str(),
            written.unix_millis(),
            event_type.as_str()
        )
        .as_bytes(),
    );
    format!("msg_{}", URL_SAFE_NO_PAD.encode(&digest[..16]))
}

/// The scope an endpoint must hold to be sent events of type `event_type` (`None`: no data of a person).
pub fn scope_of(event_type: EventType) -> Option<&'static str> {
    use EventType::*;
    match event_type {
        SubmissionCreated
        | SubscriberConfirmed
        | SubscriberUnsubscribed
        | DemoRequestCreated
        | DemoRequestStatusChanged => Some(LEADS_READ),
        OptOutCreated => Some("opt-outs:read"),
        PrivacyRequestCompleted => Some("privacy:read"),
        ContactImported | ContactObjected => Some("contacts:read"),
        PersonErased => None,
    }
}

/// Whether `endpoint` is sent events of type `event_type`: it asked for them (by name or `*`) and holds
/// the scope they need (`*` never widens what its scopes let it see).
pub fn sends(endpoint: &WebhookEndpoint, event_type: &str) -> bool {
    endpoint.wants(event_type)
        && EventType::parse(event_type)
            .is_some_and(|t| scope_of(t).is_none_or(|scope| endpoint.has_scope(scope)))
}

/// The scope that sees addresses: an endpoint holding it gets the address in `opt_out.created`.
pub const LEADS_READ: &str = "leads:read";

/// The scope that sees full IP addresses.
pub const IP_READ: &str = "ip:read";

/// The scopes an endpoint may hold.
pub const SCOPES: [&str; 5] = [
    LEADS_READ,
    "opt-outs:read",
    "privacy:read",
    "contacts:read",
    IP_READ,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_schedule_within_a_tenth() {
        let now = Timestamp::from_unix_millis(1_000_000);
        let mut total = 0;
        for (n, base) in (1..).zip(SCHEDULE) {
            let delay = retry_at("msg_x", n, now).unix_millis() - now.unix_millis();
            assert!((base * 900..=base * 1100).contains(&delay), "{n}: {delay}");
            assert_eq!(retry_at("msg_x", n, now), retry_at("msg_x", n, now));
            total += base;
        }
        // About three days of retries.
        assert!((70 * 3600..=74 * 3600).contains(&total), "{total}");
    }

    #[test]
    fn an_event_id_is_stable_for_its_entry_and_differs_otherwise() {
        let at = Timestamp::from_unix_millis(5);
        let id = event_id(Log::Submissions, 3, at, EventType::SubmissionCreated);
        assert!(id.starts_with("msg_") && id.len() == 26, "{id}");
        assert_eq!(
            id,
            event_id(Log::Submissions, 3, at, EventType::SubmissionCreated)
        );
        assert_ne!(
            id,
            event_id(Log::Submissions, 4, at, EventType::SubmissionCreated)
        );
        assert_ne!(
            id,
            event_id(
                Log::Submissions,
                3,
                Timestamp::from_unix_millis(6),
                EventType::SubmissionCreated
            )
        );
        assert_ne!(
            event_id(Log::Contacts, 3, at, EventType::ContactObjected),
            event_id(Log::Contacts, 3, at, EventType::PersonErased)
        );
    }
}
