//! Reading request headers: the last value (Spin's own), the bearer token compared in constant time,
//! and whether the client prefers a page to JSON.

use http::{HeaderMap, header};

/// The last value of a header: Spin appends its own `spin-*` headers after any a client sent, so the
/// last one is Spin's.
pub fn last_header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(name)
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split_once(' ')
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        })
        .map(|(_, token)| token.trim())
}

/// Whether the request carries `Authorization: Bearer {expected}` (compared in constant time); with
/// nothing expected (an unset token variable), no request does.
pub fn bearer_is(headers: &HeaderMap, expected: &str) -> bool {
    !expected.is_empty() && bearer(headers).is_some_and(|token| constant_time_eq(token, expected))
}

/// Compares without an early exit, so the time taken says nothing about how much of a guess was right.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// Whether the client prefers an HTML answer (a browser's plain form post) over JSON.
pub fn prefers_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    accept.contains("text/html") && !accept.contains("application/json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn the_last_header_value_wins() {
        let mut headers = HeaderMap::new();
        headers.append("spin-client-addr", HeaderValue::from_static("6.6.6.6:1"));
        headers.append("spin-client-addr", HeaderValue::from_static("127.0.0.1:2"));
        assert_eq!(
            last_header(&headers, "spin-client-addr"),
            Some("127.0.0.1:2")
        );
    }
}
