//! The processing register as a transparency log: every entry of every log becomes a leaf of one RFC 6962
//! Merkle tree, stored as C2SP tlog-tiles with a signed checkpoint, so that any standard client can check
//! that nothing in it was changed, removed, reordered or inserted. The sealing job and the stored tiles
//! are in [`crate::store`] (`register.rs`), the job that seals them in `crate::jobs::register`; this module holds the formats.
//!
//! A leaf is `{"log":"<log>","seq":<n>,"entry":<the stored entry, byte for byte>}`: entries name records
//! by id and people by pseudonym, never by address, so an erasure never has to touch the tree.

pub mod merkle;
pub mod note;
pub mod replay;
pub mod tiles;

use crate::records::Log;

/// The leaf that seals entry `seq` of `log`, whose stored bytes are `entry`.
pub fn leaf(log: Log, seq: u64, entry: &[u8]) -> Vec<u8> {
    let mut out = format!("{{\"log\":\"{}\",\"seq\":{seq},\"entry\":", log.as_str()).into_bytes();
    out.extend_from_slice(entry);
    out.push(b'}');
    out
}

/// The log and sequence number a leaf names, and its entry's bytes; `None` if it is not a leaf of ours.
pub fn read_leaf(leaf: &[u8]) -> Option<(Log, u64, &[u8])> {
    let rest = leaf.strip_prefix(b"{\"log\":\"")?;
    let end = rest.iter().position(|b| *b == b'"')?;
    let log = Log::parse(std::str::from_utf8(&rest[..end]).ok()?)?;
    let rest = rest[end..].strip_prefix(b"\",\"seq\":")?;
    let comma = rest.iter().position(|b| *b == b',')?;
    let seq = std::str::from_utf8(&rest[..comma]).ok()?.parse().ok()?;
    let entry = rest[comma..]
        .strip_prefix(b",\"entry\":")?
        .strip_suffix(b"}")?;
    Some((log, seq, entry))
}

/// The register's signer from the `register_signing_key` variable (64 hex characters) under the origin
/// of `public_base_url`; `None` while the variable is empty.
pub fn signer(seed: &str, public_base_url: &str) -> anyhow::Result<Option<note::NoteSigner>> {
    match seed.trim() {
        "" => Ok(None),
        seed => note::NoteSigner::from_hex_seed(&origin(public_base_url), seed)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("variable register_signing_key: {e}")),
    }
}

/// The register's origin: `{host of public_base_url}/register`.
pub fn origin(public_base_url: &str) -> String {
    let host = public_base_url
        .split("://")
        .nth(1)
        .unwrap_or(public_base_url)
        .trim_end_matches('/');
    format!("{host}/register")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaf_names_its_entry_and_keeps_its_bytes() {
        let entry = br#"{"v":1,"seq":3,"action":"captured"}"#;
        let leaf = leaf(Log::Submissions, 3, entry);
        assert_eq!(
            std::str::from_utf8(&leaf).unwrap(),
            r#"{"log":"submissions","seq":3,"entry":{"v":1,"seq":3,"action":"captured"}}"#
        );
        let parsed: serde_json::Value = serde_json::from_slice(&leaf).unwrap();
        assert_eq!(parsed["entry"]["action"], "captured");
        assert_eq!(read_leaf(&leaf), Some((Log::Submissions, 3, &entry[..])));
        assert_eq!(
            origin("https://capture.example.com/"),
            "capture.example.com/register"
        );
    }
}
