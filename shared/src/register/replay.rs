//! What a restore must do again for one sealed entry: the changes that take data away or stop contact
//! (an erasure, retention, an opt-out, an unsubscribe, a request that dropped the person's address), and
//! those whose loss would act twice (a mail already sent, an API key revoked), read from the entry alone,
//! so that a backup restored after them cannot bring anything back. Every other entry (a capture, a read,
//! a confirmation, a lifted opt-out) is not replayed: what it added is either in the backup or lost with
//! what came after it, and fresh consent lost with a backup must be asked again.

use crate::records::{Action, Channel, Log, LogEntry, OptOutSource, RecordKind, notes};
use crate::time::Timestamp;

/// One change to carry out again on a restored store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// A record was erased (a privacy request, an objection, retention, a delivered mail).
    Erase { kind: RecordKind, id: String },
    /// A do-not-contact entry came (back) into force.
    OptOut {
        channel: Channel,
        pseudonym: String,
        source: OptOutSource,
    },
    /// A subscriber left every list (`list: None`) or one.
    Unsubscribe {
        subscriber: String,
        list: Option<String>,
    },
    /// A data request dropped the person's address (it expired, or an erasure was carried out and
    /// forgot it in the person's other requests). A fulfilled request forgets only if it erased.
    Forget { request: String, fulfilled: bool },
    /// Retention dropped a record's full IP addresses captured before `cutoff` (for entries written
    /// before the note named it: the run's time).
    DropFullIps {
        kind: RecordKind,
        id: String,
        cutoff: Timestamp,
    },
    /// A mail was sent: it must not go out again.
    Sent { message: String },
    /// An API key was revoked: it must not work again.
    Revoke { key: String },
}

/// The replay an entry of `log` calls for, if any.
pub fn replay_of(log: Log, entry: &LogEntry) -> Option<Replay> {
    let id = entry.record.clone()?;
    let detail = entry.detail.as_deref().unwrap_or_default();
    let kind = RecordKind::ALL.into_iter().find(|k| k.log() == log)?;
    match (log, entry.action) {
        (_, Action::Erased) => Some(Replay::Erase { kind, id }),
        (Log::OptOuts, Action::Captured) => opt_out(&id, detail),
        (Log::OptOuts, Action::Updated) => {
            let source = detail.strip_prefix(notes::BACK_IN_FORCE)?;
            opt_out(&id, source.trim_start_matches(": "))
        }
        (Log::Subscribers, Action::Updated) if detail == notes::ALL_EMAIL => {
            Some(Replay::Unsubscribe {
                subscriber: id,
                list: None,
            })
        }
        (Log::Subscribers, Action::Updated) if detail == notes::SPAM_COMPLAINT => {
            Some(Replay::Unsubscribe {
                subscriber: id,
                list: None,
            })
        }
        (Log::Subscribers, Action::Updated) if detail.starts_with(notes::LIST) => {
            Some(Replay::Unsubscribe {
                subscriber: id,
                list: Some(detail[notes::LIST.len()..].to_owned()),
            })
        }
        (Log::Requests, Action::Updated)
            if detail == notes::EXPIRED || detail.starts_with(notes::ERASURE_REQUEST) =>
        {
            Some(Replay::Forget {
                request: id,
                fulfilled: false,
            })
        }
        (Log::Requests, Action::Updated) if detail.starts_with(notes::FULFILLED) => {
            Some(Replay::Forget {
                request: id,
                fulfilled: true,
            })
        }
        (_, Action::Updated) if detail.starts_with(notes::FULL_IP_RETENTION) => {
            let cutoff = detail
                .split_once(notes::BEFORE)
                .and_then(|(_, at)| Timestamp::parse_rfc3339(at))
                .unwrap_or(entry.at);
            Some(Replay::DropFullIps { kind, id, cutoff })
        }
        (Log::Outbox, Action::Updated) if detail == notes::SENT => {
            Some(Replay::Sent { message: id })
        }
        (Log::Access, Action::Updated) if detail == notes::KEY_REVOKED => {
            Some(Replay::Revoke { key: id })
        }
        _ => None,
    }
}

/// The opt-out entry `id` (`{channel}:{pseudonym}`) in force, from the source its note names; an entry
/// written before the register named sources counts as a privacy request.
fn opt_out(id: &str, source: &str) -> Option<Replay> {
    let (_, pseudonym) = id.split_once(':')?;
    let channel = [Channel::Email, Channel::Phone, Channel::SaleShare]
        .into_iter()
        .find(|c| c.opt_out_id(pseudonym) == id)?;
    Some(Replay::OptOut {
        channel,
        pseudonym: pseudonym.to_owned(),
        source: OptOutSource::parse(source).unwrap_or(OptOutSource::PrivacyRequest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Actor, Event};
    use crate::time::Timestamp;

    fn replayed(log: Log, action: Action, id: &str, detail: Option<&str>) -> Option<Replay> {
        let entry = Event::by(
            Actor::System,
            log,
            action,
            detail.map(str::to_owned),
            Timestamp::from_unix_millis(1_700_000_000_000),
        )
        .entry(1, Some(id), None);
        replay_of(log, &entry)
    }

    #[test]
    fn erasures_opt_outs_unsubscribes_and_forgetting_are_replayed() {
        let unsubscribe = |list: Option<&str>| Replay::Unsubscribe {
            subscriber: "p1".into(),
            list: list.map(str::to_owned),
        };
        let opted = |channel, pseudonym: &str, source| Replay::OptOut {
            channel,
            pseudonym: pseudonym.into(),
            source,
        };
        let cases = [
            (
                replayed(
                    Log::Submissions,
                    Action::Erased,
                    "s1",
                    Some("retention spam"),
                ),
                Replay::Erase {
                    kind: RecordKind::Submission,
                    id: "s1".into(),
                },
            ),
            (
                replayed(
                    Log::OptOuts,
                    Action::Captured,
                    "email:p1",
                    Some("unsubscribe_link"),
                ),
                opted(Channel::Email, "p1", OptOutSource::UnsubscribeLink),
            ),
            (
                replayed(Log::OptOuts, Action::Captured, "sale_share:p2", None),
                opted(Channel::SaleShare, "p2", OptOutSource::PrivacyRequest),
            ),
            (
                replayed(
                    Log::OptOuts,
                    Action::Updated,
                    "phone:p3",
                    Some("back in force: erasure"),
                ),
                opted(Channel::Phone, "p3", OptOutSource::Erasure),
            ),
            (
                replayed(Log::Subscribers, Action::Updated, "p1", Some("all email")),
                unsubscribe(None),
            ),
            (
                replayed(
                    Log::Subscribers,
                    Action::Updated,
                    "p1",
                    Some("spam complaint"),
                ),
                unsubscribe(None),
            ),
            (
                replayed(
                    Log::Subscribers,
                    Action::Updated,
                    "p1",
                    Some("list product"),
                ),
                unsubscribe(Some("product")),
            ),
            (
                replayed(
                    Log::Requests,
                    Action::Updated,
                    "r1",
                    Some("erasure request r2"),
                ),
                Replay::Forget {
                    request: "r1".into(),
                    fulfilled: false,
                },
            ),
            (
                replayed(Log::Requests, Action::Updated, "r1", Some("expired")),
                Replay::Forget {
                    request: "r1".into(),
                    fulfilled: false,
                },
            ),
            (
                replayed(
                    Log::Requests,
                    Action::Updated,
                    "r2",
                    Some("fulfilled erased=2 kept=0"),
                ),
                Replay::Forget {
                    request: "r2".into(),
                    fulfilled: true,
                },
            ),
            (
                replayed(
                    Log::DemoRequests,
                    Action::Updated,
                    "d1",
                    Some("retention full-ip-demo-request before 2023-10-15T22:13:20.000Z"),
                ),
                Replay::DropFullIps {
                    kind: RecordKind::DemoRequest,
                    id: "d1".into(),
                    cutoff: Timestamp::parse_rfc3339("2023-10-15T22:13:20.000Z").unwrap(),
                },
            ),
            (
                replayed(
                    Log::Submissions,
                    Action::Updated,
                    "s1",
                    Some("retention full-ip-submission"),
                ),
                Replay::DropFullIps {
                    kind: RecordKind::Submission,
                    id: "s1".into(),
                    cutoff: Timestamp::from_unix_millis(1_700_000_000_000),
                },
            ),
            (
                replayed(Log::Outbox, Action::Updated, "m1", Some("sent")),
                Replay::Sent {
                    message: "m1".into(),
                },
            ),
            (
                replayed(Log::Access, Action::Updated, "k1", Some("api-key revoked")),
                Replay::Revoke { key: "k1".into() },
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got, Some(expected));
        }
    }

    #[test]
    fn captures_reads_confirmations_and_lifted_opt_outs_are_not_replayed() {
        let cases = [
            replayed(Log::Submissions, Action::Captured, "s2", Some("contact")),
            replayed(Log::Subscribers, Action::Updated, "p1", Some("confirmed")),
            replayed(Log::OptOuts, Action::Updated, "email:p1", Some("lifted")),
            replayed(Log::Access, Action::Read, "k1", None),
            replayed(Log::Requests, Action::Updated, "r1", Some("verified")),
            replayed(Log::Outbox, Action::Updated, "m1", Some("attempt 1 failed")),
            replayed(Log::Subscribers, Action::Refused, "p1", Some("all email")),
        ];
        for got in cases {
            assert_eq!(got, None);
        }
    }
}
