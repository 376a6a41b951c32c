//! Checkpoints (C2SP tlog-checkpoint: `origin\nsize\nbase64(root)\n`) signed as C2SP signed notes with
//! Ed25519: a signature line `— {name} base64(key hash ‖ signature)`, where the key hash is the first four
//! bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key); the verifier key reads
//! `{name}+{hex key hash}+base64(0x01 ‖ public key)`.

use super::merkle::Hash;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// A tree head: how many leaves, and their root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The checkpoint's text (the signed body of the note).
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    fn parse(text: &str) -> Option<Self> {
        let mut lines = text.strip_suffix('\n')?.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty())?.to_owned();
        let size = lines.next()?.parse().ok()?;
        let root = STANDARD.decode(lines.next()?).ok()?.try_into().ok()?;
        // Extension lines may follow; this log writes none.
        Some(Self { origin, size, root })
    }
}

/// The log's signing key: an Ed25519 seed and the name signatures carry (the origin).
pub struct NoteSigner {
    name: String,
    key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NoteSigner({})", self.name)
    }
}

fn key_hash(name: &str, public: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n\x01");
    h.update(public.as_bytes());
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

impl NoteSigner {
    /// From 64 hex characters (the 32-byte seed).
    pub fn from_hex_seed(name: &str, hex: &str) -> Result<Self, &'static str> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("must be 64 hex characters (a 32-byte Ed25519 seed)");
        }
        let mut seed = [0u8; 32];
        for (i, byte) in seed.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| "not hex")?;
        }
        if name.is_empty() || name.contains(['+', ' ', '\n']) {
            return Err("the note name must be one word without '+'");
        }
        Ok(Self {
            name: name.to_owned(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The verifier key clients configure: `{name}+{key hash}+{base64(0x01 ‖ public key)}`.
    pub fn verifier_key(&self) -> String {
        let public = self.key.verifying_key();
        let hash: String = key_hash(&self.name, &public)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut typed = vec![1u8];
        typed.extend_from_slice(public.as_bytes());
        format!("{}+{hash}+{}", self.name, STANDARD.encode(typed))
    }

    /// The signed note of `checkpoint`.
    pub fn sign(&self, checkpoint: &Checkpoint) -> String {
        let text = checkpoint.text();
        let signature = self.key.sign(text.as_bytes());
        let mut blob = key_hash(&self.name, &self.key.verifying_key()).to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        format!("{text}\n\u{2014} {} {}\n", self.name, STANDARD.encode(blob))
    }
}

/// Why a note was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteError {
    Malformed,
    BadVerifierKey,
    NoSignatureByThisKey,
    BadSignature,
}

/// Checks `note` against `verifier` (a verifier key string) and answers its checkpoint.
pub fn verify(note: &str, verifier: &str) -> Result<Checkpoint, NoteError> {
    let mut parts = verifier.splitn(3, '+');
    let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::BadVerifierKey);
    };
    let key = STANDARD
        .decode(key)
        .map_err(|_| NoteError::BadVerifierKey)?;
    let (Some(1), Ok(public)) = (key.first(), <[u8; 32]>::try_from(&key[1.min(key.len())..]))
    else {
        return Err(NoteError::BadVerifierKey);
    };
    let public = VerifyingKey::from_bytes(&public).map_err(|_| NoteError::BadVerifierKey)?;
    let expected_hash = key_hash(name, &public);
    let hash_hex: String = expected_hash.iter().map(|b| format!("{b:02x}")).collect();
    if hash_hex != hash {
        return Err(NoteError::BadVerifierKey);
    }
    let (text, signatures) = note.split_once("\n\n").ok_or(NoteError::Malformed)?;
    let text = format!("{text}\n");
    let prefix = format!("\u{2014} {name} ");
    let mut found = false;
    for line in signatures.lines() {
        let Some(blob) = line.strip_prefix(&prefix) else {
            continue;
        };
        let blob = STANDARD.decode(blob).map_err(|_| NoteError::Malformed)?;
        if blob.len() != 68 || blob[..4] != expected_hash {
            continue;
        }
        found = true;
        let signature =
            Signature::from_bytes(blob[4..].try_into().map_err(|_| NoteError::Malformed)?);
        public
            .verify(text.as_bytes(), &signature)
            .map_err(|_| NoteError::BadSignature)?;
    }
    if !found {
        return Err(NoteError::NoSignatureByThisKey);
    }
    Checkpoint::parse(&text).ok_or(NoteError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_checkpoint_verifies_and_any_change_is_refused() {
        let signer = NoteSigner::from_hex_seed("example.com/register", SEED).unwrap();
        let checkpoint = Checkpoint {
            origin: "example.com/register".into(),
            size: 8,
            root: [7; 32],
        };
        let note = signer.sign(&checkpoint);
        assert!(note.starts_with("example.com/register\n8\n"));
        let key = signer.verifier_key();
        assert!(key.starts_with("example.com/register+"));
        assert_eq!(verify(&note, &key), Ok(checkpoint));
        let tampered = note.replacen("\n8\n", "\n9\n", 1);
        assert_eq!(verify(&tampered, &key), Err(NoteError::BadSignature));
        let other = NoteSigner::from_hex_seed("example.com/register", &"ab".repeat(32)).unwrap();
        assert_eq!(
            verify(&note, &other.verifier_key()),
            Err(NoteError::NoSignatureByThisKey)
        );
        assert!(NoteSigner::from_hex_seed("x", "abc").is_err());
    }
}
