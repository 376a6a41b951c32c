//! The jobs component's configuration: the scheduler's token, the mail provider (outbox delivery) and
//! the privacy settings (the person index's pseudonyms), read once per component instance.

use http::HeaderMap;
use shared::http::bearer_is;
use shared::mailer::MailSettings;
use shared::privacy::PrivacySettings;
use shared::records::retention::Retention;
use shared::register::note::NoteSigner;

/// The variables this component reads besides the mail and privacy settings'.
pub const VARIABLES: [&str; 4] = [
    "jobs_token",
    "register_signing_key",
    "retention",
    "contact_reminder_months",
];

pub struct JobsConfig {
    pub mail: MailSettings,
    pub privacy: PrivacySettings,
    /// Signs the register's checkpoints; `None` while `register_signing_key` is unset (the register
    /// job then reports itself not configured).
    pub register: Option<NoteSigner>,
    /// How long each kind of record is kept (`retention`, TOML).
    pub retention: Retention,
    /// Months after a contact's last notice that it is reminded it can object.
    pub contact_reminder_months: i64,
    jobs_token: String,
}

impl JobsConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let privacy = PrivacySettings::from_variables(&get)?;
        let register = shared::register::signer(
            &get("register_signing_key").unwrap_or_default(),
            &privacy.public_base_url,
        )?;
        Ok(Self {
            mail: MailSettings::from_variables(&get)?,
            privacy,
            register,
            retention: Retention::parse(&get("retention").unwrap_or_default())?,
            contact_reminder_months: shared::config::positive_number(
                "contact_reminder_months",
                &get("contact_reminder_months").unwrap_or_else(|| "12".into()),
            )?,
            jobs_token: get("jobs_token").unwrap_or_default().trim().to_owned(),
        })
    }

    /// Whether the request carries `Authorization: Bearer {jobs_token}`; with no token configured,
    /// nobody does.
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        bearer_is(headers, &self.jobs_token)
    }
}

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static JobsConfig, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<JobsConfig> = std::sync::OnceLock::new();
    shared::variables::load_once(
        &CONFIG,
        &[
            &MailSettings::VARIABLES,
            &PrivacySettings::VARIABLES,
            &VARIABLES,
        ],
        |get| JobsConfig::from_variables(get),
    )
    .await
}
