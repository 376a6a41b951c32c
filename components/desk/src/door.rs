//! Who is at the desk: the officer a session cookie names (its seal sound, its 8 hours not over, its
//! API key neither revoked nor expired and still holding `privacy:read`, no sign-out of the key since it
//! began), and whether a post may come in (its `Origin`, its CSRF token).

use crate::config::DeskConfig;
use crate::page::Signed;
use http::{HeaderMap, header};
use shared::http::{ApiError, last_header};
use shared::records::{Action, Actor, ApiKey, Event, Log};
use shared::staff::keys::{PRIVACY_READ, actor, has, usable};
use shared::staff::session::{CookieJar, DeskSession};
use shared::store::{Backend, Store};
use shared::time::Timestamp;

/// A signed-in officer.
pub struct Officer {
    pub key: ApiKey,
    pub session: DeskSession,
    csrf: String,
}

impl Officer {
    /// What the page frame shows and every form carries.
    pub fn signed(&self) -> Signed<'_> {
        Signed {
            key_name: &self.key.name,
            csrf: &self.csrf,
        }
    }

    /// The register's actor.
    pub fn actor(&self) -> Actor {
        actor(&self.key)
    }

    /// 403 unless the post carries this session's CSRF token.
    pub fn check_csrf(&self, config: &DeskConfig, token: Option<&str>) -> Result<(), ApiError> {
        match token {
            Some(token) if self.session.csrf_ok(&config.privacy.keys, token) => Ok(()),
            _ => Err(ApiError::InvalidCsrf),
        }
    }
}

/// The cookie jar of this request's URL (Spin's `spin-full-url`) and the app's public address.
pub fn jar(headers: &HeaderMap, config: &DeskConfig) -> CookieJar {
    CookieJar::for_url(
        last_header(headers, "spin-full-url"),
        &config.privacy.public_base_url,
    )
}

/// The officer the request's session names, or `None` (no cookie, or one that no longer opens the
/// desk). The key's use is noted, as the marketing API notes it.
pub async fn officer<B: Backend>(
    headers: &HeaderMap,
    config: &DeskConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Option<Officer>, ApiError> {
    let Some(value) = jar(headers, config).read(headers) else {
        return Ok(None);
    };
    let Some(session) = DeskSession::open(&config.privacy.keys, value, now) else {
        return Ok(None);
    };
    let (key, signed_out) = store.desk_key(session.key_id()).await?;
    let Some(key) = key.filter(|k| usable(k, now) && has(k, PRIVACY_READ)) else {
        return Ok(None);
    };
    if signed_out.is_some_and(|at| session.began_at() <= at) {
        return Ok(None);
    }
    store.touch_api_key(&key.id, now).await?;
    let csrf = session.csrf(&config.privacy.keys);
    Ok(Some(Officer { key, session, csrf }))
}

/// 403 for a post that does not come from the app's own pages: its `Origin` must be this request's own
/// origin, `public_base_url`'s, or one of `allowed_origins`; `null` (sent from a `no-referrer` page)
/// only with `Sec-Fetch-Site: same-origin`. A post without `Origin` is refused too: every browser sends
/// one with a form post.
pub fn check_origin(headers: &HeaderMap, config: &DeskConfig) -> Result<(), ApiError> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let own = last_header(headers, "spin-full-url").map(origin_of);
    let allowed = match origin {
        Some("null") => last_header(headers, "sec-fetch-site") == Some("same-origin"),
        Some(origin) => {
            own.as_deref() == Some(origin)
                || origin_of(&config.privacy.public_base_url) == origin
                || config.capture.origin_allowed(origin)
        }
        None => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::ForbiddenOrigin)
    }
}

/// `scheme://host[:port]` of a URL as a browser's `Origin` spells it (lower case, no default port).
fn origin_of(url: &str) -> String {
    let Some((scheme, rest)) = url.trim().split_once("://") else {
        return String::new();
    };
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.to_ascii_lowercase();
    let authority = match scheme.as_str() {
        "http" => authority.strip_suffix(":80").unwrap_or(&authority),
        "https" => authority.strip_suffix(":443").unwrap_or(&authority),
        _ => &authority,
    };
    format!("{scheme}://{authority}")
}

/// Registers `error`, the refusal of the officer's request `what` (a wrong CSRF token, a missing scope,
/// a stale ETag, an unknown request), as every keyed request's refusal is. A post from another origin
/// is not the officer's doing and is not registered.
pub async fn note_refusal<B: Backend>(
    officer: &Officer,
    store: &Store<B>,
    what: &str,
    error: &ApiError,
    now: Timestamp,
) {
    if matches!(error, ApiError::ForbiddenOrigin) {
        return;
    }
    let detail = format!("{what} {}", error.code());
    let noted = store
        .note_many(entry(officer.actor(), Action::Refused, detail, now))
        .await;
    if let Err(cause) = noted {
        shared::log_line!("could not register a refused desk request: {cause}");
    }
}

/// `result`, its refusal registered ([`note_refusal`]).
pub async fn registered<B: Backend, T>(
    officer: &Officer,
    store: &Store<B>,
    what: &str,
    now: Timestamp,
    result: Result<T, ApiError>,
) -> Result<T, ApiError> {
    if let Err(error) = &result {
        note_refusal(officer, store, what, error, now).await;
    }
    result
}

/// The register entry of a desk event in the `access` log.
pub fn entry(actor: Actor, action: Action, detail: String, now: Timestamp) -> Event {
    Event::by(actor, Log::Access, action, Some(detail), now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_the_scheme_and_authority_as_browsers_write_it() {
        assert_eq!(
            origin_of("http://127.0.0.1:3000/desk/sign-in?x=1"),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            origin_of("HTTPS://Capture.Example.com:443/desk"),
            "https://capture.example.com"
        );
        assert_eq!(origin_of("https://example.com"), "https://example.com");
        assert_eq!(origin_of("nonsense"), "");
    }
}
