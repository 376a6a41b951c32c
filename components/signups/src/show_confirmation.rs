//! `GET /api/newsletter/confirm/{token}`: the page behind the confirmation link. It confirms nothing:
//! mail scanners fetch links, so only the button's `POST` confirms.

use crate::config::SignupsConfig;
use http::{Response, StatusCode};
use shared::http::{ApiError, escape_html, page};
use shared::links::ConfirmLink;
use shared::time::Timestamp;

pub fn show_confirmation(
    config: &SignupsConfig,
    token: &str,
) -> Result<Response<String>, ApiError> {
    ConfirmLink::open(&config.capture.keys, token, Timestamp::now())?;
    Ok(page(
        StatusCode::OK,
        "Confirm your subscription",
        &format!(
            "<p>Press the button to confirm that you want to receive our newsletter at this address.</p>\
             <form method=post action=\"{}\"><button>Confirm subscription</button></form>",
            escape_html(token)
        ),
    ))
}
