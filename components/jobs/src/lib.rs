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
mod entry {
    use crate::config::{self, JobsConfig};
    use crate::run_jobs;
    use http::{Method, Response};
    use shared::entry::{Incoming, serve};
    use shared::http::ApiError;
    use shared::mailer::SpinTransport;
    use shared::store::{SpinBackend, Store};
    use shared::time::Timestamp;

    #[spin_sdk::http_service]
    async fn handle(request: spin_sdk::http::Request) -> Response<String> {
        // Called by a scheduler, not a browser: no CORS.
        serve(request, config::load().await, |_| None, route).await
    }

    async fn route(
        incoming: Incoming,
        config: &'static JobsConfig,
        store: Store<SpinBackend>,
    ) -> Result<Response<String>, ApiError> {
        let query = incoming.query.as_deref();
        match (&incoming.method, &incoming.segments()[..]) {
            (&Method::POST, ["api", "jobs", "run"]) => {
                run_jobs::run_jobs(
                    &incoming.headers,
                    query,
                    config,
                    &store,
                    SpinTransport,
                    Timestamp::now(),
                )
                .await
            }
            _ => Err(ApiError::NotFound),
        }
    }
}
