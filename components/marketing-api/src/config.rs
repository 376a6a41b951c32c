//! The component's configuration: the admin key, the suppression key and the privacy settings (staff
//! answer data-subject requests here), read once per component instance.

use http::HeaderMap;
use shared::domain::AllowedOrigin;
use shared::http::{ApiError, bearer, constant_time_eq};
use shared::privacy::PrivacySettings;
use shared::register::note::NoteSigner;
use shared::tokens::SigningKey;

/// The variables this component reads (granted in `spin.toml`).
pub const VARIABLES: [&str; 6] = [
    "admin_api_key",
    "suppression_key",
    "register_signing_key",
    "register_public",
    "webhook_allowed_hosts",
    "webhook_allowed_hosts_b",
];

/// The shortest admin key accepted; a shorter one counts as unset.
pub const MIN_ADMIN_KEY_LEN: usize = 32;

/// The component's configuration.
pub struct ApiConfig {
    /// `None` while `admin_api_key` is unset or too short: every admin call is refused.
    admin_key: Option<String>,
    /// The key of the do-not-contact registry's pseudonyms, to check addresses against it.
    pub suppression_key: SigningKey,
    /// Links, mails, legal holds and facts for answering data-subject requests.
    pub privacy: PrivacySettings,
    /// Signs the empty register's checkpoint before the register job first ran.
    pub register: Option<NoteSigner>,
    /// The register's tiles and checkpoint may be read without a key (`register_public`).
    pub register_public: bool,
    /// The origins webhook endpoints may point to (`webhook_allowed_hosts`, `webhook_allowed_hosts_b`),
    /// the same the jobs component may reach; none: no endpoint can be made.
    pub webhook_hosts: Vec<AllowedOrigin>,
}

impl ApiConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let admin_key = get("admin_api_key")
            .map(|k| k.trim().to_owned())
            .filter(|k| k.len() >= MIN_ADMIN_KEY_LEN);
        let suppression_key = SigningKey::parse(&get("suppression_key").unwrap_or_default())
            .map_err(|e| anyhow::anyhow!("variable suppression_key: {}", e.message))?;
        let privacy = PrivacySettings::from_variables(&get)?;
        let register = shared::register::signer(
            &get("register_signing_key").unwrap_or_default(),
            &privacy.public_base_url,
        )?;
        let register_public = match get("register_public").unwrap_or_default().trim() {
            "" | "false" => false,
            "true" => true,
            other => anyhow::bail!("variable register_public must be true or false, not {other:?}"),
        };
        let mut webhook_hosts = Vec::new();
        for name in ["webhook_allowed_hosts", "webhook_allowed_hosts_b"] {
            let value = get(name).unwrap_or_default();
            if !value.trim().is_empty() {
                let origin = AllowedOrigin::parse(&value)
                    .map_err(|e| anyhow::anyhow!("variable {name}: {}", e.message))?;
                webhook_hosts.push(origin);
            }
        }
        Ok(Self {
            admin_key,
            suppression_key,
            privacy,
            register,
            register_public,
            webhook_hosts,
        })
    }

    /// Whether the request carries the admin key (a usable one is configured).
    pub fn is_admin(&self, headers: &HeaderMap) -> bool {
        matches!((&self.admin_key, bearer(headers)), (Some(admin), Some(token)) if constant_time_eq(token, admin))
    }

    /// Whether key management is open (a usable `admin_api_key`).
    pub fn key_management(&self) -> bool {
        self.admin_key.is_some()
    }

    /// Lets the request through only with `Authorization: Bearer {admin_api_key}` (compared in constant
    /// time): 503 while no usable admin key is configured, 401 for any other token.
    pub fn check_admin(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(admin) = &self.admin_key else {
            return Err(ApiError::NotConfigured {
                code: "admin_key_not_configured",
                message: "Key management is closed: set the admin_api_key variable (at least 32 characters).",
            });
        };
        match bearer(headers) {
            Some(token) if constant_time_eq(token, admin) => Ok(()),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static ApiConfig, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<ApiConfig> = std::sync::OnceLock::new();
    shared::variables::load_once(&CONFIG, &[&VARIABLES, &PrivacySettings::VARIABLES], |get| {
        ApiConfig::from_variables(get)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderValue, header};

    fn config(key: &str) -> ApiConfig {
        ApiConfig::from_variables(|name| match name {
            "suppression_key" | "signing_key" => Some("s".repeat(32)),
            "admin_api_key" => Some(key.to_owned()),
            "public_base_url" => Some("https://example.com".into()),
            "mail_from" | "privacy_mail_from" => Some("privacy@example.com".into()),
            "privacy_verify_ttl_minutes" | "privacy_download_ttl_days" => Some("1".into()),
            _ => Some(String::new()),
        })
        .unwrap()
    }

    fn bearer_of(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn an_unset_or_short_admin_key_refuses_everyone() {
        let short = "x".repeat(MIN_ADMIN_KEY_LEN - 1);
        for c in [config(""), config(&short)] {
            let refusal = c.check_admin(&bearer_of(&format!("Bearer {short}")));
            assert!(matches!(
                refusal,
                Err(ApiError::NotConfigured {
                    code: "admin_key_not_configured",
                    ..
                })
            ));
        }
        let key = "k".repeat(MIN_ADMIN_KEY_LEN);
        let c = config(&key);
        assert!(c.check_admin(&bearer_of(&format!("Bearer {key}"))).is_ok());
        assert!(matches!(
            c.check_admin(&bearer_of(&format!("Bearer {key}x"))),
            Err(ApiError::Unauthorized)
        ));
        assert!(matches!(
            c.check_admin(&HeaderMap::new()),
            Err(ApiError::Unauthorized)
        ));
    }
}
