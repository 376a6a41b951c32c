//! One website post, read and checked: origin, content type, size, fields, client address, `Sec-GPC`.

use super::fields::{BodyFormat, BodyRules, FieldReader, RawFields};
use super::settings::CaptureSettings;
use super::spam::{HONEYPOT_FIELD, RENDER_TOKEN_FIELD};
use crate::domain::{
    ClientIp, ConsentChoices, ConsentId, IpHeaders, PolicyVersion, TextHash, UtmValue, WebUrl,
};
use crate::http::{ApiError, json_response, last_header, prefers_html, see_other};
use crate::records::{ConsentSnapshot, VisitContext};
use crate::time::Timestamp;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body::Body;
use serde::Serialize;

const UTM_FIELDS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// A post that passed the transport checks; its fields are still to be read by the endpoint.
pub struct Intake {
    pub format: BodyFormat,
    /// The client wants a page (plain HTML form post), not JSON.
    pub html: bool,
    pub client: ClientIp,
    /// `Sec-GPC: 1` (Global Privacy Control) was sent.
    pub gpc: bool,
    pub user_agent: Option<String>,
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
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}

/// The fields every capture post may carry besides its own: where the visit came from, what consent
/// text was shown and which boxes were ticked, the spam controls and an optional thank-you URL.
pub struct VisitFields {
    pub visit: VisitContext,
    pub consent: ConsentSnapshot,
    pub honeypot: Option<String>,
    pub render_token: Option<String>,
    pub next: Option<WebUrl>,
}

impl VisitFields {
    /// Reads the common fields. A checkbox in `required_consents` left unticked is a field error;
    /// a checkbox not offered is an unknown field.
    pub fn read(
        intake: &mut Intake,
        settings: &CaptureSettings,
        offered: &[ConsentId],
        required_consents: &[ConsentId],
    ) -> Self {
        let fields = &mut intake.fields;
        let page_url = fields.optional("page_url", WebUrl::parse);
        let referrer = fields.optional("referrer", WebUrl::parse);
        let utm: Vec<(&'static str, UtmValue)> = UTM_FIELDS
            .iter()
            .filter_map(|name| fields.optional(name, UtmValue::parse).map(|v| (*name, v)))
            .collect();
        let policy_version = fields.optional("consent_policy_version", PolicyVersion::parse);
        let text_hash = fields.optional("consent_text_hash", TextHash::parse);
        let mut ticked = Vec::new();
        for id in offered {
            let name = format!("consent_{}", id.as_str());
            if fields.tick(&name) == Some(true) {
                ticked.push(id.clone());
            }
        }
        let choices = ConsentChoices::from_ticked(offered, |id| ticked.contains(id));
        for id in required_consents {
            if !choices.granted(id) {
                fields.reject(
                    &format!("consent_{}", id.as_str()),
                    "consent_required",
                    "must be accepted",
                );
            }
        }
        if !offered.is_empty() && policy_version.is_none() {
            fields.reject(
                "consent_policy_version",
                "required",
                "is required with consent checkboxes",
            );
        }
        let next = super::post::read_next(fields, settings);
        Self {
            visit: VisitContext::new(
                page_url.as_ref(),
                referrer.as_ref(),
                &utm,
                intake.user_agent.as_deref(),
            ),
            consent: ConsentSnapshot::new(
                policy_version.as_ref(),
                text_hash.as_ref(),
                &choices,
                intake.gpc,
            ),
            honeypot: fields.raw(HONEYPOT_FIELD),
            render_token: fields.raw(RENDER_TOKEN_FIELD),
            next,
        }
    }
}
