//! Signatures: HMAC-SHA256 under the application's signing key, separated by purpose so that a value
//! signed for one use never verifies for another.

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
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::RenderToken => b"render-token",
            Self::RateLimitKey => b"rate-limit-key",
        }
    }
}

/// The secret key from the `signing_key` Spin variable. Its `Debug` never shows the key.
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
                "the signing key must be at least 32 characters",
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

    /// Checks a signature made by [`SigningKey::sign`], in constant time.
    pub fn verify(&self, purpose: Purpose, parts: &[&[u8]], signature: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        self.mac(purpose, parts).verify_slice(&bytes).is_ok()
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
    }
}
