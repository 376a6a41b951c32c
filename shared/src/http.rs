//! HTTP at the edge of every component: the one error type and its status codes, responses, and
//! reading request bodies within a size limit.

use bytes::Bytes;
use futures::Stream;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body::Body;
use http_body_util::{BodyExt, Limited};
use serde::Serialize;

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
            Self::ForbiddenOrigin => StatusCode::FORBIDDEN,
            Self::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code the client receives (`missing_scope`, `invalid_cursor`, ...).
    pub fn code(&self) -> &str {
        self.code_and_message().0
    }

    fn code_and_message(&self) -> (&str, String) {
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

    /// The response for this error, as JSON, or as a small HTML page for a browser's plain form post.
    pub fn into_response(self, html: bool) -> Response<String> {
        match &self {
            // The whole cause chain goes to the log; the client only learns that it was our fault.
            Self::Internal(cause) => eprintln!("internal error: {cause:#}"),
            Self::StoreUnavailable(cause) => eprintln!("store unavailable: {cause}"),
            _ => {}
        }
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
            let items: String = fields
                .iter()
                .map(|f| {
                    format!(
                        "<li><b>{}</b>: {}</li>",
                        escape_html(&f.field),
                        escape_html(&f.message)
                    )
                })
                .collect();
            let body = format!(
                "<!doctype html><meta charset=utf-8><title>{status}</title><h1>{}</h1><p>{}</p><ul>{items}</ul><p><a href=\"javascript:history.back()\">Back</a></p>",
                escape_html(status.canonical_reason().unwrap_or("Error")),
                escape_html(&message)
            );
            html_response(status, body)
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
        let headers = response.headers_mut();
        match self {
            Self::MethodNotAllowed { allow } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            Self::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            Self::StoreUnavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(STORE_RETRY_AFTER));
            }
            Self::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

/// A JSON response.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response<String> {
    let body = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    with_type(status, body, "application/json")
}

/// An HTML response.
pub fn html_response(status: StatusCode, body: String) -> Response<String> {
    with_type(status, body, "text/html; charset=utf-8")
}

/// A small self-contained HTML page (the pages people reach from links in emails). `body` is HTML the
/// caller built with [`escape_html`] around anything not its own.
pub fn page(status: StatusCode, title: &str, body: &str) -> Response<String> {
    let html = format!(
        "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <meta name=robots content=noindex><title>{title}</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#222}}\
         button{{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #333;background:#222;color:#fff;cursor:pointer}}</style>\
         <h1>{title}</h1>{body}",
        title = escape_html(title)
    );
    let mut response = html_response(status, html);
    // The pages are reached by links with tokens in them: keep the token out of referrers and framing.
    let headers = response.headers_mut();
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

/// A static asset (`200`) with its content type and `Cache-Control` policy, e.g. the demo site's pages
/// and the banner script.
pub fn asset(content_type: &'static str, body: &str, cache: &'static str) -> Response<String> {
    let mut response = with_type(StatusCode::OK, body.to_owned(), content_type);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `303 See Other` to `location` (already checked against the allow-list by the caller).
pub fn see_other(location: &str) -> Response<String> {
    let mut response = with_type(StatusCode::SEE_OTHER, String::new(), "text/plain");
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// An empty response (CORS preflight).
pub fn no_content() -> Response<String> {
    let mut response = Response::new(String::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

fn with_type(status: StatusCode, body: String, content_type: &'static str) -> Response<String> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The last value of a header: Spin appends its own `spin-*` headers after any a client sent, so the
/// last one is Spin's.
pub fn last_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(name)
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
}

/// Reads the whole body, refusing (413) one longer than `limit` bytes before reading it when a
/// `Content-Length` says so, and while reading otherwise.
pub async fn read_body<B>(headers: &HeaderMap, body: B, limit: usize) -> Result<Bytes, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(ApiError::PayloadTooLarge { limit })
        }
        Err(e) => Err(ApiError::BadRequest {
            code: "unreadable_body",
            message: format!("The request body could not be read: {e}"),
        }),
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        })
        .map(|(_, token)| token.trim())
}

/// Compares without an early exit, so the time taken says nothing about how much of a guess was right.
/// Whether the request carries `Authorization: Bearer {expected}` (compared in constant time); with
/// nothing expected (an unset token variable), no request does.
pub fn bearer_is(headers: &HeaderMap, expected: &str) -> bool {
    !expected.is_empty() && bearer(headers).is_some_and(|token| constant_time_eq(token, expected))
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// Whether the client prefers an HTML answer (a browser's plain form post) over JSON.
pub fn prefers_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    accept.contains("text/html") && !accept.contains("application/json")
}

/// A response body: a whole text, or chunks made while the client reads them (a long export), so that
/// memory stays flat however much is sent. A chunk that fails ends the response unfinished: the client
/// sees a broken transfer, never a short one that looks complete.
pub enum Reply {
    Whole(Option<Bytes>),
    Chunks(std::pin::Pin<Box<dyn Stream<Item = anyhow::Result<Bytes>>>>),
}

/// A `200` with binary `body` (a register tile), its content type and `Cache-Control` policy.
pub fn bytes_response(
    body: Vec<u8>,
    content_type: &'static str,
    cache: &'static str,
) -> Response<Reply> {
    let mut response = Response::new(Reply::Whole(Some(Bytes::from(body))));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

impl From<String> for Reply {
    fn from(text: String) -> Self {
        Self::Whole(Some(Bytes::from(text)))
    }
}

impl Body for Reply {
    type Data = Bytes;
    type Error = anyhow::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Self::Whole(bytes) => {
                std::task::Poll::Ready(bytes.take().map(|b| Ok(http_body::Frame::data(b))))
            }
            Self::Chunks(chunks) => chunks
                .as_mut()
                .poll_next(cx)
                .map(|chunk| chunk.map(|chunk| chunk.map(http_body::Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Self::Whole(None))
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

    #[test]
    fn the_last_header_value_wins() {
        let mut headers = HeaderMap::new();
        headers.append("spin-client-addr", HeaderValue::from_static("6.6.6.6:1"));
        headers.append("spin-client-addr", HeaderValue::from_static("127.0.0.1:2"));
        assert_eq!(
            last_header(&headers, "spin-client-addr"),
            Some("127.0.0.1:2")
        );
    }
}
