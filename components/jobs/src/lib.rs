//! The one scheduler entry point: a cron line, a Kubernetes CronJob or `serve` calls it every minute.
//!
//! | route | handler |
//! |---|---|
//! | `POST /api/jobs/run?only=&dry_run=` | [`run_jobs::run_jobs`]: runs the jobs ([`run_jobs::JOBS`]), each under a lease, bounded, and reports on each |
//!
//! Needs `Authorization: Bearer {jobs_token}` (a secret variable; empty refuses every call).

pub mod config;
pub mod run_jobs;

#[cfg(target_arch = "wasm32")]
shared::entry::component! {
    config: config::load(),
    // Called by a scheduler, not a browser: no CORS.
    cors: |_| None,
    route: async |incoming, config, store| {
        let query = incoming.query.as_deref();
        match (&incoming.method, &incoming.segments()[..]) {
            (&Method::POST, ["api", "jobs", "run"]) => {
                run_jobs::run_jobs(
                    &incoming.headers,
                    query,
                    config,
                    &store,
                    shared::mailer::SpinTransport,
                    shared::time::Timestamp::now(),
                )
                .await
            }
            _ => Err(ApiError::NotFound),
        }
    },
}
