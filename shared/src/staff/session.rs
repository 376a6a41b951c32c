//! The privacy desk's session: a sealed cookie naming the API key it was made from and when, valid for
//! [`SESSION_HOURS`] and only while that key stays usable and no sign-out of the key came after it; and
//! the CSRF token bound to it (one per session, so a page left open stays postable until its ETag is
//! stale). The key itself never reaches the browser.

use crate::ids::{is_id, new_id};
use crate::time::Timestamp;
use crate::tokens::{Keyring, Purpose};
use http::HeaderMap;
use serde::{Deserialize, Serialize};

/// How long a session lasts at most.
pub const SESSION_HOURS: i64 = 8;

/// One desk session (the cookie's sealed payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskSession {
    /// The session's own id (what its CSRF token signs).
    sid: String,
    /// The API key the officer signed in with.
    key: String,
    /// When it began.
    at: Timestamp,
}

impl DeskSession {
    /// A new session for the key `key_id`, beginning `now`.
    pub fn begin(key_id: &str, now: Timestamp) -> Self {
        Self {
            sid: new_id(),
            key: key_id.to_owned(),
            at: now,
        }
    }

    /// The cookie's value.
    pub fn seal(&self, keys: &Keyring) -> String {
        let payload = serde_json::to_vec(self).unwrap_or_default();
        keys.seal(Purpose::DeskSession, &payload)
    }

    /// The session a cookie value holds, if its seal is sound and it has not run out by `now`.
    pub fn open(keys: &Keyring, value: &str, now: Timestamp) -> Option<Self> {
        let payload = keys.open(Purpose::DeskSession, value).ok()?;
        let session: Self = serde_json::from_slice(&payload).ok()?;
        (is_id(&session.sid) && session.at <= now.plus_seconds(60) && now < session.expires_at())
            .then_some(session)
    }

    /// The API key's id.
    pub fn key_id(&self) -> &str {
        &self.key
    }

    pub fn began_at(&self) -> Timestamp {
        self.at
    }

    pub fn expires_at(&self) -> Timestamp {
        self.at.plus_seconds(SESSION_HOURS * 3600)
    }

    /// Seconds left at `now` (the cookie's `Max-Age`).
    pub fn seconds_left(&self, now: Timestamp) -> i64 {
        ((self.expires_at().unix_millis() - now.unix_millis()) / 1000).max(0)
    }

    /// The CSRF token of every form of this session.
    pub fn csrf(&self, keys: &Keyring) -> String {
        keys.sign(Purpose::DeskCsrf, &[self.sid.as_bytes()])
    }

    /// Whether `token` is this session's CSRF token (under any key of the ring).
    pub fn csrf_ok(&self, keys: &Keyring, token: &str) -> bool {
        keys.verify_any(Purpose::DeskCsrf, &[self.sid.as_bytes()], token)
    }
}

/// How the cookie is named and flagged. Over plain http on the loopback (`http://127.0.0.1`,
/// `localhost`, `[::1]`) a browser drops `Secure` cookies and `__Host-` names, so there, and only while
/// `public_base_url` is not https, it is `desk_session` without `Secure`; everywhere else
/// `__Host-desk_session`, `Secure`. (A TLS proxy that forwards to `127.0.0.1` with its own `Host` makes
/// the request's URL a loopback one: the https `public_base_url` of such a deployment keeps it `Secure`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieJar {
    secure: bool,
}

impl CookieJar {
    /// The jar for a request made to `url` (Spin's `spin-full-url`) of an app whose public address is
    /// `public_base_url`; an unreadable or absent URL is treated as a public one (`Secure`).
    pub fn for_url(url: Option<&str>, public_base_url: &str) -> Self {
        let local = url.is_some_and(loopback_http) && public_base_url.trim().starts_with("http://");
        Self { secure: !local }
    }

    /// The cookie's name.
    pub fn name(&self) -> &'static str {
        if self.secure {
            "__Host-desk_session"
        } else {
            "desk_session"
        }
    }

    /// `Set-Cookie` for `value`, living `max_age` seconds.
    pub fn set(&self, value: &str, max_age: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
            self.name()
        )
    }

    /// `Set-Cookie` that removes the cookie.
    pub fn clear(&self) -> String {
        self.set("", 0)
    }

    /// The cookie's value in a request's `Cookie` headers.
    pub fn read<'h>(&self, headers: &'h HeaderMap) -> Option<&'h str> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.name())
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }
}

/// Whether `url` is plain http to the loopback.
fn loopback_http(url: &str) -> bool {
    let Some(rest) = url.trim().strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    matches!(
        host.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "::1"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keyring {
        Keyring::parse("k1:0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_session_opens_until_it_runs_out_and_never_under_another_key() {
        let now = Timestamp::from_unix_millis(1_800_000_000_000);
        let session = DeskSession::begin("AAAAAAAAAAAAAAAAAAAAAA", now);
        let sealed = session.seal(&keys());
        assert_eq!(
            DeskSession::open(&keys(), &sealed, now),
            Some(session.clone())
        );
        let late = now.plus_seconds(SESSION_HOURS * 3600);
        assert_eq!(DeskSession::open(&keys(), &sealed, late), None);
        let other = Keyring::parse("k1:fedcba9876543210fedcba9876543210").unwrap();
        assert_eq!(DeskSession::open(&other, &sealed, now), None);
        let mut forged = sealed.clone();
        forged.insert(5, 'x');
        assert_eq!(DeskSession::open(&keys(), &forged, now), None);
        assert_eq!(session.seconds_left(now), SESSION_HOURS * 3600);
    }

    #[test]
    fn a_csrf_token_belongs_to_its_session_alone() {
        let now = Timestamp::from_unix_millis(1_800_000_000_000);
        let one = DeskSession::begin("AAAAAAAAAAAAAAAAAAAAAA", now);
        let two = DeskSession::begin("AAAAAAAAAAAAAAAAAAAAAA", now);
        let token = one.csrf(&keys());
        assert!(one.csrf_ok(&keys(), &token));
        assert!(!two.csrf_ok(&keys(), &token));
        assert!(!one.csrf_ok(&keys(), ""));
    }

    #[test]
    fn the_cookie_is_secure_except_over_plain_http_on_the_loopback() {
        for local in [
            "http://127.0.0.1:3000/desk",
            "http://localhost/desk",
            "http://[::1]:8080/desk",
        ] {
            let jar = CookieJar::for_url(Some(local), "http://127.0.0.1:3000");
            assert_eq!(jar.name(), "desk_session", "{local}");
            assert!(!jar.set("v", 1).contains("Secure"), "{local}");
        }
        for public in [
            "https://127.0.0.1/desk",
            "http://capture.example.com/desk",
            "http://127.0.0.1.example.com/desk",
        ] {
            let jar = CookieJar::for_url(Some(public), "http://127.0.0.1:3000");
            assert_eq!(jar.name(), "__Host-desk_session", "{public}");
            assert!(jar.set("v", 1).ends_with("; Secure"), "{public}");
        }
        // Behind a TLS proxy that forwards to the loopback: the public address says https.
        let proxied = CookieJar::for_url(
            Some("http://127.0.0.1:3000/desk"),
            "https://capture.example.com",
        );
        assert_eq!(proxied.name(), "__Host-desk_session");
        let jar = CookieJar::for_url(None, "http://127.0.0.1:3000");
        assert!(jar.set("v", 60).contains("HttpOnly; SameSite=Strict"));
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "a=1; __Host-desk_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(jar.read(&headers), Some("xyz"));
        let local = CookieJar::for_url(Some("http://localhost/"), "http://localhost/");
        assert_eq!(local.read(&headers), None);
    }
}
