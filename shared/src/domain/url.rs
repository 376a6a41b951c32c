//! An absolute http(s) URL as sent by a browser (page URL, referrer, thank-you URL).

use super::invalid::Invalid;
use super::shape::{CONTROL, SPACE, Shape, literal};

/// The longest URL accepted, as sent.
const MAX_CHARS: usize = 2048;

/// The shape of [`host_ok`]'s hosts.
const HOST: &str = r"[A-Za-z0-9._~%-]+(?::[0-9]{1,5})?";

/// A host as browsers send it: a name or IPv4 address in ASCII (internationalised names in their
/// `xn--` form) and an optional port. No user info, no bracketed IPv6 literal (which URL parsers
/// read in different ways): nothing a reader of the stored URL could take for another host.
fn host_ok(host: &str) -> bool {
    let (name, port) = host.find(':').map_or((host, ""), |at| host.split_at(at));
    let name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~%-".contains(&b));
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    name && port_ok
}

/// A character of a URL after its host: no space, no control character.
fn rest() -> String {
    format!("[^{SPACE}{CONTROL}]")
}

/// An absolute `http://` or `https://` URL without whitespace or control characters, at most 2048 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(String);

impl WebUrl {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(Invalid::new("empty", "must not be empty"));
        }
        if raw.chars().count() > MAX_CHARS {
            return Err(Invalid::new("too_long", "must be at most 2048 characters"));
        }
        let rest = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"))
            .ok_or_else(|| Invalid::new("invalid_url", "must be an absolute http(s) URL"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if !host_ok(host) || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Invalid::new(
                "invalid_url",
                "must be an absolute http(s) URL",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What [`Self::parse`] accepts: `http://` or `https://`, a host (see [`host_ok`]), then
    /// anything without spaces or control characters.
    pub fn shape() -> Shape {
        Shape::trimmed(
            &format!("https?://{HOST}(?:[/?#]{}*)?", rest()),
            Some(MAX_CHARS),
        )
    }

    /// The shape of a URL under one of `prefixes` (as [`WebUrl::is_under`] says).
    pub fn shape_under(prefixes: &[String]) -> Shape {
        let under = prefixes
            .iter()
            .map(|prefix| {
                let tail = if prefix.ends_with('/') {
                    format!("{}*", rest())
                } else {
                    format!("(?:[/?#]{}*)?", rest())
                };
                format!("{}{tail}", literal(prefix))
            })
            .collect::<Vec<_>>()
            .join("|");
        Shape::trimmed(&under, Some(MAX_CHARS))
    }

    /// True when this URL is `prefix` or lies below it; a prefix naming only an origin
    /// (`https://example.com`) covers every path of that origin and no other host.
    pub fn is_under(&self, prefix: &str) -> bool {
        let url = self.0.as_str();
        let Some(rest) = url.strip_prefix(prefix) else {
            return false;
        };
        prefix.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?', '#'])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::shape::testing::parser_fits_shape;

    parser_fits_shape!(
        the_parser_accepts_exactly_the_documented_shape,
        WebUrl::shape(),
        WebUrl::parse
    );

    #[test]
    fn absolute_http_urls_are_accepted_and_others_refused() {
        for raw in [
            "https://example.com/pricing?utm_source=x",
            "http://127.0.0.1:3000",
            "https://xn--bcher-kva.de/",
        ] {
            assert!(WebUrl::parse(raw).is_ok(), "{raw:?} should be accepted");
        }
        for raw in [
            "",
            "/relative",
            "javascript:alert(1)",
            "https://",
            "https://a b.com",
            "https://user@evil.com/",
            "http://[::1]:3000/",
            "http://a:123456/",
            "http://bücher.de/",
        ] {
            assert!(WebUrl::parse(raw).is_err(), "{raw:?} should be refused");
        }
    }

    #[test]
    fn a_url_is_under_a_prefix_only_on_a_path_boundary() {
        let url = WebUrl::parse("https://example.com/thanks").unwrap();
        assert!(url.is_under("https://example.com"));
        assert!(url.is_under("https://example.com/"));
        assert!(url.is_under("https://example.com/thanks"));
        assert!(!url.is_under("https://example.co"));
        assert!(
            !WebUrl::parse("https://example.com.evil.net/")
                .unwrap()
                .is_under("https://example.com")
        );
    }
}
