//! A urlencoded form body decoded to fields (a list field may repeat, any other may not).

use super::rules::duplicate;
use crate::http::ApiError;

/// The fields of a form body, in the order sent: 400 for a body that is not UTF-8 or repeats a field
/// not among `lists`.
pub(super) fn decode(body: &[u8], lists: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    if std::str::from_utf8(body).is_err() {
        return Err(ApiError::BadRequest {
            code: "malformed_form",
            message: "The form body is not UTF-8.".into(),
        });
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(body) {
        if !lists.contains(&name.as_ref()) && fields.iter().any(|(n, _)| *n == name) {
            return Err(duplicate(&name));
        }
        fields.push((name.into_owned(), value.into_owned()));
    }
    Ok(fields)
}
