//! Health probes for the orchestrator (SpinKube, a load balancer): no key, no personal data, nothing
//! registered; each is one timed read of the store. An instance keeps no state between requests, so how
//! long a failure may last before a restart is the probe's setting (`deploy/spinkube/spinapp.yaml`).
//!
//! | route | handler |
//! |---|---|
//! | `GET /health/ready` | [`check_ready::check_ready`]: a read within 5 s, then a write: `200 {"store": "ok", "backend": ...}` or `503` |
//! | `GET /health/live` | [`check_live::check_live`]: a read within `liveness_store_seconds`: `200` or `503` |

pub mod check_live;
pub mod check_ready;
pub mod config;

#[cfg(target_arch = "wasm32")]
shared::entry::component! {
    config: config::load(),
    cors: |_| None,
    route: async |incoming, config, store| {
        match (&incoming.method, &incoming.segments()[..]) {
            (&Method::GET, ["health", "ready"]) => check_ready::check_ready(&store).await,
            (&Method::GET, ["health", "live"]) => check_live::check_live(config, &store).await,
            _ => Err(ApiError::NotFound),
        }
    },
}
