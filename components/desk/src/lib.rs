//! The privacy desk: the privacy officer's console in the browser, on the API that exists. Sign in with
//! an API key holding `privacy:read` (`privacy:write` to decide), work through the queue of data-subject
//! requests, open one, and approve, deny, extend or rectify it with plain form posts that run the same
//! decision as `PATCH /api/v1/privacy-requests/{id}`. Pages are de/en, never cached or framed, and need
//! no script.
//!
//! | route | handler |
//! |---|---|
//! | `GET /desk` | [`show_queue::show_queue`]: the queue, soonest due first, and the Art. 14 notices owed |
//! | `GET /desk/sign-in` | [`sign_in::show_sign_in`]: the sign-in form (every page shows it without a session) |
//! | `POST /desk/sign-in` | [`sign_in::sign_in`]: an API key exchanged for a session cookie |
//! | `POST /desk/sign-out` | [`sign_out::sign_out`]: ends the key's sessions |
//! | `GET /desk/requests/{id}` | [`show_request::show_request`]: one request, what is held, the decisions its state allows |
//! | `POST /desk/requests/{id}` | [`decide_request::decide_request`]: a decision, under the request's ETag and the session's CSRF token |
//! | `GET /desk/desk.css` | [`page::stylesheet`]: the desk's look |

pub mod config;
pub mod decide_request;
pub mod door;
pub mod page;
pub mod show_queue;
pub mod show_request;
pub mod sign_in;
pub mod sign_out;
pub mod texts;

#[cfg(target_arch = "wasm32")]
shared::entry::component! {
    config: config::load(),
    // The desk's pages post only to themselves: no CORS.
    cors: |_| None,
    route: async |incoming, config, store| {
        use crate::page::{View, failure};
        use http::StatusCode;
        use shared::http::{asset, see_other};
        use shared::time::Timestamp;

        let (headers, query, now) = (&incoming.headers, incoming.query.as_deref(), Timestamp::now());
        let view = View::of(headers, query);
        let body = || incoming.request.body().clone();
        let segments = incoming.segments();
        let what = format!("{} {}", incoming.method, incoming.path());
        let officer = match door::officer(headers, config, &store, now).await {
            Ok(officer) => officer,
            Err(error) => return Ok(failure(error, view, None)),
        };
        let answer = match (&incoming.method, &segments[..], &officer) {
            (&Method::GET, ["desk", "desk.css"], _) => Ok(asset(
                "text/css; charset=utf-8",
                &page::stylesheet(),
                "no-cache",
            )),
            (&Method::GET, ["desk", "sign-in"], _) => {
                Ok(sign_in::show_sign_in(view, StatusCode::OK, None))
            }
            (&Method::POST, ["desk", "sign-in"], _) => {
                sign_in::sign_in(headers, body(), view, config, &store, now).await
            }
            (&Method::POST, ["desk", "sign-out"], officer) => {
                let officer = officer.as_ref();
                sign_out::sign_out(headers, body(), officer, view, config, &store, now).await
            }
            (&Method::GET, ["desk"], Some(officer)) => {
                let shown = show_queue::show_queue(query, officer, view, &store, now).await;
                door::registered(officer, &store, &what, now, shown).await
            }
            (&Method::GET, ["desk", "requests", id], Some(officer)) => {
                let settings = &config.privacy;
                let shown = show_request::show_request(
                    id, officer, view, None, StatusCode::OK, settings, &store, now,
                )
                .await;
                door::registered(officer, &store, &what, now, shown).await
            }
            (&Method::POST, ["desk", "requests", id], Some(officer)) => {
                decide_request::decide_request(
                    id, headers, body(), officer, view, config, &store, now,
                )
                .await
            }
            // Without a session: the sign-in page, or after a post, the way to it.
            (&Method::GET, ["desk"] | ["desk", "requests", _], None) => {
                Ok(sign_in::show_sign_in(view, StatusCode::OK, None))
            }
            (&Method::POST, ["desk", "requests", _], None) => {
                door::check_origin(headers, config)
                    .map(|()| see_other(&view.href("/desk/sign-in")))
            }
            // Any other method of a desk path: 405 naming the path's methods.
            _ => Err(match shared::routes::allowed(incoming.path()) {
                Some(allow) => ApiError::MethodNotAllowed { allow },
                None => ApiError::NotFound,
            }),
        };
        Ok(answer.unwrap_or_else(|error| {
            // A post from another origin learns nothing of the session.
            let signed = officer
                .as_ref()
                .filter(|_| !matches!(error, ApiError::ForbiddenOrigin))
                .map(door::Officer::signed);
            failure(error, view, signed)
        }))
    },
}
