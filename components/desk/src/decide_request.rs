//! `POST /desk/requests/{id}`: an officer's decision as a plain form post (`action` approve, deny,
//! extend or rectify, with the fields the API takes: `reason`, `text`, `changes.{field}`), carrying the
//! request's `etag` and the session's `csrf` token. It runs the marketing API's own decision
//! (`shared::privacy::decide`), so a stale page gets the API's `412` and changes nothing. Done, it
//! answers `303` to the request's page; refused, the page says why, and the refusal is registered.

use crate::config::DeskConfig;
use crate::door::{Officer, check_origin, note_refusal};
use crate::page::{View, failure};
use crate::show_request::show_request;
use bytes::Bytes;
use http::{HeaderMap, Response};
use http_body_util::Full;
use shared::body::{BodyRules, FieldReader, RawFields};
use shared::http::{ApiError, FieldError, see_other};
use shared::privacy::decide::{Act, decide};
use shared::staff::keys::{PRIVACY_WRITE, require};
use shared::store::{Backend, Store};
use shared::time::Timestamp;

/// The largest body read: any decision the API takes (2 000 characters of text, each possibly a
/// 9-byte percent-encoding), the token and the ETag.
const MAX_BODY: usize = 32 * 1024;

#[allow(clippy::too_many_arguments)]
pub async fn decide_request<B: Backend>(
    id: &str,
    headers: &HeaderMap,
    body: Full<Bytes>,
    officer: &Officer,
    view: View,
    config: &DeskConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    // From another origin: refused before anything is read or registered.
    check_origin(headers, config)?;
    let result = async {
        let (mut fields, _) = RawFields::read(
            headers,
            body,
            MAX_BODY,
            &BodyRules::form().maps(&["changes"]),
        )
        .await?;
        officer.check_csrf(config, fields.take("csrf").as_deref())?;
        require(&officer.key, PRIVACY_WRITE)?;
        let etag = fields.take("etag").map(one_etag).transpose()?;
        fields.take("lang");
        // An input left empty is a field not given (the rectify form has one per field).
        fields.drop_blank();
        let act = Act::read(FieldReader::new(fields))?;
        decide(
            store,
            &config.privacy,
            id,
            etag.as_deref(),
            &act,
            &officer.key,
            now,
        )
        .await
    }
    .await;
    let error = match result {
        Ok(_) => return Ok(see_other(&view.href(&format!("/desk/requests/{id}")))),
        Err(error) => error,
    };
    note_refusal(
        officer,
        store,
        &format!("POST /desk/requests/{id}"),
        &error,
        now,
    )
    .await;
    match error {
        // The request as it is now, with what stopped the decision above it.
        ApiError::PreconditionFailed
        | ApiError::PreconditionRequired
        | ApiError::Conflict { .. } => {
            let status = error.status();
            let message = match &error {
                ApiError::Conflict { message, .. } => message.clone(),
                _ => view.texts.stale.to_owned(),
            };
            show_request(
                id,
                officer,
                view,
                Some(&message),
                status,
                &config.privacy,
                store,
                now,
            )
            .await
        }
        error => Ok(failure(error, view, Some(officer.signed()))),
    }
}

/// The page's `etag`: exactly one entity tag as the store makes them (`"..."`), never `*` or a list,
/// which would match whatever the request became since the page was drawn.
fn one_etag(raw: String) -> Result<String, ApiError> {
    let inner = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
    match inner {
        Some(tag) if !tag.is_empty() && !tag.contains(['"', ',', '*']) => Ok(raw),
        _ => Err(ApiError::Invalid(vec![FieldError::new(
            "etag",
            "invalid_etag",
            "must be the request's ETag as its page showed it",
        )])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_s_etag_is_one_entity_tag_never_a_wildcard_or_a_list() {
        assert!(one_etag("\"abc123\"".into()).is_ok());
        for bad in ["*", "\"a\", \"b\"", "abc", "\"\"", "W/\"a\"", "\"a*\""] {
            assert!(one_etag(bad.into()).is_err(), "{bad}");
        }
    }
}
