//! The one line `serve` prints when the scheduler's jobs did something (`jobs: 2 mails sent, 14
//! entries sealed`), read from `POST /api/jobs/run`'s report; nothing when they did nothing.

use serde_json::Value;

/// What each job's report counts, in the words of the line: (job, field, words).
const COUNTS: [(&str, &str, &str); 15] = [
    ("notices", "queued", "notices queued"),
    ("notices", "reminders", "reminders queued"),
    ("notices", "failed", "notices failed"),
    ("outbox", "sent", "mails sent"),
    ("outbox", "failed", "mails failed"),
    ("webhooks", "events", "webhook events"),
    ("webhooks", "delivered", "webhook deliveries"),
    ("webhooks", "failed", "webhook attempts failed"),
    ("webhooks", "given_up", "webhook events given up"),
    ("webhooks", "disabled", "webhook endpoints disabled"),
    ("people", "references", "index references"),
    ("privacy", "expired", "requests expired"),
    ("register", "sealed", "entries sealed"),
    ("register", "waiting", "entries waiting"),
    ("retention", "changed", "records deleted or minimised"),
];

/// The line for `report` (the scheduler's JSON answer), or `None` when no job did anything.
pub fn jobs_line(report: &Value) -> Option<String> {
    let jobs = report.get("jobs")?;
    let mut parts = Vec::new();
    for (job, field, words) in COUNTS {
        let Some(done) = jobs.get(job).filter(|d| d["ran"] == true) else {
            continue;
        };
        let n = if job == "retention" {
            // The rate-limit sweep clears some window every minute and holds no record.
            done["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["rule"] != shared::jobs::retention::RATE_LIMIT_RULE)
                .filter_map(|r| r[field].as_u64())
                .sum()
        } else {
            done[field].as_u64().unwrap_or(0)
        };
        if n > 0 {
            parts.push(format!("{n} {words}"));
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_run_that_did_nothing_prints_nothing_and_one_that_did_prints_what() {
        let idle = json!({"dry_run": false, "jobs": {
            "outbox": {"ran": true, "ms": 3, "sent": 0, "failed": 0, "pending": 0},
            "register": {"ran": true, "ms": 2, "sealed": 0, "size": 40, "waiting": 0, "behind": 0},
            "retention": {"ran": true, "ms": 9, "register_size": 40, "rules": [
                {"rule": shared::jobs::retention::RATE_LIMIT_RULE, "changed": 3, "held": 0},
                {"rule": "submission-spam-30d-captured", "changed": 0, "held": 0}]},
            "people": {"ran": false, "reason": "another run holds this job's lease"}}});
        assert_eq!(jobs_line(&idle), None);
        let busy = json!({"dry_run": false, "jobs": {
            "outbox": {"ran": true, "sent": 2, "failed": 0, "pending": 0},
            "register": {"ran": true, "sealed": 14, "size": 54, "waiting": 0, "behind": 0},
            "retention": {"ran": true, "rules": [{"rule": "submission-spam-30d-captured", "changed": 1}]}}});
        assert_eq!(
            jobs_line(&busy).as_deref(),
            Some("2 mails sent, 14 entries sealed, 1 records deleted or minimised")
        );
    }
}
