//! The marketing API: scoped keys, the change feeds of what the site captured, demo request status,
//! the suppression check and the OpenAPI document; server to server (no CORS).
//!
//! | route | handler | needs |
//! |---|---|---|
//! | `GET /api/v1/openapi.json` | [`describe_api::describe_api`]: the OpenAPI 3.1 document of the whole public API | nothing |
//! | `POST /api/v1/keys` | [`create_key::create_key`]: a new key, shown once | admin key |
//! | `GET /api/v1/keys` | [`list_keys::list_keys`]: every key, without secrets | admin key |
//! | `DELETE /api/v1/keys/{id}` | [`revoke_key::revoke_key`]: revokes at once | admin key |
//! | `GET /api/v1/{submissions,subscribers,demo-requests,consents,opt-outs}?after=&limit=&format=` | [`pull::pull`]: a page of the collection's feed ([`feed`]) as JSON, NDJSON or CSV ([`format`], [`csv`]), or with `limit=all` all of it, streamed ([`export`]) | `leads:read`, `consents:read`, `opt-outs:read` |
//! | `GET /api/v1/demo-requests/{id}` | [`show_demo_request::show_demo_request`]: one demo request with its `ETag` | `leads:read` |
//! | `PATCH /api/v1/demo-requests/{id}` | [`set_demo_status::set_demo_status`]: its status, under `If-Match` | `demo-requests:write` |
//! | `POST /api/v1/opt-outs/check` | [`check_opt_outs::check_opt_outs`]: which emails and phones are on the do-not-contact registry | `opt-outs:read` |
//! | `GET /api/v1/privacy-requests?status=` | [`list_privacy_requests::list_privacy_requests`]: data-subject requests, soonest due first | `privacy:read` |
//! | `GET /api/v1/privacy-requests/changes?after=&limit=&format=` | [`pull::pull`]: their change feed | `privacy:read` |
//! | `GET /api/v1/privacy-requests/{id}` | [`show_privacy_request::show_privacy_request`]: one request, its timeline and what is held about the person | `privacy:read` |
//! | `GET /api/v1/register/{checkpoint,key,tile/...}` | [`read_register::read_register`]: the register as C2SP tlog-tiles | `register:read` (or none with `register_public`) |
//! | `POST /api/v1/contacts/import` | [`import_contacts::import_contacts`]: contacts from another source (JSON or CSV) | `contacts:write` |
//! | `GET /api/v1/contacts?after=&limit=&format=` | [`pull::pull`]: the contacts feed (only once their notice is queued or sent) | `contacts:read` |
//! | `GET /api/v1/contacts/notices?status=` | [`list_notices::list_notices`]: Art. 14 notices owed, overdue or undeliverable | `contacts:read` |
//! | `POST /api/v1/webhooks` | [`create_webhook::create_webhook`]: an endpoint and its secret, shown once | admin key or `webhooks:write` |
//! | `GET /api/v1/webhooks` | [`list_webhooks::list_webhooks`]: every endpoint, without secrets | admin key or `webhooks:write` |
//! | `GET /api/v1/webhooks/{id}` | [`show_webhook::show_webhook`]: one endpoint | admin key or `webhooks:write` |
//! | `DELETE /api/v1/webhooks/{id}` | [`delete_webhook::delete_webhook`]: the endpoint and its delivery log | admin key or `webhooks:write` |
//! | `POST /api/v1/webhooks/{id}/secrets` | [`rotate_secret::rotate_secret`]: a second secret (rotation) | admin key or `webhooks:write` |
//! | `DELETE /api/v1/webhooks/{id}/secrets/{secret_id}` | [`remove_secret::remove_secret`]: the old secret gone | admin key or `webhooks:write` |
//! | `GET /api/v1/webhooks/{id}/deliveries?before=&limit=` | [`list_deliveries::list_deliveries`]: the delivery log | admin key or `webhooks:write` |
//! | `POST /api/v1/webhooks/{id}/replay` | [`replay_webhook::replay_webhook`]: one event or all since a time, again | admin key or `webhooks:write` |
//! | `PATCH /api/v1/privacy-requests/{id}` | [`decide_privacy_request::decide_privacy_request`]: approve, deny, extend or rectify, under `If-Match` | `privacy:write` |
//!
//! The admin key is the Spin variable `admin_api_key` (a secret of at least 32 characters; unset or
//! shorter, key management answers 503). Other keys are `Authorization: Bearer mck_{id}_{secret}`
//! ([`auth`]); every request made with one is registered, refusals included ([`auth::keyed`]).

pub mod auth;
pub mod caller;
pub mod check_opt_outs;
pub mod config;
pub mod create_key;
pub mod create_webhook;
pub mod csv;
pub mod decide_privacy_request;
pub mod delete_webhook;
pub mod describe_api;
pub mod export;
pub mod feed;
pub mod format;
pub mod import_contacts;
pub mod list_deliveries;
pub mod list_keys;
pub mod list_notices;
pub mod list_privacy_requests;
pub mod list_webhooks;
pub mod privacy_view;
pub mod pull;
pub mod read_register;
pub mod remove_secret;
pub mod replay_webhook;
pub mod revoke_key;
pub mod rotate_secret;
pub mod set_demo_status;
pub mod show_demo_request;
pub mod show_privacy_request;
pub mod show_webhook;
pub mod view;

#[cfg(target_arch = "wasm32")]
shared::entry::component! {
    config: config::load(),
    // Called by CRMs and scripts, not browsers: no CORS.
    cors: |_| None,
    route: async |incoming, config, store| {
        use crate::auth::{REGISTER_READ, authenticate, keyed, require};
        use crate::caller::as_caller;
        use crate::feed::{PRIVACY_REQUESTS, collection};
        use crate::read_register::Wanted;
        use http::Response;
        use shared::http::{Reply, read_body};
        use shared::time::Timestamp;
        use std::rc::Rc;

        /// The largest body key management reads.
        const MAX_BODY: usize = 16 * 1024;

        let store = Rc::new(store);
        let (headers, query, now) = (
            &incoming.headers,
            incoming.query.as_deref(),
            Timestamp::now(),
        );
        let whole = |response: Response<String>| response.map(Reply::from);
        // Read whole already: handing it on costs a reference count.
        let body = || incoming.request.body().clone();
        let what = format!("{} {}", incoming.method, incoming.path());
        let segments = incoming.segments();
        match (&incoming.method, &segments[..]) {
            (&Method::GET, ["api", "v1", "openapi.json"]) => Ok(whole(describe_api::describe_api(
                describe_api::load().await?,
            ))),
            (&Method::POST, ["api", "v1", "keys"]) => {
                let body = read_body(headers, body(), MAX_BODY).await?;
                create_key::create_key(headers, &body, config, &store, now)
                    .await
                    .map(whole)
            }
            (&Method::GET, ["api", "v1", "keys"]) => {
                list_keys::list_keys(headers, config, &store, now)
                    .await
                    .map(whole)
            }
            (&Method::DELETE, ["api", "v1", "keys", id]) => {
                revoke_key::revoke_key(headers, id, config, &store, now)
                    .await
                    .map(whole)
            }
            (&Method::POST, ["api", "v1", "contacts", "import"]) => {
                keyed(headers, &store, now, &what, async |key| {
                    import_contacts::import_contacts(headers, query, body(), key, config, &store, now)
                        .await
                })
                .await
            }
            (&Method::GET, ["api", "v1", "contacts", "notices"]) => {
                keyed(headers, &store, now, &what, async |key| {
                    list_notices::list_notices(query, key, &store, now).await
                })
                .await
            }
            (&Method::POST, ["api", "v1", "webhooks"]) => {
                let body = read_body(headers, body(), create_webhook::MAX_BODY).await?;
                as_caller(headers, config, &store, now, &what, async |caller| {
                    create_webhook::create_webhook(&body, caller, config, &store, now).await
                })
                .await
            }
            (&Method::GET, ["api", "v1", "webhooks"]) => {
                as_caller(headers, config, &store, now, &what, async |_| {
                    list_webhooks::list_webhooks(&store).await
                })
                .await
            }
            (&Method::GET, ["api", "v1", "webhooks", id]) => {
                as_caller(headers, config, &store, now, &what, async |_| {
                    show_webhook::show_webhook(id, &store).await
                })
                .await
            }
            (&Method::DELETE, ["api", "v1", "webhooks", id]) => {
                as_caller(headers, config, &store, now, &what, async |caller| {
                    delete_webhook::delete_webhook(id, caller, &store, now).await
                })
                .await
            }
            (&Method::POST, ["api", "v1", "webhooks", id, "secrets"]) => {
                as_caller(headers, config, &store, now, &what, async |caller| {
                    rotate_secret::rotate_secret(id, caller, &store, now).await
                })
                .await
            }
            (&Method::DELETE, ["api", "v1", "webhooks", id, "secrets", secret]) => {
                as_caller(headers, config, &store, now, &what, async |caller| {
                    remove_secret::remove_secret(id, secret, caller, &store, now).await
                })
                .await
            }
            (&Method::GET, ["api", "v1", "webhooks", id, "deliveries"]) => {
                as_caller(headers, config, &store, now, &what, async |_| {
                    list_deliveries::list_deliveries(id, query, &store).await
                })
                .await
            }
            (&Method::POST, ["api", "v1", "webhooks", id, "replay"]) => {
                let body = read_body(headers, body(), MAX_BODY).await?;
                as_caller(headers, config, &store, now, &what, async |caller| {
                    replay_webhook::replay_webhook(id, &body, caller, &store, now).await
                })
                .await
            }
            (&Method::GET, ["api", "v1", name]) if collection(name).is_some() => {
                let collection = collection(name).ok_or(ApiError::NotFound)?;
                keyed(headers, &store, now, &what, async |key| {
                    pull::pull(headers, query, collection, key, store.clone(), now).await
                })
                .await
            }
            (&Method::GET, ["api", "v1", "demo-requests", id]) => {
                keyed(headers, &store, now, &what, async |key| {
                    show_demo_request::show_demo_request(id, key, &store, now).await
                })
                .await
            }
            (&Method::PATCH, ["api", "v1", "demo-requests", id]) => {
                keyed(headers, &store, now, &what, async |key| {
                    set_demo_status::set_demo_status(id, headers, body(), key, &store, now).await
                })
                .await
            }
            (&Method::POST, ["api", "v1", "opt-outs", "check"]) => {
                keyed(headers, &store, now, &what, async |key| {
                    let suppression_key = &config.suppression_key;
                    check_opt_outs::check_opt_outs(
                        headers,
                        body(),
                        key,
                        suppression_key,
                        &store,
                        now,
                    )
                    .await
                })
                .await
            }
            (&Method::GET, ["api", "v1", "privacy-requests"]) => {
                keyed(headers, &store, now, &what, async |key| {
                    list_privacy_requests::list_privacy_requests(query, key, &store, now).await
                })
                .await
            }
            (&Method::GET, ["api", "v1", "privacy-requests", "changes"]) => {
                keyed(headers, &store, now, &what, async |key| {
                    pull::pull(headers, query, &PRIVACY_REQUESTS, key, store.clone(), now).await
                })
                .await
            }
            (&Method::GET, ["api", "v1", "privacy-requests", id]) => {
                keyed(headers, &store, now, &what, async |key| {
                    show_privacy_request::show_privacy_request(
                        id,
                        key,
                        &config.privacy,
                        &store,
                        now,
                    )
                    .await
                })
                .await
            }
            (&Method::PATCH, ["api", "v1", "privacy-requests", id]) => {
                keyed(headers, &store, now, &what, async |key| {
                    decide_privacy_request::decide_privacy_request(
                        id,
                        headers,
                        body(),
                        key,
                        &config.privacy,
                        &store,
                        now,
                    )
                    .await
                })
                .await
            }
            (&Method::GET, ["api", "v1", "register", rest @ ..]) => {
                let wanted = match rest {
                    ["checkpoint"] => Wanted::Checkpoint,
                    ["key"] => Wanted::Key,
                    ["tile", tile @ ..] => Wanted::Tile(tile),
                    _ => return Err(ApiError::NotFound),
                };
                if !config.register_public {
                    require(&authenticate(headers, &store, now).await?, REGISTER_READ)?;
                }
                read_register::read_register(wanted, config, &store).await
            }
            _ => Err(ApiError::NotFound),
        }
    },
}
