//! Signatures and signed tokens: HMAC-SHA256 under the app's keyring, separated by purpose so that a value
//! signed for one use never verifies for another, and tagged with a key id so that keys can rotate.

use crate::domain::Invalid;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a signature is for; part of the signed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The time a form was rendered (spam defence).
    RenderToken,
    /// The rate-limit bucket of a client address (keeps raw IPs out of keys).
    RateLimitKey,
    /// A newsletter confirmation link.
    Confirm,
    /// An unsubscribe / opt-out link.
    Unsubscribe,
    /// The pseudonym of an email address or phone number (do-not-contact registry).
    Pseudonym,
    /// A data-subject request's verification / status link.
    PrivacyVerify,
    /// A data-subject request's access-package download link.
    PrivacyDownload,
    /// The objection link of an Art. 14 notice.
    Object,
    /// A privacy desk session (its cookie).
    DeskSession,
    /// A privacy desk form's CSRF token.
    DeskCsrf,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::RenderToken => b"render-token",
            Self::RateLimitKey => b"rate-limit-key",
            Self::Confirm => b"confirm",
            Self::Unsubscribe => b"unsubscribe",
            Self::Pseudonym => b"pseudonym",
            Self::PrivacyVerify => b"privacy-verify",
            Self::PrivacyDownload => b"privacy-download",
            Self::Object => b"object",
            Self::DeskSession => b"desk-session",
            Self::DeskCsrf => b"desk-csrf",
        }
    }
}

/// One secret key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// At least 32 bytes of secret, e.g. `openssl rand -hex 32`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        if raw.len() < 32 {
            return Err(Invalid::new(
                "weak_key",
                "a key must be at least 32 characters",
            ));
        }
        Ok(Self(raw.as_bytes().to_vec()))
    }

    fn mac(&self, purpose: Purpose, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(purpose.label());
        for part in parts {
            // Length-prefix each part so that ("ab","c") and ("a","bc") sign differently.
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        mac
    }

    /// The signature of `parts` for `purpose`, URL-safe base64.
    pub fn sign(&self, purpose: Purpose, parts: &[&[u8]]) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, parts).finalize().into_bytes())
    }

    /// The stable pseudonym of a normalised email address or E.164 phone number under this key (the
    /// suppression key): what the do-not-contact registry and other person-keyed entries store instead
    /// of the value itself.
    pub fn pseudonym(&self, value: &str) -> String {
        self.sign(Purpose::Pseudonym, &[value.as_bytes()])
    }

    /// Checks a signature made by [`SigningKey::sign`], in constant time.
    pub fn verify(&self, purpose: Purpose, parts: &[&[u8]], signature: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        self.mac(purpose, parts).verify_slice(&bytes).is_ok()
    }
}

/// The app's signing keys from the `signing_key` variable: `id:secret` pairs, comma-separated, the first
/// signing and all verifying (rotate by putting a new key first and dropping the old one once its tokens
/// may expire). A bare secret is the key with id `0`.
#[derive(Debug, Clone)]
pub struct Keyring {
    keys: Vec<(String, SigningKey)>,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not of the shape `kid.payload.signature`, or a payload that does not decode.
    Malformed,
    /// Signed with a key id the keyring does not have (retired or never ours).
    UnknownKey,
    /// The signature does not match: forged, truncated or tampered.
    BadSignature,
}

impl Keyring {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let mut keys = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, secret) = match entry.split_once(':') {
                Some((id, secret))
                    if !id.is_empty()
                        && id.len() <= 16
                        && id.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                {
                    (id.to_owned(), secret)
                }
                _ => ("0".to_owned(), entry),
            };
            if keys.iter().any(|(k, _)| *k == id) {
                return Err(Invalid::new(
                    "duplicate_key_id",
                    format!("key id {id:?} appears twice"),
                ));
            }
            keys.push((id, SigningKey::parse(secret)?));
        }
        if keys.is_empty() {
            return Err(Invalid::new("empty", "at least one key is needed"));
        }
        Ok(Self { keys })
    }

    /// The key that signs.
    pub fn current(&self) -> &SigningKey {
        &self.keys[0].1
    }

    /// Signs with the current key.
    pub fn sign(&self, purpose: Purpose, parts: &[&[u8]]) -> String {
        self.current().sign(purpose, parts)
    }

    /// Verifies a signature made by any key of the ring (for signatures that carry no key id).
    pub fn verify_any(&self, purpose: Purpose, parts: &[&[u8]], signature: &str) -> bool {
        self.keys
            .iter()
            .any(|(_, key)| key.verify(purpose, parts, signature))
    }

    /// A token carrying `payload` (not secret, only authenticated): `kid.payload.signature`.
    pub fn seal(&self, purpose: Purpose, payload: &[u8]) -> String {
        let (id, key) = &self.keys[0];
        let payload = URL_SAFE_NO_PAD.encode(payload);
        let signature = key.sign(purpose, &[id.as_bytes(), payload.as_bytes()]);
        format!("{id}.{payload}.{signature}")
    }

    /// The payload of a token made by [`Keyring::seal`] for `purpose`.
    pub fn open(&self, purpose: Purpose, token: &str) -> Result<Vec<u8>, TokenError> {
        let mut parts = token.split('.');
        let (Some(id), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let key = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, key)| key)
            .ok_or(TokenError::UnknownKey)?;
        if !key.verify(purpose, &[id.as_bytes(), payload.as_bytes()], signature) {
            return Err(TokenError::BadSignature);
        }
        URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::parse("0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_signature_verifies_only_for_its_purpose_and_parts() {
        let sig = key().sign(Purpose::RenderToken, &[b"contact", b"1000"]);
        assert!(key().verify(Purpose::RenderToken, &[b"contact", b"1000"], &sig));
        assert!(!key().verify(Purpose::RateLimitKey, &[b"contact", b"1000"], &sig));
        assert!(!key().verify(Purpose::RenderToken, &[b"contac", b"t1000"], &sig));
        assert!(!key().verify(Purpose::RenderToken, &[b"contact", b"1000"], "garbage"));
    }

    #[test]
    fn short_keys_are_refused_and_keys_are_never_printed() {
        assert!(SigningKey::parse("short").is_err());
        assert!(!format!("{:?}", key()).contains("0123"));
        let ring = Keyring::parse("k1:0123456789abcdef0123456789abcdef").unwrap();
        assert!(!format!("{ring:?}").contains("0123"));
    }

    #[test]
    fn a_sealed_token_opens_only_with_its_purpose_and_untouched() {
        let ring = Keyring::parse("k2:0123456789abcdef0123456789abcdef").unwrap();
        let token = ring.seal(Purpose::Confirm, b"subscriber-1");
        assert_eq!(
            ring.open(Purpose::Confirm, &token).unwrap(),
            b"subscriber-1"
        );
        assert_eq!(
            ring.open(Purpose::Unsubscribe, &token),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            ring.open(Purpose::Confirm, &token[..token.len() - 2]),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            ring.open(Purpose::Confirm, "k2.abc"),
            Err(TokenError::Malformed)
        );
        let tampered = token.replacen(".", ".A", 1);
        assert!(ring.open(Purpose::Confirm, &tampered).is_err());
    }

    #[test]
    fn rotated_keys_still_open_old_tokens_and_retired_keys_do_not() {
        let old = Keyring::parse("old:0123456789abcdef0123456789abcdef").unwrap();
        let token = old.seal(Purpose::Unsubscribe, b"x");
        let rotated = Keyring::parse(
            "new:fedcba9876543210fedcba9876543210, old:0123456789abcdef0123456789abcdef",
        )
        .unwrap();
        assert_eq!(rotated.open(Purpose::Unsubscribe, &token).unwrap(), b"x");
        assert!(rotated.seal(Purpose::Unsubscribe, b"x").starts_with("new."));
        let retired = Keyring::parse("new:fedcba9876543210fedcba9876543210").unwrap();
        assert_eq!(
            retired.open(Purpose::Unsubscribe, &token),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn a_bare_secret_is_key_zero() {
        let ring = Keyring::parse("0123456789abcdef0123456789abcdef").unwrap();
        assert!(ring.seal(Purpose::Confirm, b"x").starts_with("0."));
    }
}
