//! The mailer: delivers the outbox to the mail provider.
//!
//! | route | handler |
//! |---|---|
//! | `POST /api/outbox/deliver?limit=N` | one delivery run ([`shared::mailer::deliver_due`]): `{sent, failed, pending}` |
//! | `GET /api/outbox?limit=N` | the messages still waiting, oldest first (`{"pending": [...]}`) |
//!
//! Both need `Authorization: Bearer {outbox_token}` (compared in constant time); with `outbox_token`
//! empty every call is refused. A scheduler (cron + curl) calls the deliver route.

use http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
use serde::Serialize;
use shared::http::{ApiError, json_response};
use shared::mailer::{self, MailSettings, Mailer, OutboxMessage, Transport};
use shared::store::{Backend, Store};
use shared::time::Timestamp;

/// The variables this component reads (all granted in `spin.toml`).
pub const VARIABLES: [&str; 4] = [
    "mail_api_url",
    "mail_api_token",
    "mail_from",
    "outbox_token",
];

/// Messages one run delivers when the caller names no `limit`, and the most it may name.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// The component's configuration.
pub struct MailerConfig {
    pub mail: MailSettings,
    outbox_token: String,
}

impl MailerConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        Ok(Self {
            mail: MailSettings::from_variables(&get)?,
            outbox_token: get("outbox_token").unwrap_or_default().trim().to_owned(),
        })
    }

    /// Whether the request carries `Authorization: Bearer {outbox_token}`.
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split_once(' ')
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            })
            .map(|(_, token)| token.trim());
        match presented {
            Some(token) => {
                !self.outbox_token.is_empty() && constant_time_eq(token, &self.outbox_token)
            }
            None => false,
        }
    }
}

/// Compares without an early exit, so the time taken says nothing about how much of a guess was right.
fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

fn unauthorized() -> Response<String> {
    #[derive(Serialize)]
    struct Body {
        error: Detail,
    }
    #[derive(Serialize)]
    struct Detail {
        code: &'static str,
        message: &'static str,
    }
    let mut response = json_response(
        StatusCode::UNAUTHORIZED,
        &Body {
            error: Detail {
                code: "unauthorized",
                message: "Send Authorization: Bearer <outbox_token>.",
            },
        },
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// `limit` from the query string: absent → [`DEFAULT_LIMIT`], capped at [`MAX_LIMIT`].
fn limit(query: Option<&str>) -> Result<usize, ApiError> {
    let raw = query.and_then(|q| {
        form_pairs(q)
            .into_iter()
            .find(|(k, _)| k == "limit")
            .map(|(_, v)| v)
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

fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[derive(Serialize)]
struct Pending<'a> {
    pending: &'a [OutboxMessage],
}

/// Handles one request. `transport` carries mail to the provider; `now` is the host clock.
#[allow(clippy::too_many_arguments)]
pub async fn handle<B: Backend, T: Transport>(
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    config: &MailerConfig,
    store: &Store<B>,
    transport: T,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let route = path.trim_end_matches('/');
    let allow = match route {
        "/api/outbox/deliver" => "POST",
        "/api/outbox" => "GET",
        _ => return Err(ApiError::NotFound),
    };
    if method.as_str() != allow {
        return Err(ApiError::MethodNotAllowed { allow });
    }
    if !config.authorized(headers) {
        return Ok(unauthorized());
    }
    let limit = limit(query)?;
    if route == "/api/outbox" {
        let pending = mailer::pending(store, now, limit).await?;
        return Ok(json_response(
            StatusCode::OK,
            &Pending { pending: &pending },
        ));
    }
    let provider = Mailer::new(config.mail.clone(), transport);
    let report = mailer::deliver_due(store, provider.as_ref(), now, limit).await?;
    Ok(json_response(StatusCode::OK, &report))
}

#[cfg(target_arch = "wasm32")]
mod entry {
    use super::{MailerConfig, VARIABLES, handle};
    use shared::http::ApiError;
    use shared::mailer::SpinTransport;
    use shared::store::Store;
    use shared::time::Timestamp;
    use spin_sdk::http::Request;

    /// The configuration, read on the instance's first request and kept (it cannot change while the app
    /// runs).
    async fn config() -> Result<&'static MailerConfig, ApiError> {
        static CONFIG: std::sync::OnceLock<MailerConfig> = std::sync::OnceLock::new();
        if let Some(config) = CONFIG.get() {
            return Ok(config);
        }
        let values = shared::variables::read(&VARIABLES).await?;
        let config = MailerConfig::from_variables(|name| values.get(name).cloned())?;
        Ok(CONFIG.get_or_init(|| config))
    }

    #[spin_sdk::http_service]
    async fn serve(request: Request) -> http::Response<String> {
        let result = async {
            let config = config().await?;
            let store = Store::open()?;
            handle(
                request.method(),
                request.uri().path(),
                request.uri().query(),
                request.headers(),
                config,
                &store,
                SpinTransport,
                Timestamp::now(),
            )
            .await
        }
        .await;
        result.unwrap_or_else(|error| error.into_response(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(token: &str) -> MailerConfig {
        MailerConfig::from_variables(|name| match name {
            "outbox_token" => Some(token.to_owned()),
            _ => None,
        })
        .unwrap()
    }

    fn bearer(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_the_outbox_token_as_a_bearer_token_is_accepted() {
        let c = config("s3cret-token");
        assert!(c.authorized(&bearer("Bearer s3cret-token")));
        assert!(c.authorized(&bearer("bearer s3cret-token")));
        assert!(!c.authorized(&bearer("Bearer s3cret-toke")));
        assert!(!c.authorized(&bearer("Bearer s3cret-token2")));
        assert!(!c.authorized(&bearer("Basic s3cret-token")));
        assert!(!c.authorized(&HeaderMap::new()));
        // No token configured: nobody gets in, not even with an empty bearer.
        assert!(!config("").authorized(&bearer("Bearer ")));
    }

    #[test]
    fn limits_default_cap_and_refuse_nonsense() {
        assert_eq!(limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(limit(Some("limit=5")).unwrap(), 5);
        assert_eq!(limit(Some("x=1&limit=100000")).unwrap(), MAX_LIMIT);
        assert!(limit(Some("limit=0")).is_err());
        assert!(limit(Some("limit=abc")).is_err());
    }

    #[test]
    fn unauthorized_answers_ask_for_a_bearer_token() {
        let response = unauthorized();
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
