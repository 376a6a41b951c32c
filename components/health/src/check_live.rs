//! `GET /health/live`: whether this instance's store client still answers: one read within
//! `liveness_store_seconds`. Repeated `503`s tell the orchestrator to restart the process, the only cure
//! for a stalled client (README, "Health probes").

use crate::config::HealthConfig;
use http::Response;
use serde::Serialize;
use shared::http::ApiError;
use shared::store::{Backend, Store};

#[derive(Serialize)]
struct Live {
    store: &'static str,
}

pub async fn check_live<K: Backend>(
    config: &HealthConfig,
    store: &Store<K>,
) -> Result<Response<String>, ApiError> {
    store
        .live_within(config.liveness_millis)
        .await
        .map_err(ApiError::unavailable)?;
    Ok(shared::http::probe_response(&Live { store: "ok" }))
}
