//! `GET /privacy/verify/{token}`: behind the link in the mails. For an unconfirmed request, what will
//! happen and a button (it confirms nothing: mail scanners fetch links); later, the request's status
//! and due date.

use crate::config::PrivacyConfig;
use crate::status::status_page;
use http::{Response, StatusCode};
use shared::http::{ApiError, escape_html, page};
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
            let rights: String = request
                .rights
                .iter()
                .map(|r| format!("<li>{}</li>", escape_html(&r.as_str().replace('_', " "))))
                .collect();
            Ok(page(
                StatusCode::OK,
                "Confirm your privacy request",
                &format!(
                    "<p>Press the button to confirm that you asked us to:</p><ul>{rights}</ul>\
                     <p>We then answer within one month and email you the result.</p>\
                     <form method=post action=\"/privacy/verify/{}\"><button>Confirm my request</button></form>",
                    escape_html(token)
                ),
            ))
        }
        RequestStatus::Expired => Err(LinkError::Expired.into()),
        _ => Ok(status_page(
            &request,
            now,
            "Your privacy request",
            "Here is where your request stands.",
        )),
    }
}
