//! Settings shared by every capture endpoint, read from Spin variables.

use crate::domain::WebUrl;
use crate::tokens::{Keyring, Purpose, SigningKey};
use anyhow::{Context, bail};
use ipnet::IpNet;

/// How many posts one client may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub max: u64,
    pub window_seconds: u64,
}

impl RateLimit {
    /// Reads `max/window_seconds`, e.g. `20/600`.
    fn parse(raw: &str) -> anyhow::Result<Self> {
        let (max, window) = raw
            .trim()
            .split_once('/')
            .context("expected max/seconds, e.g. 20/600")?;
        let limit = Self {
            max: max.trim().parse().context("max must be a whole number")?,
            window_seconds: window
                .trim()
                .parse()
                .context("seconds must be a whole number")?,
        };
        if limit.max == 0 || limit.window_seconds == 0 {
            bail!("max and seconds must be above 0");
        }
        Ok(limit)
    }
}

/// The capture settings of an app. Built once per component instance.
#[derive(Debug, Clone)]
pub struct CaptureSettings {
    /// Signs render tokens, rate-limit buckets and links; rotates.
    pub keys: Keyring,
    /// Keys the pseudonyms of email addresses and phone numbers in the do-not-contact registry. Never
    /// rotates: a new key would make every entry unfindable.
    suppression_key: SigningKey,
    /// Signs unsubscribe links, with the never-rotating suppression key: a link in a mail sent years ago
    /// must still work after the signing keys rotated.
    unsubscribe_keys: Keyring,
    pub trusted_proxies: Vec<IpNet>,
    /// The header the trusted proxies set to name the visitor; the others are ignored.
    pub client_ip_header: crate::domain::IpSource,
    redirect_allow_list: Vec<String>,
    allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub rate_limit: RateLimit,
}

impl CaptureSettings {
    /// The variables the capture settings are built from; every capture component is granted them.
    pub const VARIABLES: [&'static str; 8] = [
        "signing_key",
        "suppression_key",
        "trusted_proxies",
        "client_ip_header",
        "redirect_allow_list",
        "allowed_origins",
        "max_body_bytes",
        "rate_limit",
    ];

    /// Builds the settings from variable values; `get` answers `None` for an unset variable.
    /// A bad value is an error naming the variable (the operator's mistake, reported as a 500 and logged).
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |name: &str| get(name).unwrap_or_default();
        let list = |name: &str| -> Vec<String> {
            var(name)
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let keys = Keyring::parse(&var("signing_key"))
            .map_err(|e| anyhow::anyhow!("variable signing_key: {}", e.message))?;
        let suppression_key = SigningKey::parse(&var("suppression_key"))
            .map_err(|e| anyhow::anyhow!("variable suppression_key: {}", e.message))?;
        let unsubscribe_keys = Keyring::parse(&format!("u:{}", var("suppression_key").trim()))
            .map_err(|e| anyhow::anyhow!("variable suppression_key: {}", e.message))?;
        let trusted_proxies = list("trusted_proxies")
            .iter()
            .map(|net| {
                net.parse::<IpNet>()
                    .or_else(|_| net.parse::<std::net::IpAddr>().map(IpNet::from))
                    .with_context(|| {
                        format!("variable trusted_proxies: {net:?} is not an IP network")
                    })
            })
            .collect::<anyhow::Result<_>>()?;
        let client_ip_header = match var("client_ip_header").trim().to_ascii_lowercase().as_str() {
            "" | "x-forwarded-for" => crate::domain::IpSource::XForwardedFor,
            "true-client-ip" => crate::domain::IpSource::TrueClientIp,
            "cf-connecting-ip" => crate::domain::IpSource::CfConnectingIp,
            other => bail!(
                "variable client_ip_header: {other:?} is not x-forwarded-for, true-client-ip or cf-connecting-ip"
            ),
        };
        let redirect_allow_list = list("redirect_allow_list");
        for prefix in &redirect_allow_list {
            WebUrl::parse(prefix).map_err(|e| {
                anyhow::anyhow!("variable redirect_allow_list: {prefix:?} {}", e.message)
            })?;
        }
        let max_body_bytes = var("max_body_bytes")
            .trim()
            .parse()
            .context("variable max_body_bytes must be a number of bytes")?;
        let rate_limit = RateLimit::parse(&var("rate_limit")).context("variable rate_limit")?;
        Ok(Self {
            keys,
            suppression_key,
            unsubscribe_keys,
            trusted_proxies,
            client_ip_header,
            redirect_allow_list,
            allowed_origins: list("allowed_origins"),
            max_body_bytes,
            rate_limit,
        })
    }

    /// The stable pseudonym of a normalised email address or E.164 phone number: what the do-not-contact
    /// registry and other person-keyed entries store instead of the value itself.
    pub fn pseudonym(&self, value: &str) -> String {
        self.suppression_key.pseudonym(value)
    }

    /// The keyring of unsubscribe links (see [`crate::links::UnsubscribeLink`]).
    pub fn unsubscribe_keys(&self) -> &Keyring {
        &self.unsubscribe_keys
    }

    /// The rate-limit bucket of a client address (a keyed hash, so no raw IP is in a key).
    pub fn rate_bucket(&self, ip: std::net::IpAddr) -> String {
        let mut bucket = self
            .keys
            .sign(Purpose::RateLimitKey, &[ip.to_string().as_bytes()]);
        bucket.truncate(22);
        bucket
    }

    /// The rate-limit check of one post from `ip` arriving at `at`.
    pub fn rate_check(
        &self,
        ip: std::net::IpAddr,
        at: crate::time::Timestamp,
    ) -> crate::store::RateCheck {
        crate::store::RateCheck {
            client: self.rate_bucket(ip),
            at: at.unix_seconds(),
            window_seconds: self.rate_limit.window_seconds,
            max: self.rate_limit.max,
        }
    }

    /// Whether a browser may be sent to `url` after a post (no open redirects).
    pub fn redirect_allowed(&self, url: &WebUrl) -> bool {
        self.redirect_allow_list
            .iter()
            .any(|prefix| url.is_under(prefix))
    }

    /// The prefixes of `redirect_allow_list`.
    pub fn redirect_prefixes(&self) -> Vec<String> {
        self.redirect_allow_list.clone()
    }

    /// Whether the request carries an `Origin` that may call capture endpoints (CORS preflight).
    pub fn origin_allowed_in(&self, headers: &http::HeaderMap) -> bool {
        headers
            .get(http::header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|origin| self.origin_allowed(origin))
    }

    /// Whether a page on `origin` (the `Origin` header) may post to capture endpoints.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins
            .iter()
            .any(|o| o.trim_end_matches('/') == origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(extra: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut all: Vec<(String, String)> = [
            ("signing_key", "0123456789abcdef0123456789abcdef"),
            ("suppression_key", "fedcba9876543210fedcba9876543210"),
            ("trusted_proxies", "10.0.0.0/8, 2001:db8::/32, 192.0.2.1"),
            ("redirect_allow_list", "https://www.example.com/"),
            ("allowed_origins", "https://www.example.com"),
            ("max_body_bytes", "16384"),
            ("rate_limit", "20/600"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in extra {
            all.retain(|(name, _)| name != k);
            all.push((k.to_string(), v.to_string()));
        }
        move |name| all.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn valid_variables_make_settings() {
        let settings = CaptureSettings::from_variables(vars(&[])).unwrap();
        assert_eq!(settings.trusted_proxies.len(), 3);
        assert_eq!(
            settings.rate_limit,
            RateLimit {
                max: 20,
                window_seconds: 600
            }
        );
        assert!(
            settings.redirect_allowed(&WebUrl::parse("https://www.example.com/thanks").unwrap())
        );
        assert!(!settings.redirect_allowed(&WebUrl::parse("https://evil.example.net/").unwrap()));
        assert!(settings.origin_allowed("https://www.example.com"));
        assert!(!settings.origin_allowed("https://evil.example.net"));
    }

    #[test]
    fn a_bad_variable_is_reported_by_name() {
        for (name, value) in [
            ("signing_key", "short"),
            ("trusted_proxies", "nonsense"),
            ("rate_limit", "20"),
            ("max_body_bytes", "lots"),
        ] {
            let err = CaptureSettings::from_variables(vars(&[(name, value)])).unwrap_err();
            assert!(
                format!("{err:#}").contains(name),
                "{err:#} should name {name}"
            );
        }
    }
}
