//! Spam defences: a honeypot field, and a signed form-render token that must be old enough and used
//! once.

use crate::domain::FormId;
use crate::ids::new_id;
use crate::records::SpamReason;
use crate::store::OnceCheck;
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

/// A token recording when `form` was rendered: `{unix_ms}.{nonce}.{signature}`. The nonce makes each
/// token one of a kind, so that a token used twice is a replay, not two visitors who loaded the form in
/// the same millisecond.
pub fn issue_render_token(keys: &Keyring, form: &FormId, now: Timestamp) -> String {
    let ms = now.unix_millis().to_string();
    let nonce = new_id();
    let signature = keys.sign(
        Purpose::RenderToken,
        &[form.as_str().as_bytes(), ms.as_bytes(), nonce.as_bytes()],
    );
    format!("{ms}.{nonce}.{signature}")
}

/// The spam verdict for a post, and the use of its render token to count (once the token verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// `None` for a person, else why the post looks like a bot's.
    pub spam: Option<SpamReason>,
    /// The render token as a value to be used once, until it expires: a second use is a replay.
    pub once: Option<OnceCheck>,
}

/// Judges a post. `min_seconds` of 0 turns the render-token check off for that form.
pub fn judge(
    keys: &Keyring,
    form: &FormId,
    honeypot: Option<&str>,
    render_token: Option<&str>,
    min_seconds: u32,
    now: Timestamp,
) -> Verdict {
    let spam = |reason| Verdict {
        spam: Some(reason),
        once: None,
    };
    if honeypot.is_some_and(|v| !v.trim().is_empty()) {
        return spam(SpamReason::Honeypot);
    }
    if min_seconds == 0 {
        return Verdict {
            spam: None,
            once: None,
        };
    }
    let Some(token) = render_token.filter(|t| !t.is_empty()) else {
        return spam(SpamReason::MissingRenderToken);
    };
    let parts: Vec<&str> = token.split('.').collect();
    // A token issued before tokens had a nonce (`{unix_ms}.{signature}`) still counts until it expires.
    let (ms, nonce, signature) = match parts[..] {
        [ms, signature] => (ms, None, signature),
        [ms, nonce, signature] => (ms, Some(nonce), signature),
        _ => return spam(SpamReason::InvalidRenderToken),
    };
    let Ok(rendered) = ms.parse::<i64>() else {
        return spam(SpamReason::InvalidRenderToken);
    };
    let mut signed = vec![form.as_str().as_bytes(), ms.as_bytes()];
    signed.extend(nonce.map(str::as_bytes));
    if !keys.verify_any(Purpose::RenderToken, &signed, signature) {
        return spam(SpamReason::InvalidRenderToken);
    }
    let elapsed = now.unix_millis() - rendered;
    if elapsed > RENDER_TOKEN_LIFETIME_MS {
        return spam(SpamReason::ExpiredRenderToken);
    }
    let expires = rendered.saturating_add(RENDER_TOKEN_LIFETIME_MS);
    let once = OnceCheck {
        // The signature is a MAC over the token: unique to it, and no visitor can pick it.
        id: format!("render-token:{signature}"),
        at: now.unix_seconds(),
        until: Timestamp::from_unix_millis(expires).unix_seconds() + 1,
    };
    Verdict {
        spam: (elapsed < i64::from(min_seconds) * 1000).then_some(SpamReason::TooFast),
        once: Some(once),
    }
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
            )
            .spam,
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
            judge(&key(), &form(), Some("http://spam"), Some(&token), 3, at(5)).spam,
            Some(SpamReason::Honeypot)
        );
        assert_eq!(
            judge(&key(), &form(), None, None, 3, at(5)).spam,
            Some(SpamReason::MissingRenderToken)
        );
        assert_eq!(
            judge(&key(), &other, None, Some(&token), 3, at(5)).spam,
            Some(SpamReason::InvalidRenderToken)
        );
        assert_eq!(
            judge(&key(), &form(), None, Some("1.abc"), 3, at(5)).spam,
            Some(SpamReason::InvalidRenderToken)
        );
        assert_eq!(
            judge(&key(), &form(), None, Some(&token), 3, at(1)).spam,
            Some(SpamReason::TooFast)
        );
        assert_eq!(
            judge(&key(), &form(), None, Some(&token), 3, at(90_000)).spam,
            Some(SpamReason::ExpiredRenderToken)
        );
    }

    #[test]
    fn a_form_without_a_minimum_time_needs_no_token() {
        assert_eq!(
            judge(&key(), &form(), None, None, 0, Timestamp::now()),
            Verdict {
                spam: None,
                once: None
            }
        );
    }

    #[test]
    fn each_token_is_one_of_a_kind_and_its_use_is_counted_until_it_expires() {
        let t0 = Timestamp::from_unix_millis(1_000_000);
        let (a, b) = (
            issue_render_token(&key(), &form(), t0),
            issue_render_token(&key(), &form(), t0),
        );
        assert_ne!(a, b, "rendered in the same millisecond, yet apart");
        let at = t0.plus_seconds(5);
        let once = |token: &str| {
            judge(&key(), &form(), None, Some(token), 3, at)
                .once
                .unwrap()
        };
        assert_eq!(once(&a), once(&a));
        assert_ne!(once(&a).id, once(&b).id);
        assert_eq!(once(&a).at, 1_005);
        assert_eq!(once(&a).until, 1_000 + 24 * 3600 + 1);
        // Too fast is spam, yet the token was used.
        assert!(judge(&key(), &form(), None, Some(&a), 3, t0).once.is_some());
        for spam in [None, Some("1.abc"), Some("1.a.b.c")] {
            assert_eq!(judge(&key(), &form(), None, spam, 3, at).once, None);
        }
    }

    #[test]
    fn a_token_issued_before_tokens_had_a_nonce_still_counts() {
        let t0 = Timestamp::from_unix_millis(1_000_000);
        let ms = t0.unix_millis().to_string();
        let signature = key().sign(
            Purpose::RenderToken,
            &[form().as_str().as_bytes(), ms.as_bytes()],
        );
        let verdict = judge(
            &key(),
            &form(),
            None,
            Some(&format!("{ms}.{signature}")),
            3,
            t0.plus_seconds(5),
        );
        assert_eq!(verdict.spam, None);
        assert!(verdict.once.is_some());
    }
}
