//! One website post, read and checked: origin, content type, size, fields, client address, `Sec-GPC`.

use super::settings::CaptureSettings;
use crate::body::{BodyFormat, BodyRules, FieldReader, RawFields};
use crate::domain::{ClientIp, IpHeaders, WebUrl};
use crate::http::{ApiError, json_response, last_header, prefers_html, see_other};
use crate::time::Timestamp;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body::Body;
use serde::Serialize;

/// A post that passed the transport checks; its fields are still to be read by the endpoint.
pub struct Intake {
    pub format: BodyFormat,
    /// The client wants a page (plain HTML form post), not JSON.
    pub html: bool,
    pub client: ClientIp,
    /// `Sec-GPC: 1` (Global Privacy Control) was sent.
    pub gpc: bool,
    pub user_agent: Option<String>,
    /// The browser's `Accept-Language` (the page's language when the post names none).
    pub accept_language: Option<String>,
    pub received_at: Timestamp,
    pub fields: FieldReader,
}

impl Intake {
    /// Reads a website post (JSON or urlencoded): 403 for a foreign `Origin`, 415, 413 and 400 as
    /// [`RawFields::read`] says. Nothing is stored here.
    pub async fn read<B>(
        request: http::Request<B>,
        settings: &CaptureSettings,
    ) -> Result<Self, ApiError>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Self::read_as(request, settings, &BodyRules::form()).await
    }

    /// As [`Intake::read`], for a body as `rules` say (content types, list and map fields).
    pub async fn read_as<B>(
        request: http::Request<B>,
        settings: &CaptureSettings,
        rules: &BodyRules<'_>,
    ) -> Result<Self, ApiError>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        let headers = &parts.headers;
        check_origin(headers, settings)?;
        let (fields, format) =
            RawFields::read(headers, body, settings.max_body_bytes, rules).await?;
        Ok(Self {
            format,
            html: format == BodyFormat::UrlEncoded && !wants_json(headers),
            client: client_ip(headers, settings)?,
            gpc: last_header(headers, "sec-gpc").is_some_and(|v| v.trim() == "1"),
            user_agent: last_header(headers, "user-agent").map(str::to_owned),
            accept_language: last_header(headers, "accept-language").map(str::to_owned),
            received_at: Timestamp::now(),
            fields: FieldReader::new(fields),
        })
    }

    /// The success answer: `303` to the thank-you page for a plain form post, else `201` with `body`.
    pub fn accepted<T: Serialize>(&self, thank_you: &WebUrl, body: &T) -> Response<String> {
        if self.html {
            see_other(thank_you.as_str())
        } else {
            json_response(StatusCode::CREATED, body)
        }
    }
}

/// 403 for a request from a page on an origin that may not call capture endpoints.
fn check_origin(headers: &HeaderMap, settings: &CaptureSettings) -> Result<(), ApiError> {
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) if origin != "null" && !settings.origin_allowed(origin) => {
            Err(ApiError::ForbiddenOrigin)
        }
        _ => Ok(()),
    }
}

/// The visitor's address for a request, believing forwarded headers only from trusted proxies.
pub fn client_ip(headers: &HeaderMap, settings: &CaptureSettings) -> Result<ClientIp, ApiError> {
    ClientIp::resolve(
        ip_headers(headers),
        &settings.trusted_proxies,
        settings.client_ip_header,
    )
    .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the host did not set spin-client-addr")))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

fn ip_headers(headers: &HeaderMap) -> IpHeaders<'_> {
    IpHeaders {
        spin_client_addr: last_header(headers, "spin-client-addr"),
        true_client_ip: last_header(headers, "true-client-ip"),
        cf_connecting_ip: last_header(headers, "cf-connecting-ip"),
        x_forwarded_for: last_header(headers, "x-forwarded-for"),
    }
}

/// Whether errors for this request should be a page rather than JSON (decided before the body is read).
pub fn error_as_html(headers: &HeaderMap) -> bool {
    prefers_html(headers)
}

/// The answer to a capture request: the handler's response, or its error as a page or JSON as the client
/// prefers, with CORS headers for an allowed origin either way.
pub fn respond<B: From<String>>(
    request_headers: &HeaderMap,
    settings: &CaptureSettings,
    result: Result<Response<B>, ApiError>,
) -> Response<B> {
    let response = result.unwrap_or_else(|error| {
        error
            .into_response(prefers_html(request_headers))
            .map(B::from)
    });
    with_cors(request_headers, settings, response)
}

/// The answer to a CORS preflight: `204` for an allowed origin, else `403`.
pub fn preflight(
    request_headers: &HeaderMap,
    settings: &CaptureSettings,
) -> Result<Response<String>, ApiError> {
    if settings.origin_allowed_in(request_headers) {
        Ok(crate::http::no_content())
    } else {
        Err(ApiError::ForbiddenOrigin)
    }
}

/// Adds CORS headers for an allowed `Origin` to any answer (errors too, so that `fetch` can read them).
pub fn with_cors<B>(
    request_headers: &HeaderMap,
    settings: &CaptureSettings,
    mut response: Response<B>,
) -> Response<B> {
    let origin = request_headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    if let Some(origin) = origin.filter(|o| settings.origin_allowed(o))
        && let Ok(value) = HeaderValue::from_str(origin)
    {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, accept"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    // Appended: an answer may already vary on something else (the banner's config on `Sec-GPC`).
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Origin"));
    response
}
