//! `GET /u/{token}`: the page behind an unsubscribe link. It says what will happen and changes
//! nothing: mail scanners fetch links, so only the button's `POST` applies it.

use http::{Response, StatusCode};
use shared::capture::CaptureSettings;
use shared::http::{ApiError, escape_html, page};
use shared::links::{UnsubscribeLink, UnsubscribeScope};

pub fn show_unsubscribe(
    settings: &CaptureSettings,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let link = UnsubscribeLink::open(settings.unsubscribe_keys(), token)?;
    let what = match &link.scope {
        UnsubscribeScope::AllEmail => {
            "You will receive no more marketing email from us at this address.".to_owned()
        }
        UnsubscribeScope::List(list) => format!(
            "You will receive no more email of the list “{}”.",
            escape_html(list)
        ),
    };
    Ok(page(
        StatusCode::OK,
        "Unsubscribe",
        &format!(
            "<p>{what}</p><form method=post action=\"{}\"><button>Unsubscribe</button></form>",
            escape_html(token)
        ),
    ))
}
