//! `POST /api/jobs/run?only=outbox,people&dry_run=true`: one run of the background jobs (the Art. 14
//! notices, outbox delivery, webhooks, the person index, the expiry of unconfirmed privacy requests, the register's sealing), for a scheduler
//! that calls every minute (cron, a Kubernetes CronJob, `serve`). Each job runs under a lease, so two
//! schedulers calling at once never run one job twice at the same time (the second reports it busy), and
//! a crashed runner's lease lapses within two lease windows. Each job's work per call is bounded and
//! resumes where the last call stopped; running again with nothing to do changes nothing. Answers 200
//! with a report per job: what it did, how far it got, how long it took.

use http::{HeaderMap, Response, StatusCode};
use serde_json::{Map, json};
use shared::http::{ApiError, json_response};
use shared::jobs::{JOBS, leased, notices, outbox, people, privacy, register, retention, webhooks};
use shared::mailer::{Mailer, Transport};
use shared::store::{Backend, Store};
use shared::time::Timestamp;

use crate::config::JobsConfig;

/// Messages one run delivers at most.
const OUTBOX_BATCH: usize = 100;
/// Log entries one run of the person index reads at most.
const PEOPLE_BUDGET: u64 = 20_000;
/// Log entries one retention rule walks at most per run.
const RETENTION_BUDGET: u64 = 10_000;
/// Log entries each walk of the notices job reads at most, and the notices and reminders it queues.
const NOTICES_BUDGET: notices::Budget = notices::Budget {
    entries: 10_000,
    mails: 1_000,
};
/// Log entries the webhooks job turns into events per run, and attempts per endpoint, at most.
const WEBHOOKS_BUDGET: webhooks::Budget = webhooks::Budget {
    entries: 6_000,
    attempts: 500,
};
/// Log entries one run of the register seals at most.
const REGISTER_BUDGET: u64 = 20_000;

/// What the scheduler asked for.
#[derive(Debug, PartialEq)]
struct Params {
    only: Vec<&'static str>,
    dry_run: bool,
}

fn bad(code: &'static str, message: String) -> ApiError {
    ApiError::BadRequest { code, message }
}

fn params(query: Option<&str>) -> Result<Params, ApiError> {
    let mut out = Params {
        only: JOBS.to_vec(),
        dry_run: false,
    };
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "only" => {
                out.only = Vec::new();
                for wanted in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let job = JOBS.iter().find(|j| **j == wanted).ok_or_else(|| {
                        bad(
                            "unknown_job",
                            format!("{wanted} is not a job; the jobs are {}", JOBS.join(", ")),
                        )
                    })?;
                    if !out.only.contains(job) {
                        out.only.push(job);
                    }
                }
                if out.only.is_empty() {
                    return Err(bad("unknown_job", "only names no job".into()));
                }
            }
            "dry_run" => {
                out.dry_run = match value.as_ref() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => {
                        return Err(bad(
                            "invalid_dry_run",
                            format!("dry_run must be true or false, not {other:?}"),
                        ));
                    }
                }
            }
            other => {
                return Err(bad(
                    "unknown_parameter",
                    format!("{other} is not a parameter (only, dry_run)"),
                ));
            }
        }
    }
    Ok(out)
}

pub async fn run_jobs<B: Backend, T: Transport>(
    headers: &HeaderMap,
    query: Option<&str>,
    config: &JobsConfig,
    store: &Store<B>,
    transport: T,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    if !config.authorized(headers) {
        return Err(ApiError::Unauthorized);
    }
    let params = params(query)?;
    let mailer = Mailer::new(config.mail.clone(), &transport);
    let mut report = Map::new();
    for job in &params.only {
        if *job == "register" && config.register.is_none() {
            report.insert(
                (*job).to_owned(),
                json!({"ran": false, "reason": "register_signing_key is not set"}),
            );
            continue;
        }
        let dry_run = params.dry_run;
        let done = leased(store, job, now, async || match *job {
            "outbox" if dry_run => outbox::pending(store, now, usize::MAX)
                .await
                .map(|due| json!({"pending": due.len()})),
            "outbox" => outbox::deliver_due(store, mailer.as_ref(), now, OUTBOX_BATCH)
                .await
                .map(|r| json!(r)),
            "webhooks" if dry_run => webhooks::behind(store)
                .await
                .map(|behind| json!({"behind": behind})),
            "webhooks" => webhooks::run(store, &transport, WEBHOOKS_BUDGET, now)
                .await
                .map(|r| json!(r)),
            "people" if dry_run => people::behind(store)
                .await
                .map(|behind| json!({"behind": behind})),
            "people" => {
                let pseudonymise = |value: &str| config.privacy.pseudonym(value);
                people::index(store, &pseudonymise, PEOPLE_BUDGET, now)
                    .await
                    .map(|r| json!(r))
            }
            "notices" => notices::run(
                store,
                &config.privacy,
                config.contact_reminder_months,
                NOTICES_BUDGET,
                now,
                dry_run,
            )
            .await
            .map(|r| json!(r)),
            "privacy" => privacy::expire_unverified(store, now, dry_run)
                .await
                .map(|n| json!({"expired": n})),
            "retention" => {
                let held: Vec<_> = config.privacy.legal_hold.iter().map(|h| h.kind).collect();
                retention::apply(
                    store,
                    &config.retention,
                    &held,
                    now,
                    dry_run,
                    RETENTION_BUDGET,
                )
                .await
                .map(|r| json!(r))
            }
            _ => match &config.register {
                Some(signer) => {
                    let origin = shared::register::origin(&config.privacy.public_base_url);
                    register::seal(store, signer, &origin, REGISTER_BUDGET, now, dry_run)
                        .await
                        .map(|r| json!(r))
                }
                // Skipped before its lease was taken.
                None => Ok(json!({})),
            },
        })
        .await?;
        report.insert((*job).to_owned(), done);
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"dry_run": params.dry_run, "jobs": report}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_known_jobs_and_dry_run_is_a_boolean() {
        assert_eq!(
            params(None).unwrap(),
            Params {
                only: JOBS.to_vec(),
                dry_run: false
            }
        );
        assert_eq!(
            params(Some("only=people,outbox,people&dry_run=true")).unwrap(),
            Params {
                only: vec!["people", "outbox"],
                dry_run: true
            }
        );
        let refused = |q| match params(Some(q)) {
            Err(ApiError::BadRequest { code, message }) => (code, message),
            other => panic!("{q}: {other:?}"),
        };
        assert_eq!(refused("only=people,backup").0, "unknown_job");
        assert!(refused("only=people,backup").1.contains("backup"));
        assert_eq!(params(Some("only=register")).unwrap().only, ["register"]);
        assert_eq!(refused("dry_run=yes").0, "invalid_dry_run");
        assert_eq!(refused("force=1").0, "unknown_parameter");
    }
}
