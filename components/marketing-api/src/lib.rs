//! The marketing API: scoped keys and the change feed of what the site captured, server to server
//! (no CORS).
//!
//! | route | handler | needs |
//! |---|---|---|
//! | `POST /api/v1/keys` | [`create_key::create_key`]: a new key, shown once | admin key |
//! | `GET /api/v1/keys` | [`list_keys::list_keys`]: every key, without secrets | admin key |
//! | `DELETE /api/v1/keys/{id}` | [`revoke_key::revoke_key`]: revokes at once | admin key |
//! | `GET /api/v1/{submissions,subscribers,demo-requests}?after=&limit=&format=` | [`pull::pull`]: one page of the collection's feed ([`feed`]), JSON, NDJSON or CSV ([`csv`]) | `leads:read` |
//!
//! The admin key is the Spin variable `admin_api_key` (a secret of at least 32 characters; unset or
//! shorter, key management answers 503). Other keys are `Authorization: Bearer mck_{id}_{secret}`
//! ([`auth`]).

pub mod auth;
pub mod config;
pub mod create_key;
pub mod csv;
pub mod feed;
pub mod list_keys;
pub mod pull;
pub mod revoke_key;
pub mod view;

#[cfg(target_arch = "wasm32")]
mod entry {
    use crate::config::{self, ApiConfig};
    use crate::feed::collection;
    use crate::{create_key, list_keys, pull, revoke_key};
    use http::{Method, Response};
    use shared::entry::{Incoming, serve};
    use shared::http::{ApiError, read_body};
    use shared::store::{SpinBackend, Store};
    use shared::time::Timestamp;

    /// The largest body read (the key handler refuses bodies over its own, smaller limit).
    const MAX_BODY: usize = 16 * 1024;

    #[spin_sdk::http_service]
    async fn handle(request: spin_sdk::http::Request) -> Response<String> {
        // Called by CRMs and scripts, not browsers: no CORS.
        serve(request, config::load().await, |_| None, route).await
    }

    async fn route(
        incoming: Incoming,
        config: &'static ApiConfig,
        store: Store<SpinBackend>,
    ) -> Result<Response<String>, ApiError> {
        let (headers, query, now) = (
            &incoming.headers,
            incoming.query.as_deref(),
            Timestamp::now(),
        );
        let segments = incoming.segments();
        match (&incoming.method, &segments[..]) {
            (&Method::POST, ["api", "v1", "keys"]) => {
                let body = read_body(headers, incoming.request.into_body(), MAX_BODY).await?;
                create_key::create_key(headers, &body, config, &store, now).await
            }
            (&Method::GET, ["api", "v1", "keys"]) => {
                list_keys::list_keys(headers, config, &store).await
            }
            (&Method::DELETE, ["api", "v1", "keys", id]) => {
                revoke_key::revoke_key(headers, id, config, &store, now).await
            }
            (&Method::GET, ["api", "v1", name]) if collection(name).is_some() => {
                let collection = collection(name).ok_or(ApiError::NotFound)?;
                pull::pull(headers, query, collection, &store, now).await
            }
            (_, ["api", "v1", "keys"]) => Err(ApiError::MethodNotAllowed { allow: "GET, POST" }),
            (_, ["api", "v1", "keys", _]) => Err(ApiError::MethodNotAllowed { allow: "DELETE" }),
            (_, ["api", "v1", name]) if collection(name).is_some() => {
                Err(ApiError::MethodNotAllowed { allow: "GET" })
            }
            _ => Err(ApiError::NotFound),
        }
    }
}
