//! `GET /api/forms/{form}/token`: a signed render time the page puts in the form's `_token` field.

use crate::config::FormsConfig;
use http::Response;
use shared::capture::render_token_response;
use shared::domain::FormId;
use shared::http::ApiError;
use shared::time::Timestamp;

pub fn issue_token(config: &FormsConfig, form: &str) -> Result<Response<String>, ApiError> {
    let form = FormId::parse(form).map_err(|_| ApiError::NotFound)?;
    let spec = config.form(&form).ok_or(ApiError::NotFound)?;
    Ok(render_token_response(
        &config.capture.keys,
        &form,
        spec.min_seconds,
        Timestamp::now(),
    ))
}
