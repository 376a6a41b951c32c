//! Property tests of the parsers at the edge: whatever a client sends, they answer a value or a named
//! refusal (never a panic), and what they write reads back the same.

use crate::body::{BodyRules, FieldReader, RawFields};
use crate::domain::{EmailAddress, PhoneNumber, Right, Rights, parse_bool};
use crate::links::{PrivacyLink, PrivacyLinkKind, UnsubscribeLink, UnsubscribeScope};
use crate::register::tiles::{Tile, TileKind, entries, push_entry};
use crate::register::{leaf, read_leaf};
use crate::store::Log;
use crate::time::Timestamp;
use crate::tokens::{Keyring, Purpose};
use proptest::prelude::*;

fn keys() -> Keyring {
    Keyring::parse("k1:0123456789abcdef0123456789abcdef").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_body_is_parsed_or_refused_never_a_panic(body in proptest::collection::vec(any::<u8>(), 0..512),
                                                     json in any::<bool>()) {
        let ct = if json { "application/json" } else { "application/x-www-form-urlencoded" };
        let rules = BodyRules::form().lists(&["rights"]).maps(&["changes"]);
        if let Ok((fields, _)) = RawFields::parse_as(Some(ct), &body, &rules) {
            let mut reader = FieldReader::new(fields);
            let _ = reader.optional("email", EmailAddress::parse);
            let _ = reader.list("rights", Right::parse);
            let _ = reader.map("changes", |_, raw| parse_bool(raw.unwrap_or_default()));
            let _ = reader.finish();
        }
    }

    #[test]
    fn a_form_body_reads_back_its_fields(pairs in proptest::collection::vec(("[a-z]{1,8}", "\\PC{0,40}"), 0..8)) {
        let mut unique: Vec<(String, String)> = Vec::new();
        for (k, v) in pairs {
            if !unique.iter().any(|(u, _)| *u == k) {
                unique.push((k, v));
            }
        }
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(&unique).finish();
        let (mut fields, _) = RawFields::parse(Some("application/x-www-form-urlencoded"), body.as_bytes()).unwrap();
        for (k, v) in &unique {
            let value = fields.take(k);
            prop_assert_eq!(value.as_deref(), Some(v.as_str()));
        }
    }

    #[test]
    fn emails_and_phones_parse_or_refuse_and_normalise_stably(raw in "\\PC{0,80}") {
        if let Ok(email) = EmailAddress::parse(&raw) {
            let again = EmailAddress::parse(email.as_str()).expect("a parsed address parses again");
            prop_assert_eq!(again.normalized(), email.normalized());
        }
        if let Ok(phone) = PhoneNumber::parse(&raw) {
            let again = PhoneNumber::parse(phone.as_str()).expect("an E.164 number parses again");
            prop_assert_eq!(again.as_str(), phone.as_str());
        }
        let _ = Right::parse(&raw);
    }

    #[test]
    fn rights_are_each_once_in_order(picks in proptest::collection::vec(0usize..6, 1..12)) {
        let rights = Rights::new(picks.iter().map(|i| Right::ALL[*i]).collect()).unwrap();
        prop_assert!(rights.as_slice().windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sealed_tokens_open_only_unchanged_and_for_their_purpose(payload in proptest::collection::vec(any::<u8>(), 0..200),
                                                               flip in any::<usize>()) {
        let token = keys().seal(Purpose::Confirm, &payload);
        prop_assert_eq!(keys().open(Purpose::Confirm, &token).unwrap(), payload);
        prop_assert!(keys().open(Purpose::Unsubscribe, &token).is_err());
        let mut bytes = token.into_bytes();
        let at = flip % bytes.len();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        prop_assert!(keys().open(Purpose::Confirm, &tampered).is_err());
    }

    #[test]
    fn links_round_trip_and_garbage_is_refused(id in "[A-Za-z0-9_-]{1,30}", ms in 0i64..4_102_444_800_000, junk in "\\PC{0,120}") {
        let link = PrivacyLink { request: id.clone(), expires_at: Timestamp::from_unix_millis(ms) };
        let token = link.seal(&keys(), PrivacyLinkKind::Verify);
        prop_assert_eq!(PrivacyLink::open(&keys(), &token, PrivacyLinkKind::Verify).unwrap(), link);
        let unsubscribe = UnsubscribeLink { pseudonym: id, scope: UnsubscribeScope::AllEmail };
        let token = unsubscribe.seal(&keys());
        prop_assert_eq!(UnsubscribeLink::open(&keys(), &token).unwrap(), unsubscribe);
        prop_assert!(PrivacyLink::open(&keys(), &junk, PrivacyLinkKind::Download).is_err());
        prop_assert!(UnsubscribeLink::open(&keys(), &junk).is_err());
    }

    #[test]
    fn tile_paths_round_trip_and_any_path_is_parsed_or_refused(level in 0u8..64, index in any::<u64>(), width in 1u64..=256,
                                                                junk in proptest::collection::vec("[0-9x.pentris]{0,6}", 0..6)) {
        let tile = Tile { kind: TileKind::Hashes(level), index, width };
        let path = tile.path();
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        prop_assert_eq!(Tile::parse(&segments), Some(tile));
        let junk: Vec<&str> = junk.iter().map(String::as_str).collect();
        let _ = Tile::parse(&junk);
    }

    #[test]
    fn bundles_and_leaves_read_back(items in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..20),
                                    seq in any::<u64>()) {
        let mut bundle = Vec::new();
        for item in &items {
            push_entry(&mut bundle, item);
        }
        let back: Vec<Vec<u8>> = entries(&bundle).unwrap().into_iter().map(<[u8]>::to_vec).collect();
        prop_assert_eq!(back, items.clone());
        let entry = br#"{"v":1}"#;
        let l = leaf(Log::Outbox, seq, entry);
        prop_assert_eq!(read_leaf(&l), Some((Log::Outbox, seq, &entry[..])));
        let _ = entries(&items.concat());
    }
}
