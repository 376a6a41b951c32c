//! `GET /api/newsletter/confirm/{token}`: the page behind the confirmation link, in the subscriber's
//! language (else the browser's). It confirms nothing: mail scanners fetch links, so only the button's
//! `POST` confirms.

use crate::config::SignupsConfig;
use http::{HeaderMap, Response, StatusCode};
use shared::http::{ApiError, escape_html, last_header, page_in};
use shared::links::ConfirmLink;
use shared::records::Subscriber;
use shared::store::{Backend, RecordKind, Store};
use shared::texts::pages::PageWords;
use shared::time::Timestamp;

/// The words for the subscriber `id` (its language, else the browser's).
pub async fn words<K: Backend>(
    headers: &HeaderMap,
    store: &Store<K>,
    id: &str,
) -> Result<&'static PageWords, ApiError> {
    let subscriber: Option<Subscriber> = store.get(RecordKind::Subscriber, id).await?;
    let kept = subscriber.and_then(|s| s.visit.language);
    Ok(PageWords::for_person(
        kept.as_deref(),
        last_header(headers, "accept-language"),
    ))
}

pub async fn show_confirmation<K: Backend>(
    headers: &HeaderMap,
    config: &SignupsConfig,
    store: &Store<K>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let link = ConfirmLink::open(&config.capture.keys, token, Timestamp::now())?;
    let w = words(headers, store, &link.subscriber).await?;
    Ok(page_in(
        StatusCode::OK,
        w.lang,
        w.confirm_title,
        &format!(
            "<p>{}</p><form method=post action=\"{}\"><button>{}</button></form>",
            escape_html(w.confirm_text),
            escape_html(token),
            escape_html(w.confirm_button)
        ),
    ))
}
