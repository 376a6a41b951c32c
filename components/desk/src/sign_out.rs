//! `POST /desk/sign-out` (the button on every page): ends every desk session of the officer's key (a
//! sign-out mark in the store, so a copied cookie stops working too), removes the cookie, and sends the
//! browser to the sign-in page.

use crate::config::DeskConfig;
use crate::door::{Officer, check_origin, entry, jar, registered};
use crate::page::View;
use bytes::Bytes;
use http::{HeaderMap, Response};
use http_body_util::Full;
use shared::body::{BodyRules, RawFields};
use shared::http::{ApiError, see_other, with_cookie};
use shared::records::Action;
use shared::store::{Backend, Store};
use shared::time::Timestamp;

/// The largest sign-out body read (a CSRF token).
const MAX_BODY: usize = 4 * 1024;

pub async fn sign_out<B: Backend>(
    headers: &HeaderMap,
    body: Full<Bytes>,
    officer: Option<&Officer>,
    view: View,
    config: &DeskConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    // The Origin first: a post from elsewhere learns nothing, not even whether a session exists.
    check_origin(headers, config)?;
    let back = with_cookie(
        see_other(&view.href("/desk/sign-in")),
        &jar(headers, config).clear(),
    );
    let Some(officer) = officer else {
        return Ok(back);
    };
    let checked = async {
        let (mut fields, _) = RawFields::read(headers, body, MAX_BODY, &BodyRules::form()).await?;
        officer.check_csrf(config, fields.take("csrf").as_deref())
    }
    .await;
    registered(officer, store, "POST /desk/sign-out", now, checked).await?;
    let event = entry(
        officer.actor(),
        Action::Updated,
        "desk signed out".into(),
        now,
    );
    store.end_desk_sessions(&officer.key.id, now, event).await?;
    Ok(back)
}
