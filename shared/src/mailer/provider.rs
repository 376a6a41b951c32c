//! The mail provider: its settings (Spin variables), the request its send API takes (Postmark's JSON),
//! how its answer is read, and the [`Transport`] that carries the request (Spin's outbound HTTP in a
//! component, a fake in unit tests).

use crate::records::Message;
use anyhow::bail;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// Where and as whom mail is sent, from the Spin variables `mail_api_url`, `mail_api_token`, `mail_from`.
#[derive(Clone)]
pub struct MailSettings {
    /// The provider's origin, e.g. `https://api.postmarkapp.com` (mail goes to `{api_url}/email`); empty
    /// when no provider is configured (the local default): mail then stays in the outbox.
    pub api_url: String,
    /// Sent as `X-Postmark-Server-Token`; never logged, never stored.
    pub api_token: String,
    /// The default sender, e.g. `Example News <news@example.com>`.
    pub from: String,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("api_url", &self.api_url)
            .field("api_token", &"[redacted]")
            .field("from", &self.from)
            .finish()
    }
}

impl MailSettings {
    /// The Spin variables these settings are read from.
    pub const VARIABLES: [&'static str; 3] = ["mail_api_url", "mail_api_token", "mail_from"];

    /// Reads the settings. `mail_api_url` must be empty or an origin (`http(s)://host[:port]`, no path):
    /// Spin's `allowed_outbound_hosts` entry `"{{ mail_api_url }}"` takes exactly that form.
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let api_url = get("mail_api_url").unwrap_or_default();
        let api_url = api_url.trim().trim_end_matches('/').to_owned();
        if !api_url.is_empty() {
            let rest = api_url
                .strip_prefix("https://")
                .or_else(|| api_url.strip_prefix("http://"));
            match rest {
                Some(authority)
                    if !authority.is_empty() && !authority.contains(['/', '?', '#']) => {}
                _ => bail!(
                    "variable mail_api_url must be empty or an origin such as https://api.postmarkapp.com (no path)"
                ),
            }
        }
        let api_token = get("mail_api_token").unwrap_or_default().trim().to_owned();
        if !api_url.is_empty() && api_token.is_empty() {
            bail!("variable mail_api_token must be set when mail_api_url is");
        }
        if api_token.chars().any(char::is_control) {
            bail!("variable mail_api_token must be one line");
        }
        Ok(Self {
            api_url,
            api_token,
            from: get("mail_from").unwrap_or_default().trim().to_owned(),
        })
    }

    /// Whether a provider is configured (else mail stays queued).
    pub fn provider_configured(&self) -> bool {
        !self.api_url.is_empty()
    }
}

/// One request to the provider's send API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// The provider's answer: status and (a bounded prefix of) the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderResponse {
    pub status: u16,
    pub body: Vec<u8>,
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
}

/// Carries a [`ProviderRequest`] to the provider; `Err` is a transport failure (refused, timed out,
/// denied by `allowed_outbound_hosts`), described without secrets.
pub trait Transport {
    fn send(
        &self,
        request: ProviderRequest,
    ) -> impl Future<Output = Result<ProviderResponse, String>>;
}

/// A transport borrowed (one transport shared by the outbox and the webhooks).
impl<T: Transport> Transport for &T {
    fn send(
        &self,
        request: ProviderRequest,
    ) -> impl Future<Output = Result<ProviderResponse, String>> {
        (**self).send(request)
    }
}

/// A configured provider and the transport to reach it.
pub struct Mailer<T> {
    settings: MailSettings,
    transport: T,
}

impl<T: Transport> Mailer<T> {
    /// `None` when no provider is configured: nothing is sent, mail stays queued.
    pub fn new(settings: MailSettings, transport: T) -> Option<Self> {
        settings.provider_configured().then_some(Self {
            settings,
            transport,
        })
    }

    pub fn settings(&self) -> &MailSettings {
        &self.settings
    }

    /// Sends one message: the provider's message id, or a short error fit to store (no token).
    pub async fn send(&self, message: &Message) -> Result<String, String> {
        let request = postmark_request(&self.settings, message);
        let result = match self.transport.send(request).await {
            Ok(response) => read_answer(&response),
            Err(e) => Err(format!("transport: {e}")),
        };
        result.map_err(|e| redact(&e, &self.settings.api_token))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PostmarkEmail<'a> {
    from: &'a str,
    to: &'a str,
    subject: &'a str,
    text_body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    html_body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
    headers: Vec<PostmarkHeader<'a>>,
    message_stream: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PostmarkHeader<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PostmarkAnswer {
    #[serde(rename = "MessageID")]
    message_id: Option<String>,
    message: Option<String>,
    error_code: Option<i64>,
}

/// `POST {api_url}/email` with Postmark's JSON body and server token header.
pub fn postmark_request(settings: &MailSettings, message: &Message) -> ProviderRequest {
    let email = PostmarkEmail {
        from: &message.from,
        to: &message.to,
        subject: &message.subject,
        text_body: &message.text_body,
        html_body: message.html_body.as_deref(),
        reply_to: message.reply_to.as_deref(),
        headers: message
            .headers
            .iter()
            .map(|(name, value)| PostmarkHeader { name, value })
            .collect(),
        message_stream: message.stream.as_deref().unwrap_or("outbound"),
    };
    ProviderRequest {
        url: format!("{}/email", settings.api_url),
        headers: vec![
            ("accept", "application/json".to_owned()),
            ("content-type", "application/json".to_owned()),
            ("x-postmark-server-token", settings.api_token.clone()),
        ],
        body: serde_json::to_vec(&email).unwrap_or_default(),
    }
}

/// 200 with a `MessageID` (and `ErrorCode` 0 or absent) is sent; anything else is a failed attempt,
/// described as `HTTP {status}: {provider's message}`.
fn read_answer(response: &ProviderResponse) -> Result<String, String> {
    let answer: Option<PostmarkAnswer> = serde_json::from_slice(&response.body).ok();
    if response.status == 200
        && let Some(answer) = &answer
        && answer.error_code.unwrap_or(0) == 0
        && let Some(id) = answer.message_id.as_deref().filter(|id| !id.is_empty())
    {
        return Ok(id.to_owned());
    }
    let said = match answer {
        Some(PostmarkAnswer {
            message: Some(m),
            error_code,
            ..
        }) => match error_code {
            Some(code) if code != 0 => format!("{m} (code {code})"),
            _ => m,
        },
        _ if response.status == 200 => "no MessageID in the answer".to_owned(),
        _ => String::from_utf8_lossy(&response.body).into_owned(),
    };
    Err(format!("HTTP {}: {said}", response.status))
}

/// At most 300 characters of one line, with the token blanked out should the provider echo it.
fn redact(error: &str, token: &str) -> String {
    let error = if token.is_empty() {
        error.to_owned()
    } else {
        error.replace(token, "[redacted]")
    };
    let one_line: String = error
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut short: String = one_line.trim().chars().take(300).collect();
    if one_line.trim().chars().count() > 300 {
        short.push('…');
    }
    short
}

/// Spin's outbound HTTP (`wasi:http`), allowed by the mailer's `allowed_outbound_hosts`.
#[cfg(target_arch = "wasm32")]
pub struct SpinTransport;

#[cfg(target_arch = "wasm32")]
impl Transport for SpinTransport {
    async fn send(&self, request: ProviderRequest) -> Result<ProviderResponse, String> {
        use http_body_util::{BodyExt, Limited};
        let mut builder = http::Request::post(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        let outgoing = builder
            .body(spin_sdk::http::FullBody::new(bytes::Bytes::from(
                request.body,
            )))
            .map_err(|e| format!("building the request: {e}"))?;
        // One deadline for the answer and its body: a receiver that sends headers and then drips the
        // body must not hold the job past its lease.
        let exchange = std::pin::pin!(async {
            let response = spin_sdk::http::send(outgoing)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            // The answer is small JSON; keep at most 64 KiB of whatever came back.
            let body = match Limited::new(response.into_body(), 64 * 1024)
                .collect()
                .await
            {
                Ok(collected) => collected.to_bytes().to_vec(),
                Err(_) => Vec::new(),
            };
            Ok::<_, String>(ProviderResponse {
                status,
                body,
                retry_after,
            })
        });
        let deadline = std::pin::pin!(spin_sdk::time::sleep(std::time::Duration::from_secs(
            TIMEOUT_SECONDS
        )));
        match futures::future::select(exchange, deadline).await {
            futures::future::Either::Left((answer, _)) => answer,
            futures::future::Either::Right(_) => {
                Err(format!("no answer within {TIMEOUT_SECONDS} s"))
            }
        }
    }
}

/// How long a receiver (the mail provider, a webhook endpoint) has to answer.
#[cfg(target_arch = "wasm32")]
const TIMEOUT_SECONDS: u64 = 15;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn settings() -> MailSettings {
        MailSettings::from_variables(|name| {
            Some(
                match name {
                    "mail_api_url" => "https://api.postmarkapp.com/",
                    "mail_api_token" => "server-token-123",
                    "mail_from" => "News <news@example.com>",
                    _ => return None,
                }
                .to_owned(),
            )
        })
        .unwrap()
    }

    #[test]
    fn the_request_is_postmark_json_with_the_server_token() {
        let message = Message::new("ada@example.com", "News <news@example.com>", "Hello", "Hi")
            .unwrap()
            .with_html("<p>Hi</p>")
            .with_reply_to("help@example.com")
            .unwrap()
            .with_unsubscribe("https://example.com/u/t", "mailto:u@example.com")
            .unwrap();
        let request = postmark_request(&settings(), &message);
        assert_eq!(request.url, "https://api.postmarkapp.com/email");
        assert!(
            request
                .headers
                .contains(&("x-postmark-server-token", "server-token-123".to_owned()))
        );
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body,
            json!({
                "From": "News <news@example.com>",
                "To": "ada@example.com",
                "Subject": "Hello",
                "TextBody": "Hi",
                "HtmlBody": "<p>Hi</p>",
                "ReplyTo": "help@example.com",
                "Headers": [
                    {"Name": "List-Unsubscribe", "Value": "<https://example.com/u/t>, <mailto:u@example.com>"},
                    {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
                ],
                "MessageStream": "outbound",
            })
        );
    }

    #[test]
    fn only_a_200_with_a_message_id_counts_as_sent() {
        let answer = |status, body: &str| {
            read_answer(&ProviderResponse {
                status,
                body: body.as_bytes().to_vec(),
                retry_after: None,
            })
        };
        assert_eq!(
            answer(
                200,
                r#"{"ErrorCode":0,"Message":"OK","MessageID":"b7bc2f4a"}"#
            ),
            Ok("b7bc2f4a".to_owned())
        );
        assert_eq!(
            answer(
                422,
                r#"{"ErrorCode":300,"Message":"Invalid email request"}"#
            ),
            Err("HTTP 422: Invalid email request (code 300)".to_owned())
        );
        assert_eq!(answer(500, "boom"), Err("HTTP 500: boom".to_owned()));
        assert!(answer(200, "{}").is_err());
        assert!(
            answer(
                200,
                r#"{"ErrorCode":406,"Message":"Inactive","MessageID":"x"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn stored_errors_never_carry_the_token_and_stay_short() {
        let e = redact(
            &format!("denied for server-token-123\n{}", "x".repeat(500)),
            "server-token-123",
        );
        assert!(!e.contains("server-token-123") && !e.contains('\n'));
        assert!(e.chars().count() <= 301);
    }

    #[test]
    fn the_provider_url_is_an_origin_and_needs_a_token() {
        let vars = |url: &'static str, token: &'static str| {
            MailSettings::from_variables(move |name| match name {
                "mail_api_url" => Some(url.to_owned()),
                "mail_api_token" => Some(token.to_owned()),
                _ => None,
            })
        };
        assert!(!vars("", "").unwrap().provider_configured());
        assert!(
            vars("http://127.0.0.1:4000", "t")
                .unwrap()
                .provider_configured()
        );
        assert!(vars("https://api.postmarkapp.com/email", "t").is_err());
        assert!(vars("ftp://x", "t").is_err());
        assert!(vars("https://api.postmarkapp.com", "").is_err());
        assert!(!format!("{:?}", vars("http://h", "secret").unwrap()).contains("secret"));
    }
}
