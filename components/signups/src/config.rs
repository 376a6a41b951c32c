//! The signups component's configuration, read once per component instance from Spin variables.

use anyhow::{Context, bail};
use shared::capture::CaptureSettings;
use shared::config::{mail_from, positive_number, public_base_url};
use shared::domain::{ConsentId, EmailAddress, WebUrl};
use shared::texts::MailTexts;

/// The variables this component reads besides the capture settings' (all granted in `spin.toml`).
pub const VARIABLES: [&str; 11] = [
    "mail_texts",
    "newsletter_lists",
    "newsletter_thank_you",
    "demo_thank_you",
    "public_base_url",
    "confirm_ttl_hours",
    "resend_interval_minutes",
    "free_mail_domains",
    "unsubscribe_mailto",
    "signup_min_seconds",
    "mail_from",
];

/// Everything the component needs to know.
#[derive(Debug)]
pub struct SignupsConfig {
    pub capture: CaptureSettings,
    /// The newsletter lists a visitor may pick (`list_<id>` checkboxes); the first is the default.
    pub lists: Vec<ConsentId>,
    pub newsletter_thank_you: WebUrl,
    pub demo_thank_you: WebUrl,
    /// Where links in emails point: `{public_base_url}/api/newsletter/confirm/...`, `{...}/u/...`.
    pub public_base_url: String,
    pub confirm_ttl_hours: i64,
    pub resend_interval_minutes: i64,
    free_mail_domains: Vec<String>,
    /// The sender of signup mail: `news@example.com` or `Example News <news@example.com>`.
    pub mail_from: String,
    pub unsubscribe_mailto: EmailAddress,
    /// Every mail's words in every language (`mail_texts`).
    pub texts: MailTexts,
    /// Seconds a person needs at least between rendering a signup form and posting it; 0 turns it off.
    min_seconds: u32,
}

impl SignupsConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let capture = CaptureSettings::from_variables(&get)?;
        let var = |name: &str| get(name).unwrap_or_default();
        let url = |name: &str| -> anyhow::Result<WebUrl> {
            let url = WebUrl::parse(&var(name))
                .map_err(|e| anyhow::anyhow!("variable {name}: {}", e.message))?;
            if !capture.redirect_allowed(&url) {
                bail!(
                    "variable {name}: {:?} is not on redirect_allow_list",
                    url.as_str()
                );
            }
            Ok(url)
        };
        let email = |name: &str| {
            EmailAddress::parse(&var(name))
                .map_err(|e| anyhow::anyhow!("variable {name}: {}", e.message))
        };
        let number = |name: &str| positive_number(name, &var(name));
        let lists = shared::capture::newsletter_lists(&var("newsletter_lists"))?;
        let public_base_url = public_base_url(&var("public_base_url"))?;
        Ok(Self {
            lists,
            newsletter_thank_you: url("newsletter_thank_you")?,
            demo_thank_you: url("demo_thank_you")?,
            public_base_url,
            confirm_ttl_hours: number("confirm_ttl_hours")?,
            resend_interval_minutes: number("resend_interval_minutes")?,
            free_mail_domains: var("free_mail_domains")
                .split(',')
                .map(|d| d.trim().to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect(),
            mail_from: mail_from(&var("mail_from"))?,
            unsubscribe_mailto: email("unsubscribe_mailto")?,
            texts: MailTexts::parse(&var("mail_texts"))?,
            min_seconds: var("signup_min_seconds")
                .trim()
                .parse()
                .context("variable signup_min_seconds must be a whole number of seconds")?,
            capture,
        })
    }

    pub fn min_submit_seconds(&self) -> u32 {
        self.min_seconds
    }

    /// Whether `email` is at a free-mail provider (flagged on demo requests, not refused).
    pub fn is_free_mail(&self, email: &EmailAddress) -> bool {
        self.free_mail_domains.iter().any(|d| d == email.domain())
    }
}

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static SignupsConfig, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<SignupsConfig> = std::sync::OnceLock::new();
    shared::variables::load_once(&CONFIG, &[&CaptureSettings::VARIABLES, &VARIABLES], |get| {
        SignupsConfig::from_variables(get)
    })
    .await
}
