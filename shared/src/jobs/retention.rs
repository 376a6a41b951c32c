//! The retention job: applies the retention policy by walking each rule's log in time order from the
//! rule's mark, only through entries older than the rule's cutoff, so a run costs O(what expired), never a
//! scan of the store. Every record an entry names is judged by its current state, as its kind says
//! ([`crate::records::Record::due_since`]; a signup confirmed in the meantime is no longer
//! "unconfirmed"); later events of a record have later entries, so a record the walk passed too early is
//! met again when its deciding event is old enough. The run ends with the rate limit's sweep: no client's
//! bucket outlives its window.

use crate::records::retention::Retention;
use crate::records::{Action, Event, Log, LogEntry, RecordKind, notes};
use crate::store::{Backend, Store, StoreError};
use crate::time::Timestamp;
use serde::Serialize;

/// Entries read per `get-many`, and records erased per batch.
const PAGE: u64 = 256;
/// The sweep's name in the report.
pub const RATE_LIMIT_RULE: &str = "rate-limit-expired";

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

impl RuleReport {
    /// A rule's report before it changed anything: `examined` entries walked up to `cutoff`.
    fn walked(rule: String, cutoff: Timestamp, examined: u64) -> Self {
        Self {
            rule,
            cutoff,
            examined,
            changed: 0,
            held: 0,
        }
    }
}

/// What a retention run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    pub rules: Vec<RuleReport>,
    /// The register's size when the run ended (its report is an entry after that).
    pub register_size: u64,
}

/// One retention run: each deletion rule, then the minimisation of full IPs, then the rate limit's
/// sweep; records of a kind in `held` are counted, not deleted. Deletions are tombstones in the feeds.
/// The report of a run that changed or held any record is registered (an `access` entry by the system).
pub async fn apply<B: Backend>(
    store: &Store<B>,
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
        let mark = store.retention_mark(&name).await?;
        let reader = store.reader(rule.kind.log(), now);
        let (entries, pos) = reader.older(mark, cutoff, budget).await?;
        let mut report = RuleReport::walked(name.clone(), cutoff, entries.len() as u64);
        let ids = named(&entries);
        let mut due: Vec<&str> = Vec::new();
        for (id, record) in ids.iter().zip(store.described(rule.kind, &ids).await?) {
            let Some(record) = record else { continue };
            if record.due_since(rule).is_none_or(|at| at >= cutoff) {
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
            let event = Event::system(
                rule.kind.log(),
                Action::Erased,
                format!("retention {name}"),
                now,
            );
            for batch in due.chunks(PAGE as usize) {
                store.erase_many(rule.kind, batch, event.clone()).await?;
            }
            store.set_retention_mark(&name, pos).await?;
        }
        rules.push(report);
    }
    if let Some(days) = policy.full_ip_days {
        for kind in [
            RecordKind::Submission,
            RecordKind::DemoRequest,
            RecordKind::Subscriber,
        ] {
            let cutoff = now.plus_days(-days);
            rules.push(minimise_ips(store, kind, cutoff, now, dry_run, budget).await?);
        }
    }
    let sweep = store.sweep_rate_limits(now, dry_run).await?;
    rules.push(RuleReport {
        changed: sweep.changed,
        ..RuleReport::walked(RATE_LIMIT_RULE.to_owned(), now, sweep.examined)
    });
    let register_size = store.register_size().await?;
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
        let detail = format!(
            "retention run register_size={register_size} {}",
            summary.join(" ")
        );
        store
            .note_many(Event::system(Log::Access, Action::Updated, detail, now))
            .await?;
    }
    Ok(RetentionReport {
        rules,
        register_size,
    })
}

/// The records the entries name, each once, sorted.
pub fn named(entries: &[LogEntry]) -> Vec<&str> {
    let mut ids: Vec<&str> = entries.iter().filter_map(|e| e.record.as_deref()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Replaces full IPs captured before `cutoff` by nothing (the truncated network stays).
async fn minimise_ips<B: Backend>(
    store: &Store<B>,
    kind: RecordKind,
    cutoff: Timestamp,
    now: Timestamp,
    dry_run: bool,
    budget: u64,
) -> Result<RuleReport, StoreError> {
    let name = format!("full-ip-{}", kind.as_str());
    let mark = store.retention_mark(&name).await?;
    let (entries, pos) = store
        .reader(kind.log(), now)
        .older(mark, cutoff, budget)
        .await?;
    let mut report = RuleReport::walked(name.clone(), cutoff, entries.len() as u64);
    for id in named(&entries) {
        let changed = if dry_run {
            store
                .described(kind, &[id])
                .await?
                .pop()
                .flatten()
                .is_some_and(|mut r| r.drop_full_ips(cutoff))
        } else {
            let event = Event::system(
                kind.log(),
                Action::Updated,
                format!(
                    "{}{}{}{}",
                    notes::FULL_IP_RETENTION,
                    kind.as_str(),
                    notes::BEFORE,
                    cutoff.to_rfc3339()
                ),
                now,
            );
            store
                .update_described(kind, id, event, |r| r.drop_full_ips(cutoff))
                .await?
        };
        report.changed += u64::from(changed);
    }
    if !dry_run {
        store.set_retention_mark(&name, pos).await?;
    }
    Ok(report)
}
