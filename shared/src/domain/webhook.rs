//! Webhooks as the marketing API takes them: the event types, a receiver's URL held to the allowed
//! origins (Spin's `allowed_outbound_hosts` syntax), and a Standard Webhooks 1.0 signing secret.

use super::invalid::Invalid;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr};

/// The longest receiver URL accepted.
const MAX_URL_CHARS: usize = 2048;

/// What an event says happened. Its name is the event's `type`, stable across versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventType {
    SubmissionCreated,
    SubscriberConfirmed,
    SubscriberUnsubscribed,
    DemoRequestCreated,
    DemoRequestStatusChanged,
    OptOutCreated,
    PrivacyRequestCompleted,
    PersonErased,
    ContactImported,
    ContactObjected,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        Self::SubmissionCreated,
        Self::SubscriberConfirmed,
        Self::SubscriberUnsubscribed,
        Self::DemoRequestCreated,
        Self::DemoRequestStatusChanged,
        Self::OptOutCreated,
        Self::PrivacyRequestCompleted,
        Self::PersonErased,
        Self::ContactImported,
        Self::ContactObjected,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SubmissionCreated => "submission.created",
            Self::SubscriberConfirmed => "subscriber.confirmed",
            Self::SubscriberUnsubscribed => "subscriber.unsubscribed",
            Self::DemoRequestCreated => "demo_request.created",
            Self::DemoRequestStatusChanged => "demo_request.status_changed",
            Self::OptOutCreated => "opt_out.created",
            Self::PrivacyRequestCompleted => "privacy_request.completed",
            Self::PersonErased => "person.erased",
            Self::ContactImported => "contact.imported",
            Self::ContactObjected => "contact.objected",
        }
    }
}

/// One entry of `webhook_allowed_hosts`: `scheme://host[:port]`, the host possibly `*.domain`, the port
/// possibly `*` (absent: the scheme's own), as Spin reads `allowed_outbound_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin {
    scheme: String,
    host: String,
    /// `None`: any port.
    port: Option<u16>,
}

impl AllowedOrigin {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "invalid_origin",
                format!(
                    "{raw:?} is not an origin such as https://hooks.example.com or https://*.example.com"
                ),
            )
        };
        let raw = raw.trim().trim_end_matches('/');
        let (scheme, rest) = raw.split_once("://").ok_or_else(bad)?;
        if !matches!(scheme, "http" | "https") || rest.contains(['/', '?', '#', '@']) {
            return Err(bad());
        }
        let (host, port) = split_port(rest).ok_or_else(bad)?;
        let port = match port {
            None => Some(default_port(scheme)),
            Some("*") => None,
            Some(p) => Some(p.parse().map_err(|_| bad())?),
        };
        let name = host.strip_prefix("*.").unwrap_or(host);
        if host == "*" {
            // Any host, as Spin reads it.
        } else if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b))
        {
            return Err(bad());
        }
        Ok(Self {
            scheme: scheme.to_owned(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether `url`'s scheme, host and port fall under this origin.
    fn admits(&self, url: &Parts) -> bool {
        let host = match self.host.strip_prefix("*.") {
            _ if self.host == "*" => true,
            Some(domain) => url
                .host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            None => url.host == self.host,
        };
        self.scheme == url.scheme && host && self.port.is_none_or(|p| p == url.port)
    }

    /// Whether it names `url`'s host itself, not by a wildcard.
    fn names(&self, url: &Parts) -> bool {
        self.host == url.host
    }
}

/// The pieces of a URL a rule looks at.
struct Parts {
    scheme: String,
    host: String,
    port: u16,
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "http" { 80 } else { 443 }
}

/// `host[:port]` split at the port's colon.
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() => Some((host, Some(port))),
        Some(_) => None,
        None => Some((authority, None)),
    }
}

/// A receiver's URL: absolute http(s), no user info, its origin under one of the allowed origins;
/// `https` unless the origin allowing it says `http`; no address in a private, loopback or link-local
/// range (nor `localhost`) unless an allowed origin names that very host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(raw: &str, allowed: &[AllowedOrigin]) -> Result<Self, Invalid> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(Invalid::new("empty", "must not be empty"));
        }
        if raw.chars().count() > MAX_URL_CHARS {
            return Err(Invalid::new("too_long", "must be at most 2048 characters"));
        }
        let bad = || Invalid::new("invalid_url", "must be an absolute https URL");
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (scheme, rest) = value.split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https") {
            return Err(bad());
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains(['@', '[', ']']) {
            return Err(Invalid::new(
                "invalid_url",
                "must name its host plainly: no user info, no bracketed address",
            ));
        }
        let (host, port) = split_port(authority).ok_or_else(bad)?;
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad())?,
            None => default_port(&scheme),
        };
        let host = host.to_ascii_lowercase();
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b))
        {
            return Err(bad());
        }
        let parts = Parts { scheme, host, port };
        let admitting = allowed.iter().find(|origin| origin.admits(&parts));
        let Some(origin) = admitting else {
            if parts.scheme == "http"
                && allowed.iter().any(|o| {
                    o.admits(&Parts {
                        scheme: "https".into(),
                        port: default_port("https"),
                        host: parts.host.clone(),
                    })
                })
            {
                return Err(Invalid::new("insecure_url", "must use https"));
            }
            return Err(Invalid::new(
                "host_not_allowed",
                "its origin is not among the allowed webhook hosts (variable webhook_allowed_hosts)",
            ));
        };
        if internal(&parts.host) && !origin.names(&parts) {
            return Err(Invalid::new(
                "private_address",
                "must not point into a private, loopback or link-local network",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `host` is, or may be read as, an address inside the machine or its private network: a
/// private, loopback, link-local, shared or unspecified IPv4 address, `localhost`, or an all-numeric
/// name that resolvers read as an address (`2130706433`, `0x7f.1`).
fn internal(host: &str) -> bool {
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return internal_ip(IpAddr::V4(ip));
    }
    // A trailing dot names the same host (`localhost.` is `localhost`).
    let name = host.trim_end_matches('.');
    let last = name.rsplit('.').next().unwrap_or_default();
    name == "localhost"
        || name.ends_with(".localhost")
        || name == "localhost.localdomain"
        || last.bytes().all(|b| b.is_ascii_digit())
        || last.starts_with("0x")
}

fn internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unspecified(),
    }
}

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A Standard Webhooks signing secret: `whsec_` + base64 of 24 to 64 random bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

impl WebhookSecret {
    /// A secret of `bytes` (the caller draws them at random): 24 to 64 of them.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, Invalid> {
        if !(24..=64).contains(&bytes.len()) {
            return Err(Invalid::new("invalid_secret", "must hold 24 to 64 bytes"));
        }
        Ok(Self { bytes })
    }

    /// A secret as written, `whsec_` + base64.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let encoded = raw
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| Invalid::new("invalid_secret", "must start with whsec_"))?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| Invalid::new("invalid_secret", "must be base64 after whsec_"))?;
        Self::from_bytes(bytes)
    }

    /// The secret as written: `whsec_` + base64.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.bytes))
    }

    /// The `v1,` signature of a message: base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.bytes).expect("HMAC takes a key of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(origins: &[&str]) -> Vec<AllowedOrigin> {
        origins
            .iter()
            .map(|o| AllowedOrigin::parse(o).unwrap())
            .collect()
    }

    fn code(url: &str, origins: &[&str]) -> &'static str {
        WebhookUrl::parse(url, &allowed(origins)).unwrap_err().code
    }

    #[test]
    fn a_url_is_taken_only_under_an_allowed_origin() {
        let hooks = ["https://hooks.example.com", "https://*.crm.example"];
        assert!(WebhookUrl::parse("https://hooks.example.com/in?x=1", &allowed(&hooks)).is_ok());
        assert!(WebhookUrl::parse("https://eu.crm.example/hook", &allowed(&hooks)).is_ok());
        assert_eq!(code("https://crm.example/hook", &hooks), "host_not_allowed");
        assert_eq!(
            code("https://evil.example/hook", &hooks),
            "host_not_allowed"
        );
        assert_eq!(
            code("https://hooks.example.com:8443/", &hooks),
            "host_not_allowed"
        );
        assert_eq!(code("http://hooks.example.com/in", &hooks), "insecure_url");
        assert_eq!(
            code("https://user@hooks.example.com/", &hooks),
            "invalid_url"
        );
        assert_eq!(code("ftp://hooks.example.com/", &hooks), "invalid_url");
        assert_eq!(code("https://hooks.example.com/", &[]), "host_not_allowed");
    }

    #[test]
    fn private_addresses_pass_only_when_an_origin_names_them() {
        for host in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.10",
            "169.254.169.254",
            "localhost",
            "2130706433",
            "100.64.0.1",
        ] {
            let url = format!("https://{host}/hook");
            assert_eq!(code(&url, &["https://*"]), "private_address", "{url}");
            let named = format!("https://{host}");
            assert!(
                WebhookUrl::parse(&url, &allowed(&[&named])).is_ok(),
                "{url}"
            );
        }
        assert!(WebhookUrl::parse("https://hooks.example.com/", &allowed(&["https://*"])).is_ok());
        assert!(internal("127.0.0.1") && internal("0x7f.1") && internal("localhost"));
        assert!(internal("localhost.") && internal("x.localhost.") && internal("127.0.0.1."));
        assert_eq!(
            code("https://localhost./hook", &["https://*"]),
            "private_address"
        );
        assert!(!internal("hooks.example.com") && !internal("8.8.8.8"));
        assert!(!internal("crm.example.be") && !internal("cafe.bad"));
        // A receiver on the same machine, as the tests run one: allowed by naming it, over http.
        assert!(
            WebhookUrl::parse(
                "http://127.0.0.1:9000/in",
                &allowed(&["http://127.0.0.1:9000"])
            )
            .is_ok()
        );
        assert_eq!(
            code("http://127.0.0.1:9001/in", &["http://127.0.0.1:9000"]),
            "host_not_allowed"
        );
    }

    #[test]
    fn a_secret_signs_as_standard_webhooks_says() {
        // The specification's own example.
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(secret.expose(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert!(format!("{secret:?}").contains("redacted"));
        assert!(WebhookSecret::from_bytes(vec![0; 23]).is_err());
        assert!(WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
    }

    #[test]
    fn event_types_round_trip_by_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("submission.deleted"), None);
    }
}
