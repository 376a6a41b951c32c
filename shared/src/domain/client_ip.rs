//! The visitor's IP address: which header to believe, and its truncated (/24, /48) form.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Where the address was read from. Forwarded headers count only when the direct peer is a
/// trusted proxy, since any client can send them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IpSource {
    Peer,
    TrueClientIp,
    CfConnectingIp,
    XForwardedFor,
}

/// The visitor's address as far as it can be known, and how it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp {
    ip: IpAddr,
    source: IpSource,
}

/// The header values that may name the visitor, each the value to believe if any (the last one Spin set
/// for `spin-client-addr`, the whole comma-separated list for `x-forwarded-for`).
#[derive(Debug, Default, Clone, Copy)]
pub struct IpHeaders<'a> {
    pub spin_client_addr: Option<&'a str>,
    pub true_client_ip: Option<&'a str>,
    pub cf_connecting_ip: Option<&'a str>,
    pub x_forwarded_for: Option<&'a str>,
}

impl ClientIp {
    /// Resolves the visitor's address: the peer's, unless the peer is a trusted proxy, in which case the
    /// one header that proxy sets (`forwarded`) names the visitor. Other forwarding headers are ignored,
    /// since a proxy passes through whatever a client sent in them. Returns `None` only when the peer
    /// address itself is missing or unreadable (Spin always sets it).
    pub fn resolve(
        headers: IpHeaders<'_>,
        trusted_proxies: &[IpNet],
        forwarded: IpSource,
    ) -> Option<Self> {
        let peer = parse_addr(headers.spin_client_addr?)?;
        let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|net| net.contains(ip));
        let at_peer = Self {
            ip: peer,
            source: IpSource::Peer,
        };
        if !trusted(&peer) {
            return Some(at_peer);
        }
        let single = |value: Option<&str>| value.and_then(|v| v.trim().parse::<IpAddr>().ok());
        let found = match forwarded {
            IpSource::Peer => None,
            IpSource::TrueClientIp => single(headers.true_client_ip),
            IpSource::CfConnectingIp => single(headers.cf_connecting_ip),
            // Each proxy appends the address it saw, so walk from the right past our own proxies:
            // the first address a trusted proxy did not add is the one its peer claimed to be.
            IpSource::XForwardedFor => headers.x_forwarded_for.and_then(|list| {
                list.rsplit(',')
                    .map_while(parse_addr)
                    .find(|ip| !trusted(ip))
            }),
        };
        Some(found.map_or(at_peer, |ip| Self {
            ip,
            source: forwarded,
        }))
    }

    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    pub fn source(&self) -> IpSource {
        self.source
    }

    /// The network the address belongs to, as the analytics tools keep it: /24 for IPv4, /48 for IPv6.
    pub fn truncated(&self) -> IpAddr {
        truncate(self.ip)
    }
}

/// Zeroes the host part: /24 for IPv4, /48 for IPv6 (an IPv4-mapped IPv6 address counts as IPv4).
pub fn truncate(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(u32::from(v4) & 0xFFFF_FF00)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => truncate(IpAddr::V4(v4)),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 80) - 1))),
        },
    }
}

/// Reads `ip`, `ip:port`, `[v6]:port` or `[v6]`, and unwraps IPv4-mapped IPv6 addresses.
fn parse_addr(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    let ip = raw
        .parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| raw.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn the_peer_is_believed_and_forwarded_headers_ignored_when_the_peer_is_not_trusted() {
        let headers = IpHeaders {
            spin_client_addr: Some("203.0.113.9:5555"),
            x_forwarded_for: Some("8.8.8.8"),
            true_client_ip: Some("1.1.1.1"),
            ..Default::default()
        };
        let ip =
            ClientIp::resolve(headers, &nets(&["10.0.0.0/8"]), IpSource::XForwardedFor).unwrap();
        assert_eq!(ip.ip().to_string(), "203.0.113.9");
        assert_eq!(ip.source(), IpSource::Peer);
    }

    #[test]
    fn a_trusted_proxy_forwarded_for_is_walked_from_the_right() {
        let headers = IpHeaders {
            spin_client_addr: Some("10.0.0.2:443"),
            x_forwarded_for: Some("6.6.6.6, 8.8.8.8, 10.0.0.7"),
            ..Default::default()
        };
        let ip =
            ClientIp::resolve(headers, &nets(&["10.0.0.0/8"]), IpSource::XForwardedFor).unwrap();
        assert_eq!(ip.ip().to_string(), "8.8.8.8");
        assert_eq!(ip.source(), IpSource::XForwardedFor);
    }

    #[test]
    fn only_the_header_the_trusted_proxy_sets_is_believed() {
        let headers = IpHeaders {
            spin_client_addr: Some("[2001:db8::1]:443"),
            true_client_ip: Some("2001:4860:4860::8888"),
            cf_connecting_ip: Some("1.1.1.1"),
            x_forwarded_for: Some("9.9.9.9"),
        };
        let trusted = nets(&["2001:db8::/32"]);
        let by_true_client_ip =
            ClientIp::resolve(headers, &trusted, IpSource::TrueClientIp).unwrap();
        assert_eq!(by_true_client_ip.ip().to_string(), "2001:4860:4860::8888");
        assert_eq!(by_true_client_ip.source(), IpSource::TrueClientIp);
        // A proxy that only appends X-Forwarded-For passes a client's forged True-Client-IP through.
        let by_forwarded_for =
            ClientIp::resolve(headers, &trusted, IpSource::XForwardedFor).unwrap();
        assert_eq!(by_forwarded_for.ip().to_string(), "9.9.9.9");
        let by_cloudflare = ClientIp::resolve(headers, &trusted, IpSource::CfConnectingIp).unwrap();
        assert_eq!(by_cloudflare.ip().to_string(), "1.1.1.1");
    }

    #[test]
    fn garbage_forwarded_headers_fall_back_to_the_peer() {
        let headers = IpHeaders {
            spin_client_addr: Some("127.0.0.1:1"),
            x_forwarded_for: Some("not-an-ip"),
            ..Default::default()
        };
        let ip =
            ClientIp::resolve(headers, &nets(&["127.0.0.1/32"]), IpSource::XForwardedFor).unwrap();
        assert_eq!(ip.source(), IpSource::Peer);
    }

    #[test]
    fn addresses_are_truncated_to_24_and_48_bits() {
        assert_eq!(
            truncate("203.0.113.77".parse().unwrap()).to_string(),
            "203.0.113.0"
        );
        assert_eq!(
            truncate("2001:db8:abcd:1234::1".parse().unwrap()).to_string(),
            "2001:db8:abcd::"
        );
        assert_eq!(
            truncate("::ffff:198.51.100.7".parse().unwrap()).to_string(),
            "198.51.100.0"
        );
    }

    #[test]
    fn ipv4_mapped_peers_count_as_ipv4() {
        let headers = IpHeaders {
            spin_client_addr: Some("[::ffff:192.0.2.1]:80"),
            ..Default::default()
        };
        assert_eq!(
            ClientIp::resolve(headers, &[], IpSource::XForwardedFor)
                .unwrap()
                .ip()
                .to_string(),
            "192.0.2.1"
        );
    }
}
