//! `GET /desk/sign-in` (also what any desk page shows without a session) and `POST /desk/sign-in`:
//! the officer's API key, from the form field `key`, exchanged for a session cookie. The key itself is
//! checked once and never stored in the browser. Every attempt counts against the client's rate limit;
//! a wrong key gets the same page with one message, and a register entry as a refusal.

use crate::config::DeskConfig;
use crate::door::{check_origin, entry, jar};
use crate::page::{View, alert, desk_page};
use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body_util::Full;
use shared::body::{BodyRules, RawFields};
use shared::capture::client_ip;
use shared::http::{ApiError, escape_html, see_other, with_cookie};
use shared::records::{Action, Actor};
use shared::staff::keys::{PRIVACY_READ, actor, authenticate, has};
use shared::staff::session::DeskSession;
use shared::store::{Backend, Capture, Captured, Store};
use shared::time::Timestamp;

/// The largest sign-in body read (a key is 71 characters).
const MAX_BODY: usize = 4 * 1024;

/// The sign-in page, with `message` above the form.
pub fn show_sign_in(view: View, status: StatusCode, message: Option<&str>) -> Response<String> {
    let t = view.texts;
    let body = format!(
        "{}<p>{}</p><form method=post action=\"{}\">\
         <label for=key>{}</label>\
         <input id=key name=key type=password autocomplete=off required aria-describedby=key-hint>\
         <p class=hint id=key-hint>{}</p>\
         <button>{}</button></form>",
        message.map(alert).unwrap_or_default(),
        escape_html(t.sign_in_intro),
        escape_html(&view.href("/desk/sign-in")),
        escape_html(t.key_label),
        escape_html(t.key_hint),
        escape_html(t.sign_in),
    );
    desk_page(status, view, t.sign_in_title, None, &body)
}

pub async fn sign_in<B: Backend>(
    headers: &HeaderMap,
    body: Full<Bytes>,
    view: View,
    config: &DeskConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    check_origin(headers, config)?;
    let (mut fields, _) = RawFields::read(headers, body, MAX_BODY, &BodyRules::form()).await?;
    let presented = fields.take("key").unwrap_or_default();
    let client = client_ip(headers, &config.capture)?;
    let mut attempt = Capture::counting_only();
    let check = config.capture.rate_check(client.ip(), now);
    let retry_after = check.until() - check.at;
    attempt.rate = Some(check);
    if let Captured::RateLimited = store.capture(attempt).await? {
        return Err(ApiError::RateLimited { retry_after });
    }
    // One message for every refusal; the register says which key, when the key was a real one.
    let refused = match authenticate(&presented, store, now).await {
        Ok(key) if has(&key, PRIVACY_READ) => Ok(key),
        Ok(key) => Err(actor(&key)),
        Err(ApiError::Unauthorized) => Err(Actor::Visitor {
            ip_truncated: client.truncated().to_string(),
        }),
        Err(other) => return Err(other),
    };
    let key = match refused {
        Ok(key) => key,
        Err(who) => {
            store
                .note_many(entry(
                    who,
                    Action::Refused,
                    "desk sign-in refused".into(),
                    now,
                ))
                .await?;
            let t = view.texts;
            return Ok(show_sign_in(
                view,
                StatusCode::UNAUTHORIZED,
                Some(t.wrong_key),
            ));
        }
    };
    let session = DeskSession::begin(&key.id, now);
    store
        .note_many(entry(
            actor(&key),
            Action::Read,
            "desk signed in".into(),
            now,
        ))
        .await?;
    let cookie = jar(headers, config).set(
        &session.seal(&config.privacy.keys),
        session.seconds_left(now),
    );
    Ok(with_cookie(see_other(&view.href("/desk")), &cookie))
}
