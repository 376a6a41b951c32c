//! The one error type every handler answers with: its status codes, its JSON body (or small HTML page
//! for a browser's form post) and the headers some statuses carry; internal causes are logged, not sent.

use super::response::{escape_html, html_response, json_response};
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

/// The `Content-Security-Policy` of an error page: no script, style or other source, never framed.
const ERROR_PAGE_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// A field that was refused, named as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Seconds a client is asked to wait when the store is out of reach.
const STORE_RETRY_AFTER: u64 = 5;

/// Everything a handler can answer instead of success. Each variant documents its status code;
/// internal causes are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not well-formed JSON / urlencoded, or a parameter is malformed.
    #[error("bad request: {message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: no credentials, or not valid ones; answered with `WWW-Authenticate: Bearer`.
    #[error("unauthorized")]
    Unauthorized,
    /// 403: the API key lacks this scope (named in the body's `error.scope`).
    #[error("missing scope")]
    MissingScope(&'static str),
    /// 406: none of the formats the client accepts is served.
    #[error("not acceptable")]
    NotAcceptable { served: &'static str },
    /// 503: a part of the service is closed until an operator configures it (e.g. an unset admin key).
    #[error("not configured")]
    NotConfigured {
        code: &'static str,
        message: &'static str,
    },
    /// 404: no such route or resource.
    #[error("not found")]
    NotFound,
    /// 405: the route exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    /// 412: the client's `If-Match` names a state the resource is no longer in; nothing changed.
    #[error("precondition failed")]
    PreconditionFailed,
    /// 409: the resource's state does not allow this change (an approval after a denial, a second
    /// extension); the body's `error.status` names the state it is in.
    #[error("conflict")]
    Conflict {
        status: &'static str,
        message: String,
    },
    /// 428: a change that must be conditional came without `If-Match`.
    #[error("precondition required")]
    PreconditionRequired,
    /// 410: a link that was valid once has expired or been superseded.
    #[error("gone")]
    Gone { message: String },
    /// 413: the body is larger than the configured limit.
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// 415: the body's content type is not one this endpoint reads.
    #[error("unsupported media type")]
    UnsupportedMediaType { accepted: &'static str },
    /// 422: the body was read, but fields are missing, unknown or invalid.
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// 429: too many posts from this client; try again after `retry_after` seconds.
    #[error("rate limited")]
    RateLimited { retry_after: u64 },
    /// 403: the request's origin is not allowed to call this endpoint.
    #[error("origin not allowed")]
    ForbiddenOrigin,
    /// 403: a form post of the privacy desk without its session's CSRF token.
    #[error("invalid csrf token")]
    InvalidCsrf,
    /// 503: the key-value store cannot be reached; nothing was written. Answered with `Retry-After`.
    #[error("store unavailable: {0}")]
    StoreUnavailable(crate::store::BackendError),
    /// 500: a fault on our side (store, configuration). The cause is logged, the client sees a generic message.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Backend(e) if e.unreachable() => Self::StoreUnavailable(e),
            e => Self::Internal(e.into()),
        }
    }
}

impl ApiError {
    /// A store failure as a health probe reports it: whatever the backend did (out of reach, timed
    /// out, a write refused by a full disk), the instance is not fit to serve: `503` with `Retry-After`.
    pub fn unavailable(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Backend(e) => Self::StoreUnavailable(e),
            e => Self::Internal(e.into()),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    /// The state a resource is in, for a 409.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
}

impl ApiError {
    /// The answer to a conditional change whose `If-Match` did not match: 412, or 428 when there was
    /// none.
    pub fn stale(if_match: Option<&str>) -> Self {
        match if_match {
            Some(_) => Self::PreconditionFailed,
            None => Self::PreconditionRequired,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::MissingScope(_) => StatusCode::FORBIDDEN,
            Self::NotAcceptable { .. } => StatusCode::NOT_ACCEPTABLE,
            Self::NotConfigured { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Gone { .. } => StatusCode::GONE,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ForbiddenOrigin | Self::InvalidCsrf => StatusCode::FORBIDDEN,
            Self::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs the cause of a failure on our side: the whole cause chain goes to the log; the client only
    /// learns that it was our fault.
    pub fn log(&self) {
        match self {
            Self::Internal(cause) => crate::log_line!("internal error: {cause:#}"),
            Self::StoreUnavailable(cause) => crate::log_line!("store unavailable: {cause}"),
            _ => {}
        }
    }

    /// The machine-readable code the client receives (`missing_scope`, `invalid_cursor`, ...).
    pub fn code(&self) -> &str {
        self.code_and_message().0
    }

    /// The refused fields of a `422` as HTML list items (`<li><b>field</b>: message</li>`), for an
    /// error page; empty for any other error.
    pub fn field_items(&self) -> String {
        let Self::Invalid(fields) = self else {
            return String::new();
        };
        fields
            .iter()
            .map(|f| {
                format!(
                    "<li><b>{}</b>: {}</li>",
                    escape_html(&f.field),
                    escape_html(&f.message)
                )
            })
            .collect()
    }

    /// The code and the message the client receives.
    pub fn code_and_message(&self) -> (&str, String) {
        match self {
            Self::BadRequest { code, message } => (code, message.clone()),
            Self::Unauthorized => ("unauthorized", "Send Authorization: Bearer <token>.".into()),
            Self::MissingScope(scope) => (
                "missing_scope",
                format!("This key lacks the scope {scope}."),
            ),
            Self::NotAcceptable { served } => (
                "not_acceptable",
                format!("This resource is served as {served}."),
            ),
            Self::NotConfigured { code, message } => (code, (*message).to_owned()),
            Self::NotFound => ("not_found", "There is nothing here.".into()),
            Self::MethodNotAllowed { allow } => ("method_not_allowed", format!("Use {allow}.")),
            Self::Gone { message } => ("gone", message.clone()),
            Self::Conflict { message, .. } => ("invalid_transition", message.clone()),
            Self::PreconditionFailed => (
                "precondition_failed",
                "The resource changed since its ETag was read: read it again, then retry.".into(),
            ),
            Self::PreconditionRequired => (
                "precondition_required",
                "Send If-Match with the ETag of the state you read.".into(),
            ),
            Self::PayloadTooLarge { limit } => (
                "payload_too_large",
                format!("The body must be at most {limit} bytes."),
            ),
            Self::UnsupportedMediaType { accepted } => {
                ("unsupported_media_type", format!("Send {accepted}."))
            }
            Self::Invalid(_) => (
                "invalid_fields",
                "Some fields are missing or invalid.".into(),
            ),
            Self::RateLimited { retry_after } => (
                "rate_limited",
                format!("Too many submissions; try again in {retry_after} seconds."),
            ),
            Self::ForbiddenOrigin => (
                "origin_not_allowed",
                "This origin may not call this endpoint.".into(),
            ),
            Self::InvalidCsrf => (
                "invalid_csrf_token",
                "This form does not belong to your session: reload the page and try again.".into(),
            ),
            Self::StoreUnavailable(_) => (
                "store_unavailable",
                format!(
                    "Our store is out of reach; nothing was stored. Try again in {STORE_RETRY_AFTER} seconds."
                ),
            ),
            Self::Internal(_) => (
                "internal_error",
                "Something went wrong on our side; nothing was stored.".into(),
            ),
        }
    }

    /// The headers this error's answer carries, whatever its body: `Allow`, `Retry-After`,
    /// `WWW-Authenticate`.
    pub fn add_headers<B>(&self, response: &mut Response<B>) {
        let headers = response.headers_mut();
        match self {
            Self::MethodNotAllowed { allow } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            Self::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            Self::StoreUnavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(STORE_RETRY_AFTER));
            }
            Self::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
    }

    /// The response for this error, as JSON, or as a small HTML page for a browser's plain form post.
    pub fn into_response(self, html: bool) -> Response<String> {
        self.log();
        let status = self.status();
        let (code, message) = self.code_and_message();
        let fields = match &self {
            Self::Invalid(fields) => fields.as_slice(),
            _ => &[],
        };
        let scope = match &self {
            Self::MissingScope(scope) => Some(*scope),
            _ => None,
        };
        let state = match &self {
            Self::Conflict { status, .. } => Some(*status),
            _ => None,
        };
        let mut response = if html {
            let items = self.field_items();
            let body = format!(
                "<!doctype html><html lang=en><meta charset=utf-8><title>{status}</title><h1>{}</h1><p>{}</p><ul>{items}</ul>\
                 <p>Use your browser's Back button to return to the form; what you typed is still there.</p>",
                escape_html(status.canonical_reason().unwrap_or("Error")),
                escape_html(&message)
            );
            let mut page = html_response(status, body);
            // Nothing to run, load or frame: the page is its text.
            page.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(ERROR_PAGE_CSP),
            );
            page
        } else {
            json_response(
                status,
                &ErrorBody {
                    error: ErrorDetail {
                        code,
                        message: &message,
                        scope,
                        status: state,
                        fields,
                    },
                },
            )
        };
        self.add_headers(&mut response);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let response =
            ApiError::Internal(anyhow::anyhow!("db password is hunter2")).into_response(false);
        assert_eq!(response.status(), 500);
        assert!(!response.body().contains("hunter2"));
    }

    #[test]
    fn unauthorized_answers_ask_for_a_bearer_token() {
        let response = ApiError::Unauthorized.into_response(false);
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn field_errors_are_listed_by_name() {
        let response = ApiError::Invalid(vec![FieldError::new("email", "invalid_email", "bad")])
            .into_response(false);
        assert_eq!(response.status(), 422);
        let body: serde_json::Value = serde_json::from_str(response.body()).unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], "email");
    }

    #[test]
    fn html_error_pages_escape_what_the_client_sent() {
        let response = ApiError::Invalid(vec![FieldError::new("<x>", "unknown_field", "m")])
            .into_response(true);
        assert!(response.body().contains("&lt;x&gt;"));
    }
}
