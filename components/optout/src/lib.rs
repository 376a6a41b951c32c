//! Opting out: the unsubscribe links in emails (with RFC 8058 one-click) and the do-not-call request.
//!
//! | route | handler |
//! |---|---|
//! | `GET /u/{token}` | [`show_unsubscribe::show_unsubscribe`]: what will happen, and a button; changes nothing |
//! | `POST /u/{token}` | [`unsubscribe::unsubscribe`]: apply at once (also `List-Unsubscribe=One-Click`) |
//! | `POST /api/opt-out/phone` | [`do_not_call::do_not_call`]: put a phone number on the do-not-call registry |

pub mod config;
pub mod do_not_call;
pub mod show_unsubscribe;
pub mod unsubscribe;

#[cfg(target_arch = "wasm32")]
shared::entry::component! {
    config: config::load(),
    cors: |settings| Some(settings),
    route: async |incoming, settings, store| {
        let segments = incoming.segments();
        match (&incoming.method, &segments[..]) {
            (&Method::GET, ["u", token]) => {
                show_unsubscribe::show_unsubscribe(&incoming.headers, settings, &store, token).await
            }
            (&Method::POST, ["u", token]) => {
                unsubscribe::unsubscribe(&incoming.headers, settings, &store, token).await
            }
            (&Method::POST, ["api", "opt-out", "phone"]) => {
                do_not_call::do_not_call(incoming.request, settings, &store).await
            }
            (&Method::OPTIONS, ["api", ..]) => {
                shared::capture::preflight(&incoming.headers, settings)
            }
            _ => Err(ApiError::NotFound),
        }
    },
}
