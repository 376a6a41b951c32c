//! Spam defences: a honeypot field and a signed form-render time that must be old enough.

use crate::domain::FormId;
use crate::records::SpamReason;
use crate::time::Timestamp;
use crate::tokens::{Keyring, Purpose};

/// The hidden field a person leaves empty and a bot fills in.
pub const HONEYPOT_FIELD: &str = "_gotcha";
/// The field that carries the token from `GET /api/forms/{form}/token`.
pub const RENDER_TOKEN_FIELD: &str = "_token";
/// How long a rendered form stays valid.
const RENDER_TOKEN_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// The answer of a `GET .../token` endpoint: the field to put the token in, the token, and the minimum time.
pub fn render_token_response(
    keys: &Keyring,
    form: &FormId,
    min_seconds: u32,
    now: Timestamp,
) -> http::Response<String> {
    #[derive(serde::Serialize)]
    struct RenderToken {
        field: &'static str,
        token: String,
        min_seconds: u32,
    }
    let token = issue_render_token(keys, form, now);
    crate::http::json_response(
        http::StatusCode::OK,
        &RenderToken {
            field: RENDER_TOKEN_FIELD,
            token,
            min_seconds,
        },
    )
}

/// A token recording when `form` was rendered: `{unix_ms}.{signature}`.
pub fn issue_render_token(keys: &Keyring, form: &FormId, now: Timestamp) -> String {
    let ms = now.unix_millis().to_string();
    let signature = keys.sign(
        Purpose::RenderToken,
        &[form.as_str().as_bytes(), ms.as_bytes()],
    );
    format!("{ms}.{signature}")
}

/// The spam verdict for a post: `None` for a person, else why it looks like a bot.
/// `min_seconds` of 0 turns the render-time check off for that form.
pub fn judge(
    keys: &Keyring,
    form: &FormId,
    honeypot: Option<&str>,
    render_token: Option<&str>,
    min_seconds: u32,
    now: Timestamp,
) -> Option<SpamReason> {
    if honeypot.is_some_and(|v| !v.trim().is_empty()) {
        return Some(SpamReason::Honeypot);
    }
    if min_seconds == 0 {
        return None;
    }
    let Some(token) = render_token.filter(|t| !t.is_empty()) else {
        return Some(SpamReason::MissingRenderToken);
    };
    let Some((ms, signature)) = token.split_once('.') else {
        return Some(SpamReason::InvalidRenderToken);
    };
    let valid = ms.parse::<i64>().is_ok()
        && keys.verify_any(
            Purpose::RenderToken,
            &[form.as_str().as_bytes(), ms.as_bytes()],
            signature,
        );
    if !valid {
        return Some(SpamReason::InvalidRenderToken);
    }
    let elapsed = now.unix_millis() - ms.parse::<i64>().unwrap_or_default();
    if elapsed > RENDER_TOKEN_LIFETIME_MS {
        return Some(SpamReason::ExpiredRenderToken);
    }
    if elapsed < i64::from(min_seconds) * 1000 {
        return Some(SpamReason::TooFast);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Keyring {
        Keyring::parse("0123456789abcdef0123456789abcdef").unwrap()
    }

    fn form() -> FormId {
        FormId::parse("contact").unwrap()
    }

    #[test]
    fn a_person_who_took_their_time_is_not_spam() {
        let t0 = Timestamp::from_unix_millis(1_000_000);
        let token = issue_render_token(&key(), &form(), t0);
        assert_eq!(
            judge(
                &key(),
                &form(),
                Some(""),
                Some(&token),
                3,
                t0.plus_seconds(5)
            ),
            None
        );
    }

    #[test]
    fn each_bot_signal_has_its_reason() {
        let t0 = Timestamp::from_unix_millis(1_000_000);
        let token = issue_render_token(&key(), &form(), t0);
        let other = FormId::parse("other").unwrap();
        let at = |s| t0.plus_seconds(s);
        assert_eq!(
            judge(&key(), &form(), Some("http://spam"), Some(&token), 3, at(5)),
            Some(SpamReason::Honeypot)
        );
        assert_eq!(
            judge(&key(), &form(), None, None, 3, at(5)),
            Some(SpamReason::MissingRenderToken)
        );
        assert_eq!(
            judge(&key(), &other, None, Some(&token), 3, at(5)),
            Some(SpamReason::InvalidRenderToken)
        );
        assert_eq!(
            judge(&key(), &form(), None, Some("1.abc"), 3, at(5)),
            Some(SpamReason::InvalidRenderToken)
        );
        assert_eq!(
            judge(&key(), &form(), None, Some(&token), 3, at(1)),
            Some(SpamReason::TooFast)
        );
        assert_eq!(
            judge(&key(), &form(), None, Some(&token), 3, at(90_000)),
            Some(SpamReason::ExpiredRenderToken)
        );
    }

    #[test]
    fn a_form_without_a_minimum_time_needs_no_token() {
        assert_eq!(
            judge(&key(), &form(), None, None, 0, Timestamp::now()),
            None
        );
    }
}
