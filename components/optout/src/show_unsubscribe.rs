//! `GET /u/{token}`: the page behind an unsubscribe link, in the subscriber's language (else the
//! browser's). It says what will happen and changes nothing: mail scanners fetch links, so only the
//! button's `POST` applies it.

use http::{HeaderMap, Response, StatusCode};
use shared::capture::CaptureSettings;
use shared::http::{ApiError, escape_html, last_header, page_in};
use shared::links::{UnsubscribeLink, UnsubscribeScope};
use shared::records::Subscriber;
use shared::store::{Backend, RecordKind, Store};
use shared::texts::pages::PageWords;

/// The words for the mailbox `pseudonym` (its subscriber's language, else the browser's).
pub async fn words<K: Backend>(
    headers: &HeaderMap,
    store: &Store<K>,
    pseudonym: &str,
) -> Result<&'static PageWords, ApiError> {
    let subscriber: Option<Subscriber> = store.get(RecordKind::Subscriber, pseudonym).await?;
    let kept = subscriber.and_then(|s| s.visit.language);
    Ok(PageWords::for_person(
        kept.as_deref(),
        last_header(headers, "accept-language"),
    ))
}

pub async fn show_unsubscribe<K: Backend>(
    headers: &HeaderMap,
    settings: &CaptureSettings,
    store: &Store<K>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let link = UnsubscribeLink::open(settings.unsubscribe_keys(), token)?;
    let w = words(headers, store, &link.pseudonym).await?;
    let what = match &link.scope {
        UnsubscribeScope::AllEmail => escape_html(w.unsubscribe_all),
        UnsubscribeScope::List(list) => {
            escape_html(w.unsubscribe_list).replace("{list}", &escape_html(list))
        }
    };
    Ok(page_in(
        StatusCode::OK,
        w.lang,
        w.unsubscribe_title,
        &format!(
            "<p>{what}</p><form method=post action=\"{}\"><button>{}</button></form>",
            escape_html(token),
            escape_html(w.unsubscribe_button)
        ),
    ))
}
