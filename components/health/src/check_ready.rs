//! `GET /health/ready`: whether this instance should get traffic: the store answers a read within
//! 5 s and then takes a write. A `503` takes the instance out of rotation at once.

use http::Response;
use serde::Serialize;
use shared::http::ApiError;
use shared::store::{Backend, Store};
use shared::time::Timestamp;

/// How long the read may take: the same deadline every request's first read has.
pub const READY_MILLIS: u64 = 5_000;

#[derive(Serialize)]
struct Ready {
    store: &'static str,
    /// `sqlite`, `redis` or `other`.
    backend: &'static str,
}

pub async fn check_ready<K: Backend>(store: &Store<K>) -> Result<Response<String>, ApiError> {
    let backend = store
        .ready_within(READY_MILLIS, Timestamp::now())
        .await
        .map_err(ApiError::unavailable)?;
    Ok(shared::http::probe_response(&Ready {
        store: "ok",
        backend,
    }))
}
