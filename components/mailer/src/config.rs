//! The mailer component's configuration (the mail provider, the outbox token, the mail events' secret
//! and soft-bounce limit), read once per component instance, and the checks of both callers' credentials.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use shared::http::{bearer_is, constant_time_eq};
use shared::mailer::MailSettings;
use shared::tokens::SigningKey;

/// The password of `Authorization: Basic base64(user:password)`.
fn basic_password(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    decoded
        .split_once(':')
        .map(|(_, password)| password.to_owned())
}

/// The variables this component reads besides the mail provider's (all granted in `spin.toml`).
pub const VARIABLES: [&str; 4] = [
    "outbox_token",
    "mail_events_secret",
    "soft_bounce_limit",
    "suppression_key",
];

/// The component's configuration.
pub struct MailerConfig {
    pub mail: MailSettings,
    outbox_token: String,
    /// The password of the provider's calls (HTTP basic auth, any user name); empty refuses them all.
    mail_events_secret: String,
    /// Soft bounces of one address that count as a hard bounce.
    pub soft_bounce_limit: u64,
    /// The key of the do-not-contact registry's pseudonyms.
    pub suppression_key: Option<SigningKey>,
}

impl MailerConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let suppression_key = match get("suppression_key").unwrap_or_default() {
            key if key.trim().is_empty() => None,
            key => Some(
                SigningKey::parse(&key)
                    .map_err(|e| anyhow::anyhow!("variable suppression_key: {}", e.message))?,
            ),
        };
        Ok(Self {
            mail: MailSettings::from_variables(&get)?,
            outbox_token: get("outbox_token").unwrap_or_default().trim().to_owned(),
            mail_events_secret: get("mail_events_secret")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            soft_bounce_limit: u64::try_from(shared::config::positive_number(
                "soft_bounce_limit",
                &get("soft_bounce_limit").unwrap_or_else(|| "3".into()),
            )?)
            .unwrap_or(3),
            suppression_key,
        })
    }

    /// Whether the request carries HTTP basic auth whose password is `mail_events_secret` (any user
    /// name, compared in constant time); with no secret configured, nobody does.
    pub fn mail_events_authorized(&self, headers: &HeaderMap) -> bool {
        if self.mail_events_secret.is_empty() {
            return false;
        }
        let password = basic_password(headers);
        password.is_some_and(|p| constant_time_eq(&p, &self.mail_events_secret))
    }

    /// Whether the request carries `Authorization: Bearer {outbox_token}`; with no token configured,
    /// nobody is.
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        bearer_is(headers, &self.outbox_token)
    }
}

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static MailerConfig, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<MailerConfig> = std::sync::OnceLock::new();
    shared::variables::load_once(&CONFIG, &[&MailSettings::VARIABLES, &VARIABLES], |get| {
        MailerConfig::from_variables(get)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, header};

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
    fn mail_events_take_basic_auth_with_the_secret_as_password_and_any_user() {
        let c = MailerConfig::from_variables(|name| match name {
            "mail_events_secret" => Some("pm-hook-secret".to_owned()),
            _ => None,
        })
        .unwrap();
        let basic = |pair: &str| bearer(&format!("Basic {}", STANDARD.encode(pair)));
        assert!(c.mail_events_authorized(&basic("postmark:pm-hook-secret")));
        assert!(c.mail_events_authorized(&basic(":pm-hook-secret")));
        assert!(!c.mail_events_authorized(&basic("postmark:pm-hook-secre")));
        assert!(!c.mail_events_authorized(&bearer("Bearer pm-hook-secret")));
        assert!(!config("t").mail_events_authorized(&basic("postmark:")));
    }
}
