//! The mailer component's configuration (the mail provider and the outbox token), read once per
//! component instance, and the check of the scheduler's bearer token.

use http::HeaderMap;
use shared::http::bearer_is;
use shared::mailer::MailSettings;

/// The variables this component reads besides the mail provider's (all granted in `spin.toml`).
pub const VARIABLES: [&str; 1] = ["outbox_token"];

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
}
