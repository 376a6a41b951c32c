//! A restore's second half: after a backup is loaded into an empty store and the mirrored register
//! adopted ([`Store::adopt_register`]), every erasure, retention deletion, opt-out, unsubscribe and
//! forgotten address the register sealed after the backup's checkpoint is carried out again
//! ([`crate::register::replay`]), before the app serves. Each replayed change is itself a new entry of
//! the register (by the system, noting the leaf it replays), so the register tells of the restore too.

use crate::domain::Right;
use crate::records::{
    Action, Actor, ApiKey, DataRequest, Event, Log, LogEntry, OutboxMessage, OutboxStatus, Record,
    RecordKind, Subscriber, notes,
};
use crate::register::read_leaf;
use crate::register::replay::{Replay, replay_of};
use crate::store::{Backend, Store, StoreError};
use crate::time::Timestamp;
use serde::Serialize;

/// What a replay did, and what it could not bring back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Replayed {
    /// Leaves read after the backup's checkpoint.
    pub leaves: u64,
    /// Records the backup held that were erased since (by a person, an objection, retention).
    pub erased: u64,
    /// Do-not-contact entries put (back) in force.
    pub opt_outs: u64,
    /// Subscribers unsubscribed again (from every list or one).
    pub unsubscribed: u64,
    /// Data requests whose person's address was dropped again.
    pub forgotten: u64,
    /// Records whose full IP addresses were dropped again.
    pub minimised: u64,
    /// Mails the backup held as unsent that had been sent: marked sent, so they do not go out twice.
    pub sent: u64,
    /// API keys revoked again.
    pub revoked: u64,
    /// Leaves that are not register leaves or hold no readable entry (none, in a sound mirror).
    pub unreadable: u64,
    /// Data requests received after the backup: lost with what came after it (their register entries
    /// stay). Their people must be asked to ask again; their addresses are not known.
    pub lost_requests: Vec<String>,
    /// Records corrected after the backup (`kind:id`): the register names the fields, not the values,
    /// so the correction must be made again.
    pub lost_rectifications: Vec<String>,
}

/// Replays the changes of `leaves` from index `from` (the backup's tree size) onto `store`.
pub async fn replay<B: Backend>(
    store: &Store<B>,
    leaves: &[Vec<u8>],
    from: u64,
    now: Timestamp,
) -> Result<Replayed, StoreError> {
    let mut done = Replayed::default();
    for (index, leaf) in leaves.iter().enumerate().skip(from as usize) {
        done.leaves += 1;
        let Some((log, entry)) = read_leaf(leaf).and_then(|(log, _, bytes)| {
            Some((log, serde_json::from_slice::<LogEntry>(bytes).ok()?))
        }) else {
            done.unreadable += 1;
            continue;
        };
        let detail = entry.detail.as_deref().unwrap_or_default();
        if let (Action::Updated, Some(id)) = (entry.action, entry.record.as_deref())
            && detail.starts_with(notes::RECTIFIED)
            && log != Log::Requests
        {
            let kind = RecordKind::ALL.into_iter().find(|k| k.log() == log);
            let name = kind.map_or(log.as_str(), RecordKind::as_str);
            done.lost_rectifications.push(format!("{name}:{id}"));
        }
        if let (Log::Requests, Action::Captured, Some(id)) =
            (log, entry.action, entry.record.as_deref())
        {
            let held: Option<DataRequest> = store.get(RecordKind::DataRequest, id).await?;
            if held.is_none() {
                done.lost_requests.push(id.to_owned());
            }
        }
        let Some(replay) = replay_of(log, &entry) else {
            continue;
        };
        let event = |log: Log, action: Action| {
            Event::system(log, action, format!("restore replays leaf {index}"), now)
        };
        match replay {
            Replay::Erase { kind, id } => {
                if store
                    .described(kind, &[&id])
                    .await?
                    .pop()
                    .flatten()
                    .is_some()
                {
                    store.erase(kind, &id, event(log, Action::Erased)).await?;
                    done.erased += 1;
                }
            }
            Replay::OptOut {
                channel,
                pseudonym,
                source,
            } => {
                if store
                    .opt_out(channel, &pseudonym, source, Actor::System, entry.at)
                    .await?
                {
                    done.opt_outs += 1;
                }
            }
            Replay::Unsubscribe { subscriber, list } => {
                let note = match &list {
                    Some(list) => format!("{}{list}", notes::LIST),
                    None => notes::ALL_EMAIL.to_owned(),
                };
                let event = Event::system(Log::Subscribers, Action::Updated, note, now);
                let updated = store
                    .update(
                        RecordKind::Subscriber,
                        &subscriber,
                        event,
                        |s: &mut Subscriber| s.unsubscribe(list.as_deref(), entry.at),
                    )
                    .await?;
                done.unsubscribed += u64::from(updated.changed());
            }
            Replay::Forget { request, fulfilled } => {
                let updated = store
                    .update(
                        RecordKind::DataRequest,
                        &request,
                        event(Log::Requests, Action::Updated),
                        |r: &mut DataRequest| {
                            (!fulfilled || r.rights().contains(Right::Erasure)) && r.forget()
                        },
                    )
                    .await?;
                done.forgotten += u64::from(updated.changed());
            }
            Replay::DropFullIps { kind, id, cutoff } => {
                let changed = store
                    .update_described(kind, &id, event(kind.log(), Action::Updated), |r| {
                        r.drop_full_ips(cutoff)
                    })
                    .await?;
                done.minimised += u64::from(changed);
            }
            Replay::Sent { message } => {
                let event = Event::system(Log::Outbox, Action::Updated, notes::SENT.into(), now);
                let updated = store
                    .update(
                        RecordKind::Outbox,
                        &message,
                        event,
                        |m: &mut OutboxMessage| {
                            if m.status == OutboxStatus::Sent {
                                return false;
                            }
                            m.status = OutboxStatus::Sent;
                            m.sent_at = Some(entry.at);
                            true
                        },
                    )
                    .await?;
                done.sent += u64::from(updated.changed());
            }
            Replay::Revoke { key } => {
                let event =
                    Event::system(Log::Access, Action::Updated, notes::KEY_REVOKED.into(), now);
                let updated = store
                    .update(RecordKind::ApiKey, &key, event, |k: &mut ApiKey| {
                        k.revoked_at.is_none() && k.revoked_at.replace(entry.at).is_none()
                    })
                    .await?;
                done.revoked += u64::from(updated.changed());
            }
        }
    }
    Ok(done)
}
