//! Unguessable identifiers for records (receipt ids, consent ids): 128 random bits, URL-safe.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// 16 random bytes from the host's CSPRNG as 22 URL-safe base64 characters.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the host provides randomness");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// True when `raw` has the shape of an id made by [`new_id`].
pub fn is_id(raw: &str) -> bool {
    raw.len() == 22
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe_unique_and_recognised() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert!(is_id(&a) && is_id(&b));
        assert!(!is_id("../../etc/passwd"));
    }
}
