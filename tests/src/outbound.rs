//! Outbound HTTP grants: a component may only send requests to hosts matching its
//! `allowed_outbound_hosts`, in Spin's syntax (spin crates/outbound-networking-config/src/allowed_hosts.rs:
//! `<scheme>://<host>[:<port>]`, `*` for any scheme/host/port, `*.domain`, port ranges `a..b`, default port
//! from the scheme). A denied request fails with `error-code.http-request-denied`, as on Spin. Not
//! supported (rejected at load): CIDR hosts, `self`, host and port lists.
//! `{{ variable }}` templates are rendered from the app's variables, an entry rendering empty skipped
//! (Spin 4.1).

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use std::sync::Arc;
use wasmtime_wasi_http::p3::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::p3::{RequestOptions, WasiHttpHooks};

/// One parsed `allowed_outbound_hosts` entry.
#[derive(Debug, Clone)]
struct AllowedHost {
    scheme: Option<String>,
    host: HostRule,
    /// `None` = any port.
    ports: Option<(u16, u16)>,
}

#[derive(Debug, Clone)]
enum HostRule {
    Any,
    /// `*.example.com` → `.example.com`.
    Suffix(String),
    Literal(String),
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "rediss" => Some(6379),
        _ => None,
    }
}

impl AllowedHost {
    fn parse(entry: &str) -> Result<Self> {
        let url = entry.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            bail!("{url:?} does not contain a scheme (e.g., 'http://' or '*://')");
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            bail!("{url:?} has a path but is not allowed to");
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || rest.starts_with('[') => (h, p),
            _ => (rest, ""),
        };
        let ports = if port == "*" {
            None
        } else if port.is_empty() {
            let p = well_known_port(scheme).with_context(|| {
                format!("no port was provided and the scheme {scheme:?} does not have a known default port number")
            })?;
            Some((p, p))
        } else if let Some((a, b)) = port.split_once("..") {
            // Spin's range is half-open (`start..end`).
            let (a, b): (u16, u16) = (a.parse()?, b.parse()?);
            Some((a, b.saturating_sub(1)))
        } else {
            let p: u16 = port
                .parse()
                .with_context(|| format!("port {port:?} is not a number"))?;
            Some((p, p))
        };
        let host = if host == "*" {
            HostRule::Any
        } else if let Some(domain) = host.strip_prefix("*.") {
            if domain.contains('*') {
                bail!("wildcards are allowed only as prefixes");
            }
            HostRule::Suffix(format!(".{}", domain.to_ascii_lowercase()))
        } else if host.contains('*') {
            bail!("wildcards are allowed only as subdomains");
        } else if host == "self"
            || host == "self.alt"
            || host.contains('/')
            || host.starts_with('{')
        {
            bail!("{host:?}: not supported by the test host");
        } else {
            HostRule::Literal(host.to_ascii_lowercase())
        };
        let scheme = match scheme {
            "*" => None,
            s if s.chars().all(|c| c.is_ascii_alphabetic()) => Some(s.to_owned()),
            s => bail!("invalid scheme {s:?}"),
        };
        Ok(Self {
            scheme,
            host,
            ports,
        })
    }

    fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == scheme);
        let host = host.to_ascii_lowercase();
        let host_ok = match &self.host {
            HostRule::Any => true,
            HostRule::Suffix(suffix) => host.ends_with(suffix.as_str()),
            HostRule::Literal(l) => *l == host,
        };
        let port_ok = match self.ports {
            None => true,
            Some((lo, hi)) => match port.or_else(|| well_known_port(scheme)) {
                Some(p) => (lo..=hi).contains(&p),
                None => false,
            },
        };
        scheme_ok && host_ok && port_ok
    }
}

/// A component's outbound grants.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts(Vec<AllowedHost>);

impl AllowedHosts {
    /// Parses the manifest entries; an invalid entry fails app load, as on Spin.
    pub fn parse(entries: &[String]) -> Result<Self> {
        entries
            .iter()
            .map(|e| AllowedHost::parse(e).with_context(|| format!("allowed_outbound_hosts {e:?}")))
            .collect::<Result<Vec<_>>>()
            .map(Self)
    }

    /// Parses the manifest entries with `{{ variable }}` templates rendered from the app's variables,
    /// as Spin does (spin crates/outbound-networking-config `PartialAllowedHostConfig`): an entry that
    /// renders empty (or to a bare `http://` / `https://`) is skipped, so an optional endpoint can be
    /// left unset; a template naming an unknown variable fails app load.
    pub fn parse_with_variables(
        entries: &[String],
        variables: &std::collections::BTreeMap<String, String>,
    ) -> Result<Self> {
        let mut rendered = Vec::with_capacity(entries.len());
        for entry in entries {
            if !entry.contains("{{") {
                rendered.push(entry.clone());
                continue;
            }
            let mut value = String::new();
            for part in crate::manifest::parse_template(entry)
                .with_context(|| format!("allowed_outbound_hosts {entry:?}"))?
            {
                match part {
                    crate::manifest::Part::Lit(l) => value.push_str(&l),
                    crate::manifest::Part::Var(v) => match variables.get(&v) {
                        Some(s) => value.push_str(s),
                        None => bail!("allowed_outbound_hosts {entry:?}: unknown variable {v:?}"),
                    },
                }
            }
            if !(value.is_empty() || value == "http://" || value == "https://") {
                rendered.push(value);
            }
        }
        Self::parse(&rendered)
    }

    /// Whether a request to this URI may be sent.
    pub fn allows(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https");
        let Some(host) = uri.host() else {
            return false;
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.0
            .iter()
            .any(|a| a.allows(scheme, host, uri.port_u16()))
    }
}

/// `wasi:http` hooks of one instance: the default sender, behind the component's grants.
pub struct OutboundHooks {
    allowed: Arc<AllowedHosts>,
}

impl OutboundHooks {
    pub fn new(allowed: Arc<AllowedHosts>) -> Self {
        Self { allowed }
    }
}

type SendResult = wasmtime_wasi::TrappableError<ErrorCode>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<UnsyncBoxBody<Bytes, ErrorCode>>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), ErrorCode>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<UnsyncBoxBody<Bytes, ErrorCode>>,
                        Box<dyn Future<Output = Result<(), ErrorCode>> + Send>,
                    ),
                    SendResult,
                >,
            > + Send,
    > {
        drop(fut);
        if !self.allowed.allows(request.uri()) {
            eprintln!(
                "test host: outbound request to {} denied (not in allowed_outbound_hosts)",
                request.uri()
            );
            return Box::new(async { Err(ErrorCode::HttpRequestDenied.into()) });
        }
        Box::new(async move {
            use http_body_util::BodyExt;
            let (res, io) = wasmtime_wasi_http::p3::default_send_request(request, options).await?;
            Ok((
                res.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entries: &[&str], uri: &str) -> bool {
        let entries: Vec<String> = entries.iter().map(|s| s.to_string()).collect();
        AllowedHosts::parse(&entries)
            .unwrap()
            .allows(&uri.parse().unwrap())
    }

    #[test]
    fn hosts_match_like_spin() {
        assert!(allows(
            &["https://api.postmarkapp.com"],
            "https://api.postmarkapp.com/email"
        ));
        assert!(!allows(
            &["https://api.postmarkapp.com"],
            "http://api.postmarkapp.com/email"
        ));
        assert!(!allows(
            &["https://api.postmarkapp.com"],
            "https://api.postmarkapp.com:8443/"
        ));
        assert!(allows(&["http://127.0.0.1:*"], "http://127.0.0.1:4321/x"));
        assert!(allows(&["*://*.example.com:*"], "https://a.example.com/"));
        assert!(!allows(&["*://*.example.com:*"], "https://example.com/"));
        assert!(!allows(&[], "https://example.com/"));
    }

    #[test]
    fn templates_render_from_app_variables_and_empty_ones_are_skipped() {
        let vars: std::collections::BTreeMap<String, String> = [
            (
                "mail_api_url".to_owned(),
                "http://127.0.0.1:4321".to_owned(),
            ),
            ("empty".to_owned(), String::new()),
        ]
        .into();
        let hosts = AllowedHosts::parse_with_variables(
            &["{{ mail_api_url }}".to_owned(), "{{ empty }}".to_owned()],
            &vars,
        )
        .unwrap();
        assert!(hosts.allows(&"http://127.0.0.1:4321/email".parse().unwrap()));
        assert!(!hosts.allows(&"http://127.0.0.1:4322/email".parse().unwrap()));
        let none = AllowedHosts::parse_with_variables(&["{{ empty }}".to_owned()], &vars).unwrap();
        assert!(!none.allows(&"http://127.0.0.1:4321/".parse().unwrap()));
        assert!(AllowedHosts::parse_with_variables(&["{{ nope }}".to_owned()], &vars).is_err());
    }
}
