//! `GET /api/privacy/requests/token`: a signed render time for the request form's `_token` (the
//! privacy page embeds one itself; pages elsewhere fetch it).

use crate::ask::FORM;
use crate::config::PrivacyConfig;
use http::Response;
use shared::capture::render_token_response;
use shared::domain::FormId;
use shared::time::Timestamp;

pub fn issue_token(config: &PrivacyConfig) -> Response<String> {
    let form = FormId::parse(FORM).expect("a valid form id");
    render_token_response(
        &config.capture.keys,
        &form,
        config.min_seconds,
        Timestamp::now(),
    )
}
