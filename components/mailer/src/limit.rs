//! The `limit` query parameter of the outbox routes.

use shared::http::ApiError;

/// Messages one call handles when the caller names no `limit`, and the most it may name.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// `limit` from the query string: absent → [`DEFAULT_LIMIT`], capped at [`MAX_LIMIT`], 400 for nonsense.
pub fn limit(query: Option<&str>) -> Result<usize, ApiError> {
    let raw = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "limit")
            .map(|(_, v)| v.into_owned())
    });
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n.min(MAX_LIMIT)),
            _ => Err(ApiError::BadRequest {
                code: "invalid_limit",
                message: format!("limit must be a number from 1 to {MAX_LIMIT}"),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_cap_and_refuse_nonsense() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit(Some("limit=5")).unwrap(), 5);
        assert_eq!(limit(Some("x=1&limit=100000")).unwrap(), MAX_LIMIT);
        assert!(limit(Some("limit=0")).is_err());
        assert!(limit(Some("limit=abc")).is_err());
    }
}
