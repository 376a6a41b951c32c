//! `/privacy/object/{token}`: the objection link of an Art. 14 notice. GET shows what objecting does and
//! changes nothing (mail scanners fetch links); POST, with no fields needed (the signed link is the
//! proof), puts the address and phone on the do-not-contact registry and erases the contact; with
//! `erase=on` it also opens an erasure request that needs no second verification. In the contact's
//! language.

use crate::config::PrivacyConfig;
use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body_util::Full;
use shared::contacts::object::object;
use shared::http::{ApiError, escape_html, last_header, page_in, read_body};
use shared::links::ObjectLink;
use shared::records::{Actor, ImportedContact};
use shared::store::{Backend, RecordKind, Store};
use shared::texts::pages::PageWords;
use shared::time::Timestamp;

/// The contact's language if it is still held, else the browser's, else English.
fn words(contact: Option<&ImportedContact>, headers: &HeaderMap) -> &'static PageWords {
    PageWords::for_person(
        contact.map(|c| c.language.as_str()),
        last_header(headers, "accept-language"),
    )
}

async fn open<B: Backend>(
    config: &PrivacyConfig,
    store: &Store<B>,
    token: &str,
) -> Result<(ObjectLink, Option<ImportedContact>), ApiError> {
    let link = ObjectLink::open(&config.privacy.keys, token)?;
    let contact = store.get(RecordKind::Contact, &link.contact).await?;
    Ok((link, contact))
}

/// GET: what objecting does, and the button; changes nothing.
pub async fn show_objection<B: Backend>(
    headers: &HeaderMap,
    config: &PrivacyConfig,
    store: &Store<B>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let (_, contact) = open(config, store, token).await?;
    let w = words(contact.as_ref(), headers);
    let body = format!(
        "<p>{}</p><form method=post><p><label><input type=checkbox name=erase value=on> {}</label></p>\
         <button type=submit>{}</button></form>",
        escape_html(w.object_explain),
        escape_html(w.object_erase),
        escape_html(w.object_button)
    );
    Ok(page_in(StatusCode::OK, w.lang, w.object_title, &body))
}

/// POST: the objection (and, with `erase=on`, the erasure request).
pub async fn object_to_use<B: Backend>(
    headers: &HeaderMap,
    body: Full<Bytes>,
    actor: Actor,
    config: &PrivacyConfig,
    store: &Store<B>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let (link, contact) = open(config, store, token).await?;
    let body = read_body(headers, body, 4096).await?;
    let erase = form_urlencoded::parse(&body).any(|(k, v)| k == "erase" && v == "on");
    let w = words(contact.as_ref(), headers);
    let now = Timestamp::now();
    let done = object(store, &config.privacy, &link.contact, erase, actor, now).await?;
    let mut text = format!("<p>{}</p>", escape_html(w.objected_text));
    if done.erasure_request.is_some() {
        text.push_str(&format!("<p>{}</p>", escape_html(w.object_erasure_opened)));
    }
    Ok(page_in(StatusCode::OK, w.lang, w.objected_title, &text))
}
