//! The retention job: applies [`crate::records::retention::Retention`] by walking each rule's log in time order from
//! the rule's mark, only through entries older than the rule's cutoff, so a run costs O(what expired),
//! never a scan of the store. Every record an entry names is judged by its current state (a signup that
//! was confirmed in the meantime is no longer "unconfirmed"); later events of a record have later entries,
//! so a record the walk passed too early is met again when its deciding event is old enough. The run ends
//! with the rate limit's sweep ([`Store::sweep_rate_limits`]): no client's bucket outlives its window.

use super::rate::RATE_LIMIT_RULE;
use super::{Backend, Event, Key, Log, RecordKind, Store, StoreError, decode};
use crate::mailer::{OutboxMessage, OutboxStatus};
use crate::privacy::{DataRequest, RequestStatus, Step};
use crate::records::{
    Action, Actor, DemoRequest, LogEntry, Submission, Subscriber, SubscriberStatus,
};
use crate::records::retention::{DeleteRule, From, Only, Retention};
use crate::time::Timestamp;
use serde::Serialize;

/// Entries read per `get-many`.
const PAGE: u64 = 256;

/// What one rule did (or, dry, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleReport {
    pub rule: String,
    /// Records older than this (by the rule's event) were due.
    pub cutoff: Timestamp,
    /// Log entries walked (for the rate-limit sweep: client entries read).
    pub examined: u64,
    /// Records deleted (or, for `full-ip-*`, minimised; for the rate-limit sweep, client entries
    /// cleared).
    pub changed: u64,
    /// Records due but kept under a legal hold.
    pub held: u64,
}

/// What a retention run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    pub rules: Vec<RuleReport>,
    /// The register's size when the run ended (its report is an entry after that).
    pub register_size: u64,
}

/// For records that only have a capture (submissions, demo requests): when they were captured, if the
/// rule is about capture and names them (all of them, or the spam).
fn captured(rule: &DeleteRule, spam: bool, received_at: Timestamp) -> Option<Timestamp> {
    let named = rule.only == Only::All || (rule.only == Only::Spam && spam);
    (named && rule.from == From::Captured).then_some(received_at)
}

/// When `bytes` (a record of `kind`) reached the rule's event, if it matches the rule at all.
fn due_since(
    kind: RecordKind,
    key: &str,
    bytes: &[u8],
    rule: &DeleteRule,
) -> Result<Option<Timestamp>, StoreError> {
    Ok(match kind {
        RecordKind::Submission => {
            let r: Submission = decode(key, bytes)?;
            captured(rule, r.spam.is_some(), r.received_at)
        }
        RecordKind::DemoRequest => {
            let r: DemoRequest = decode(key, bytes)?;
            captured(rule, r.spam.is_some(), r.received_at)
        }
        RecordKind::Subscriber => {
            let r: Subscriber = decode(key, bytes)?;
            let ok = match rule.only {
                Only::All => true,
                Only::Spam => r.spam.is_some(),
                Only::Unconfirmed => r.status == SubscriberStatus::Pending,
                Only::Unsubscribed => r.status == SubscriberStatus::Unsubscribed,
                Only::Sent | Only::Expired => false,
            };
            match rule.from {
                From::Captured if ok => Some(r.signed_up.at),
                From::Unsubscribed if ok => r.unsubscribed_at,
                _ => None,
            }
        }
        RecordKind::Outbox => {
            let r: OutboxMessage = decode(key, bytes)?;
            let ok = matches!(rule.only, Only::All)
                || (rule.only == Only::Sent && r.status == OutboxStatus::Sent);
            match rule.from {
                From::Captured if ok => Some(r.created_at),
                From::Sent if ok => r.sent_at,
                _ => None,
            }
        }
        RecordKind::DataRequest => {
            let r: DataRequest = decode(key, bytes)?;
            let ok = matches!(rule.only, Only::All)
                || (rule.only == Only::Expired && r.status == RequestStatus::Expired);
            match rule.from {
                From::Captured if ok => Some(r.asked_at),
                From::Expired if ok => r
                    .timeline
                    .iter()
                    .find(|t| t.step == Step::Expired)
                    .map(|t| t.at),
                _ => None,
            }
        }
        _ => None,
    })
}

impl<B: Backend> Store<B> {
    /// Entries of `log` after the mark `name`, in order, while older than `cutoff` (at most `budget`).
    async fn walk_older(
        &self,
        log: Log,
        name: &str,
        cutoff: Timestamp,
        budget: u64,
    ) -> Result<(Vec<LogEntry>, u64), StoreError> {
        let mark_key = Key::RetentionMark(name).to_string();
        let mut pos: u64 = match self.backend.get(&mark_key).await? {
            Some(bytes) => decode(&mark_key, &bytes)?,
            None => 0,
        };
        let head = self.log_head(log).await?;
        let mut out = Vec::new();
        'walk: while pos < head && (out.len() as u64) < budget {
            let want = PAGE.min(head - pos).min(budget - out.len() as u64);
            for (seq, entry) in self.log_entries(log, pos, want).await? {
                match entry {
                    Some(entry) if entry.at >= cutoff => break 'walk,
                    Some(entry) => out.push(entry),
                    // A number with no entry this far back stays empty: its writer is long gone.
                    None => {}
                }
                pos = seq;
            }
        }
        Ok((out, pos))
    }

    async fn set_mark(&self, name: &str, pos: u64) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(&pos).map_err(StoreError::Encode)?;
        Ok(self
            .backend
            .set_many(vec![(Key::RetentionMark(name).to_string(), bytes)])
            .await?)
    }

    /// One retention run: each deletion rule, then the minimisation of full IPs, then the rate limit's
    /// sweep; records of a kind in `held` are counted, not deleted. Deletions are tombstones in the
    /// feeds. The report of a run that changed or held any record is registered (an `access` entry by
    /// the system).
    pub async fn apply_retention(
        &self,
        policy: &Retention,
        held: &[RecordKind],
        now: Timestamp,
        dry_run: bool,
        budget: u64,
    ) -> Result<RetentionReport, StoreError> {
        let mut rules = Vec::new();
        for rule in &policy.delete {
            let name = rule.name();
            let cutoff = now.plus_days(-rule.after_days);
            let (entries, pos) = self
                .walk_older(rule.kind.log(), &name, cutoff, budget)
                .await?;
            let mut report = RuleReport {
                rule: name.clone(),
                cutoff,
                examined: entries.len() as u64,
                changed: 0,
                held: 0,
            };
            let mut ids: Vec<&str> = entries.iter().filter_map(|e| e.record.as_deref()).collect();
            ids.sort_unstable();
            ids.dedup();
            let keys: Vec<String> = ids
                .iter()
                .map(|id| Key::Record(rule.kind, id).to_string())
                .collect();
            let values = self.read_many(keys.clone()).await?;
            let mut due: Vec<&str> = Vec::new();
            for ((id, key), value) in ids.iter().zip(&keys).zip(values) {
                let Some(bytes) = value else { continue };
                if due_since(rule.kind, key, &bytes, rule)?.is_none_or(|at| at >= cutoff) {
                    continue;
                }
                if held.contains(&rule.kind) {
                    report.held += 1;
                } else {
                    due.push(id);
                }
            }
            report.changed = due.len() as u64;
            if !dry_run {
                let event = Event {
                    log: rule.kind.log(),
                    action: Action::Erased,
                    actor: Actor::System,
                    detail: Some(format!("retention {name}")),
                    at: now,
                };
                for batch in due.chunks(PAGE as usize) {
                    self.erase_many(rule.kind, batch, event.clone()).await?;
                }
            }
            if !dry_run {
                self.set_mark(&name, pos).await?;
            }
            rules.push(report);
        }
        if let Some(days) = policy.full_ip_days {
            for kind in [
                RecordKind::Submission,
                RecordKind::DemoRequest,
                RecordKind::Subscriber,
            ] {
                rules.push(
                    self.minimise_ips(kind, now.plus_days(-days), now, dry_run, budget)
                        .await?,
                );
            }
        }
        rules.push(self.sweep_rate_limits(now, dry_run).await?);
        let register_size = self.register_size().await?;
        // A run that found nothing to do leaves no entry: the scheduler calls every minute. Nor does the
        // sweep alone: with any traffic it clears some window every minute, and it holds no record.
        let of_records = |r: &&RuleReport| r.rule != RATE_LIMIT_RULE && r.changed + r.held > 0;
        let acted = rules.iter().any(|r| of_records(&r));
        if !dry_run && acted {
            let summary: Vec<String> = rules
                .iter()
                .filter(of_records)
                .map(|r| format!("{}:{}/{}held", r.rule, r.changed, r.held))
                .collect();
            let event = Event {
                log: Log::Access,
                action: Action::Updated,
                actor: Actor::System,
                detail: Some(format!(
                    "retention run register_size={register_size} {}",
                    summary.join(" ")
                )),
                at: now,
            };
            self.note_many(event).await?;
        }
        Ok(RetentionReport {
            rules,
            register_size,
        })
    }

    /// Replaces full IPs captured before `cutoff` by nothing (the truncated network stays).
    async fn minimise_ips(
        &self,
        kind: RecordKind,
        cutoff: Timestamp,
        now: Timestamp,
        dry_run: bool,
        budget: u64,
    ) -> Result<RuleReport, StoreError> {
        let name = format!("full-ip-{}", kind.as_str());
        let (entries, pos) = self.walk_older(kind.log(), &name, cutoff, budget).await?;
        let mut report = RuleReport {
            rule: name.clone(),
            cutoff,
            examined: entries.len() as u64,
            changed: 0,
            held: 0,
        };
        let mut ids: Vec<&str> = entries.iter().filter_map(|e| e.record.as_deref()).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let event = Event {
                log: kind.log(),
                action: Action::Updated,
                actor: Actor::System,
                detail: Some(format!("retention {name}")),
                at: now,
            };
            let changed = if dry_run {
                let bytes = self.backend.get(&Key::Record(kind, id).to_string()).await?;
                bytes.is_some_and(|b| String::from_utf8_lossy(&b).contains("\"ip\":\""))
            } else {
                match kind {
                    RecordKind::Submission => self
                        .update(kind, id, event, |r: &mut Submission| {
                            r.received_at < cutoff && r.origin.ip.take().is_some()
                        })
                        .await?
                        .changed(),
                    RecordKind::DemoRequest => self
                        .update(kind, id, event, |r: &mut DemoRequest| {
                            r.received_at < cutoff && r.origin.ip.take().is_some()
                        })
                        .await?
                        .changed(),
                    _ => self
                        .update(kind, id, event, |r: &mut Subscriber| {
                            let mut changed = false;
                            if r.signed_up.at < cutoff {
                                changed |= r.signed_up.origin.ip.take().is_some();
                            }
                            if let Some(confirmed) = r.confirmed.as_mut().filter(|c| c.at < cutoff)
                            {
                                changed |= confirmed.origin.ip.take().is_some();
                            }
                            changed
                        })
                        .await?
                        .changed(),
                }
            };
            report.changed += u64::from(changed);
        }
        if !dry_run {
            self.set_mark(&name, pos).await?;
        }
        Ok(report)
    }
}
