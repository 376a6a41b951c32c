//! The privacy centre: people ask to see, correct or erase their data, or to stop its use; they confirm
//! by an emailed link, follow the request on a status page, and download their data when it is answered.
//! Staff decide in the marketing API (`/api/v1/privacy-requests`).
//!
//! | route | handler |
//! |---|---|
//! | `GET /privacy` | [`show_centre::show_centre`]: the request form (en, de, nl) |
//! | `GET /api/privacy/requests/token` | [`issue_token::issue_token`]: render time for the spam check |
//! | `POST /api/privacy/requests` | [`ask::ask`]: a request; opt-outs in force at once; verification mail |
//! | `GET /privacy/verify/{token}` | [`show_request::show_request`]: a button to confirm, later the status; changes nothing |
//! | `POST /privacy/verify/{token}` | [`verify::verify`]: confirm; the clock starts; acknowledgement mail |
//! | `GET /privacy/download/{token}` | [`download::download`]: the access package, JSON or a readable page |
//! | `GET /privacy/object/{token}` | [`object::show_objection`]: what objecting does, in the contact's language; changes nothing |
//! | `POST /privacy/object/{token}` | [`object::object_to_use`]: the objection of a contact from another source (`erase=on`: erasure too) |
//! | `OPTIONS /api/privacy/...` | CORS preflight for allowed origins |

pub mod ask;
pub mod config;
pub mod download;
pub mod issue_token;
pub mod object;
pub mod package_page;
pub mod show_centre;
pub mod show_request;
pub mod status;
pub mod texts;
pub mod verify;

#[cfg(target_arch = "wasm32")]
shared::entry::component! {
    config: config::load(),
    cors: |c| Some(&c.capture),
    route: async |incoming, config, store| {
        let segments = incoming.segments();
        let (headers, query) = (&incoming.headers, incoming.query.as_deref());
        match (&incoming.method, &segments[..]) {
            (&Method::GET, ["privacy"]) => Ok(show_centre::show_centre(headers, query, config)),
            (&Method::GET, ["api", "privacy", "requests", "token"]) => {
                Ok(issue_token::issue_token(config))
            }
            (&Method::POST, ["api", "privacy", "requests"]) => {
                ask::ask(incoming.request, config, &store).await
            }
            (&Method::GET, ["privacy", "verify", token]) => {
                show_request::show_request(config, &store, token).await
            }
            (&Method::POST, ["privacy", "verify", token]) => {
                verify::verify(headers, config, &store, token).await
            }
            (&Method::GET, ["privacy", "download", token]) => {
                download::download(headers, query, config, &store, token).await
            }
            (&Method::GET, ["privacy", "object", token]) => {
                object::show_objection(headers, config, &store, token).await
            }
            (&Method::POST, ["privacy", "object", token]) => {
                let client = shared::capture::client_ip(headers, &config.capture)?;
                let actor = shared::records::Actor::Visitor {
                    ip_truncated: client.truncated().to_string(),
                };
                let body = incoming.request.body().clone();
                object::object_to_use(headers, body, actor, config, &store, token).await
            }
            (&Method::OPTIONS, ["api", ..]) => shared::capture::preflight(headers, &config.capture),
            _ => Err(ApiError::NotFound),
        }
    },
}
