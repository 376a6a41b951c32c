//! `GET /privacy/verify/{token}`: behind the link in the mails. For an unconfirmed request, what will
//! happen and a button (it confirms nothing: mail scanners fetch links); later, the request's status
//! and due date.

use crate::config::PrivacyConfig;
use crate::status::{rights, status_page, words};
use http::{Response, StatusCode};
use shared::http::{ApiError, escape_html, page_in};
use shared::links::{LinkError, PrivacyLink, PrivacyLinkKind};
use shared::privacy::{DataRequest, RequestStatus};
use shared::store::{Backend, RecordKind, Store};
use shared::time::Timestamp;

/// The request a verification link names (400 for a forged link, 410 once it is gone).
pub async fn open<K: Backend>(
    config: &PrivacyConfig,
    store: &Store<K>,
    token: &str,
) -> Result<DataRequest, ApiError> {
    let link = PrivacyLink::open(&config.privacy.keys, token, PrivacyLinkKind::Verify)?;
    store
        .get(RecordKind::DataRequest, &link.request)
        .await?
        .ok_or_else(gone)
}

/// The answer for a request erased since its link was sent.
pub fn gone() -> ApiError {
    ApiError::Gone {
        message: "This request no longer exists.".into(),
    }
}

pub async fn show_request<K: Backend>(
    config: &PrivacyConfig,
    store: &Store<K>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let now = Timestamp::now();
    let request = open(config, store, token).await?;
    match request.status_at(now) {
        RequestStatus::Unverified => {
            let w = words(&request);
            let rights: String = rights(w, &request)
                .iter()
                .map(|r| format!("<li>{r}</li>"))
                .collect();
            Ok(page_in(
                StatusCode::OK,
                w.lang,
                w.verify_title,
                &format!(
                    "<p>{}</p><ul>{rights}</ul><p>{}</p>\
                     <form method=post action=\"/privacy/verify/{}\"><button>{}</button></form>",
                    escape_html(w.verify_intro),
                    escape_html(w.verify_after),
                    escape_html(token),
                    escape_html(w.verify_button)
                ),
            ))
        }
        RequestStatus::Expired => Err(LinkError::Expired.into()),
        _ => {
            let w = words(&request);
            Ok(status_page(
                &config.privacy,
                &request,
                now,
                w.request_title,
                w.request_where,
            ))
        }
    }
}
