//! `POST /u/{token}`: unsubscribe at once, from the page's button or an RFC 8058 one-click POST
//! (`List-Unsubscribe=One-Click`). Idempotent; a bad token changes nothing.

use http::{HeaderMap, Response, StatusCode};
use shared::capture::{CaptureSettings, client_ip};
use shared::http::{ApiError, escape_html, page_in};
use shared::links::{UnsubscribeLink, UnsubscribeScope};
use shared::records::{Action, Actor, OptOutSource, Subscriber, notes};
use shared::store::{Backend, Channel, Event, Log, RecordKind, Store};
use shared::time::Timestamp;

pub async fn unsubscribe<K: Backend>(
    headers: &HeaderMap,
    settings: &CaptureSettings,
    store: &Store<K>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let link = UnsubscribeLink::open(settings.unsubscribe_keys(), token)?;
    let now = Timestamp::now();
    let client = client_ip(headers, settings)?;
    let actor = Actor::Visitor {
        ip_truncated: client.truncated().to_string(),
    };
    let detail = match &link.scope {
        UnsubscribeScope::AllEmail => notes::ALL_EMAIL.to_owned(),
        UnsubscribeScope::List(list) => format!("{}{list}", notes::LIST),
    };
    let event = Event::by(
        actor.clone(),
        Log::Subscribers,
        Action::Updated,
        Some(detail),
        now,
    );
    // The subscriber's id is the same pseudonym as the link's, so no address is needed.
    store
        .update(
            RecordKind::Subscriber,
            &link.pseudonym,
            event,
            |s: &mut Subscriber| match &link.scope {
                UnsubscribeScope::List(list) => s.unsubscribe(Some(list), now),
                UnsubscribeScope::AllEmail => s.unsubscribe(None, now),
            },
        )
        .await?;
    if link.scope == UnsubscribeScope::AllEmail {
        store
            .opt_out(
                Channel::Email,
                &link.pseudonym,
                OptOutSource::UnsubscribeLink,
                actor,
                now,
            )
            .await?;
    }
    let w = crate::show_unsubscribe::words(headers, store, &link.pseudonym).await?;
    Ok(page_in(
        StatusCode::OK,
        w.lang,
        w.unsubscribed_title,
        &format!("<p>{}</p>", escape_html(w.unsubscribed_text)),
    ))
}
