//! `GET /api/newsletter/token`, `GET /api/demo/token`: a signed render time for the signup forms' `_token`.

use crate::config::SignupsConfig;
use http::Response;
use shared::capture::render_token_response;
use shared::domain::FormId;
use shared::time::Timestamp;

pub fn issue_token(config: &SignupsConfig, form: &str) -> Response<String> {
    let form = FormId::parse(form).expect("the route names a valid form id");
    render_token_response(
        &config.capture.keys,
        &form,
        config.min_submit_seconds(),
        Timestamp::now(),
    )
}
