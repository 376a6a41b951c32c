//! `GET /api/forms/{form}/token`: a signed render time the page puts in the form's `_token` field.

use crate::config::FormsConfig;
use http::{Response, StatusCode};
use serde::Serialize;
use shared::capture::{RENDER_TOKEN_FIELD, issue_render_token};
use shared::domain::FormId;
use shared::http::{ApiError, json_response};
use shared::time::Timestamp;

#[derive(Serialize)]
struct RenderToken {
    field: &'static str,
    token: String,
    min_seconds: u32,
}

pub fn issue_token(config: &FormsConfig, form: &str) -> Result<Response<String>, ApiError> {
    let form = FormId::parse(form).map_err(|_| ApiError::NotFound)?;
    let spec = config.form(&form).ok_or(ApiError::NotFound)?;
    let token = issue_render_token(&config.capture.signing_key, &form, Timestamp::now());
    Ok(json_response(
        StatusCode::OK,
        &RenderToken {
            field: RENDER_TOKEN_FIELD,
            token,
            min_seconds: spec.min_seconds,
        },
    ))
}
