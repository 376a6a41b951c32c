//! Unit tests of `shared::geo` against the embedded table (DB-IP Country Lite 2026-06; the expected
//! countries are what that data says — check with `geo-table --show IP` after regenerating).

use super::*;

fn country(ip: &str) -> Option<String> {
    lookup(ip.parse().expect("test address")).map(|l| l.country().to_owned())
}

#[test]
fn table_parses_and_names_its_source() {
    let t = Table::parse(TABLE_BYTES).expect("embedded table");
    let [v4, v6, v6_split, locations] = t.counts();
    assert!(
        v4 > 100_000 && v6 > 100_000 && v6_split > 0 && locations > 200,
        "{:?}",
        t.counts()
    );
    assert!(!t.has_region() && !t.has_city());
    assert!(
        data_source().contains("https://db-ip.com"),
        "{}",
        data_source()
    );
}

#[test]
fn public_resolvers() {
    assert_eq!(country("8.8.8.8").as_deref(), Some("US")); // Google DNS
    // DB-IP places Google's and Cloudflare's IPv6 resolvers in Canada.
    assert_eq!(country("2001:4860:4860::8888").as_deref(), Some("CA"));
    assert_eq!(country("1.1.1.1").as_deref(), Some("AU")); // Cloudflare
    assert_eq!(country("2606:4700:4700::1111").as_deref(), Some("CA"));
    assert_eq!(country("9.9.9.9").as_deref(), Some("US")); // Quad9
    assert_eq!(country("2620:fe::fe").as_deref(), Some("US"));
}

#[test]
fn german_and_dutch_addresses() {
    // Deutsche Telekom (80.128.0.0/11, 2003::/19).
    for ip in ["80.128.0.1", "2003:e0::1"] {
        let l = lookup(ip.parse().unwrap()).expect(ip);
        assert_eq!(l.country(), "DE", "{ip}");
        assert_eq!(l.country_code(), *b"DE");
        assert_eq!((l.region(), l.city()), (None, None), "country-only table");
    }
    // RIPE NCC, Amsterdam; 145.53.0.0/16 and 2a02:a400::/26 are Dutch access networks.
    for ip in ["193.0.6.139", "145.53.0.1", "2a02:a400::1"] {
        assert_eq!(country(ip).as_deref(), Some("NL"), "{ip}");
    }
}

#[test]
fn ipv4_mapped_ipv6_is_looked_up_as_ipv4() {
    assert_eq!(country("::ffff:8.8.8.8").as_deref(), Some("US"));
    assert_eq!(country("::ffff:10.0.0.1"), None);
}

#[test]
fn a_split_64_resolves_exactly() {
    // DB-IP splits this /64 (2001:550:0:1000::/64) at 2001:550:0:1000::9a18:1074/126.
    assert_eq!(country("2001:550:0:1000::9a18:1073").as_deref(), Some("US"));
    assert_eq!(country("2001:550:0:1000::9a18:1074").as_deref(), Some("AU"));
}

#[test]
fn special_purpose_addresses_are_none() {
    for ip in [
        "0.0.0.0",
        "10.1.2.3",
        "100.64.0.1",
        "127.0.0.1",
        "169.254.1.1",
        "172.16.5.4",
        "172.31.255.255",
        "192.0.2.1",
        "192.168.1.1",
        "198.18.0.1",
        "203.0.113.9",
        "224.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
        "2001:db8::1",
        "2002:808:808::1",   // 6to4
        "2001:0:808:808::1", // Teredo
    ] {
        assert_eq!(country(ip), None, "{ip}");
    }
    // Neighbours of the private blocks are public.
    assert!(country("172.32.0.1").is_some());
    assert!(country("11.0.0.1").is_some());
}

#[test]
fn malformed_tables_are_rejected() {
    assert_eq!(Table::parse(b"").unwrap_err(), FormatError::Truncated);
    assert_eq!(Table::parse(&[0u8; 64]).unwrap_err(), FormatError::BadMagic);
    let mut v2 = TABLE_BYTES.to_vec();
    v2[8] = 2;
    assert_eq!(
        Table::parse(&v2).unwrap_err(),
        FormatError::UnsupportedVersion(2)
    );
    let cut = &TABLE_BYTES[..TABLE_BYTES.len() - 1];
    assert_eq!(Table::parse(cut).unwrap_err(), FormatError::Truncated);
    let mut longer = TABLE_BYTES.to_vec();
    longer.push(0);
    assert!(matches!(
        Table::parse(&longer),
        Err(FormatError::Invalid(_))
    ));
}
