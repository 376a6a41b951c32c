//! Offline IP geolocation (country) over an embedded DB-IP Lite range table.
//!
//! IP geolocation by DB-IP (<https://db-ip.com>), CC BY 4.0. Wherever a result is shown or used on
//! the web, link to db-ip.com ([`ATTRIBUTION`]).
//!
//! [`lookup`] maps a public address to a [`Location`]: the ISO 3166-1 alpha-2 country. The format and
//! [`Location`] also carry a region (first-level subdivision) and a city, but the shipped table is
//! country-only (DB-IP's "IP to Country Lite", ~6 MB; with regions it would be ~34 MB, see
//! `tests/geo-table/README.md`), so `region()` and `city()` are `None` for now. Private, loopback,
//! link-local, documentation, multicast and other special-purpose addresses, and addresses the data
//! has no entry for, give `None`. The lookup is a binary search over the bytes of `dbip-country.bin`
//! (embedded with `include_bytes!`): no allocation, no I/O, no unsafe. IPv4-mapped IPv6 addresses
//! (`::ffff:a.b.c.d`) are looked up as IPv4; 6to4 and Teredo addresses give `None`. The table is
//! built by `tests/geo-table` (see its README to regenerate it).
//!
//! # Table format (version 1, all integers little-endian)
//!
//! ```text
//! header (36 bytes)
//!   0  magic        [u8; 8]  b"IPGEOTBL"
//!   8  version      u16      1
//!   10 id_width     u8       bytes per location id (2 or 4); the largest id means "no data",
//!                            the one below it "split /64" (look in v6_split)
//!   11 flags        u8       bit 0: records carry regions; bit 1: records carry cities
//!   12 n_v4         u32      IPv4 ranges
//!   16 n_v6         u32      IPv6 ranges at /64 granularity
//!   20 n_v6_split   u32      IPv6 ranges inside split /64s
//!   24 n_loc        u32      location records
//!   28 strings_len  u32      bytes of the string blob
//!   32 source_len   u32      bytes of the source text
//! source      [u8; source_len]          UTF-8: dataset, version, attribution
//! v4_index    [u32; 65537]              v4_index[k] = first range whose start >> 16 >= k
//! v4_starts   [u32; n_v4]               ascending; v4_starts[0] == 0; a range runs to the next start
//! v4_ids      [u{8*id_width}; n_v4]     location id of each range
//! v6_index    [u32; 65537]              v6_index[k] = first range whose start >> 48 >= k
//! v6_starts   [u64; n_v6]               upper 64 bits of each start (the /64 it begins at)
//! v6_ids      [u{8*id_width}; n_v6]
//! v6_split_starts [u128; n_v6_split]    full starts of the ranges inside the "split /64" ranges;
//! v6_split_ids [u{8*id_width}; n_v6_split] each split /64 has an entry starting exactly at it
//! locations   [[u8; 10]; n_loc]         country [u8; 2] (ASCII), region u32, city u32
//! strings     [u8; strings_len]         region/city are offsets here of a u8 length + UTF-8 bytes;
//!                                       u32::MAX means absent
//! ```
//!
//! Almost every IPv6 boundary in DB-IP's data falls on a /64, so IPv6 ranges are stored by the upper
//! half of their start. The few /64s that the data splits further (a few hundred, mostly small
//! assignments to routers and links) get the "split /64" id and their exact ranges in `v6_split`.
//! The ranges cover each address space completely (gaps carry the "no data" id) and adjacent ranges
//! with the same location are merged. A lookup reads the bucket of the top 16 bits from the index and
//! binary-searches (`partition_point`) the starts in that bucket for the last start ≤ the address.

pub mod format;

pub use format::{FormatError, Table};

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

/// The attribution DB-IP's licence asks for (CC BY 4.0), with the link to show next to results.
pub const ATTRIBUTION: &str = "IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0";

/// The embedded table: DB-IP IP to Country Lite.
static TABLE_BYTES: &[u8] = include_bytes!("dbip-country.bin");

static TABLE: LazyLock<Table<'static>> = LazyLock::new(|| {
    Table::parse(TABLE_BYTES).unwrap_or_else(|e| panic!("embedded geo table: {e}"))
});

/// Where an address is, as far as the offline data says.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location<'a> {
    country: [u8; 2],
    region: Option<&'a str>,
    city: Option<&'a str>,
}

impl<'a> Location<'a> {
    /// ISO 3166-1 alpha-2 country code as two ASCII bytes, e.g. `*b"DE"`.
    pub fn country_code(&self) -> [u8; 2] {
        self.country
    }

    /// ISO 3166-1 alpha-2 country code, e.g. `"DE"`.
    pub fn country(&self) -> &str {
        // Only ASCII uppercase codes are ever built (see `from_raw`).
        std::str::from_utf8(&self.country).unwrap_or("ZZ")
    }

    /// First-level subdivision name as DB-IP spells it (e.g. "Bavaria"), if the table carries regions
    /// (the embedded one does not).
    pub fn region(&self) -> Option<&'a str> {
        self.region
    }

    /// City name, if the table carries cities (the embedded one does not).
    pub fn city(&self) -> Option<&'a str> {
        self.city
    }

    fn from_raw(raw: format::RawLocation<'a>) -> Option<Self> {
        let country = *raw.country;
        if !country.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        Some(Location {
            country,
            region: raw.region,
            city: raw.city,
        })
    }
}

impl std::fmt::Debug for Location<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Location")
            .field("country", &self.country())
            .field("region", &self.region)
            .field("city", &self.city)
            .finish()
    }
}

/// Looks `ip` up in the embedded table. `None` for special-purpose addresses and unknown ones.
pub fn lookup(ip: IpAddr) -> Option<Location<'static>> {
    lookup_in(&TABLE, ip)
}

/// Looks `ip` up in any table (the converter uses this to check a freshly built file).
pub fn lookup_in<'a>(table: &Table<'a>, ip: IpAddr) -> Option<Location<'a>> {
    let raw = match ip.to_canonical() {
        IpAddr::V4(v4) if is_public_v4(v4) => table.raw_v4(v4)?,
        IpAddr::V6(v6) if is_public_v6(v6) => table.raw_v6(v6)?,
        _ => return None,
    };
    Location::from_raw(raw)
}

/// The source text of the embedded table (dataset and version).
pub fn data_source() -> &'static str {
    TABLE.source()
}

/// IPv4 blocks that never geolocate (IANA special-purpose registry, RFC 6890 and successors).
const SPECIAL_V4: [(Ipv4Addr, u8); 13] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network"
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // carrier-grade NAT
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation (TEST-NET-1)
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation (TEST-NET-2)
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation (TEST-NET-3)
    (Ipv4Addr::new(224, 0, 0, 0), 3),     // multicast, reserved, broadcast
];

/// IPv6 blocks inside global unicast 2000::/3 that never geolocate (or that embed an IPv4 address
/// this lookup does not extract: Teredo, 6to4). Everything outside 2000::/3 (::1, ::/96,
/// fc00::/7 unique-local, fe80::/10 link-local, ff00::/8 multicast, ...) is not public either.
const SPECIAL_V6: [(Ipv6Addr, u8); 4] = [
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments, incl. Teredo
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16), // 6to4
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation
];

/// False for IPv4 special-purpose addresses (private, loopback, CGNAT, documentation, ...).
pub fn is_public_v4(ip: Ipv4Addr) -> bool {
    let ip = u32::from(ip);
    !SPECIAL_V4
        .iter()
        .any(|&(net, len)| (ip ^ u32::from(net)) >> (32 - len) == 0)
}

/// False for IPv6 addresses outside global unicast 2000::/3 and for special blocks inside it.
pub fn is_public_v6(ip: Ipv6Addr) -> bool {
    let ip = u128::from(ip);
    ip >> 125 == 1
        && !SPECIAL_V6
            .iter()
            .any(|&(net, len)| (ip ^ u128::from(net)) >> (128 - len) == 0)
}

#[cfg(test)]
mod tests;

/// A deterministic spread of `n` addresses, alternating IPv4 (anywhere) and IPv6 (in 2000::/3), so that
/// benchmarks natively and inside wasm look up exactly the same ones.
pub fn sample_addresses(n: usize) -> impl Iterator<Item = IpAddr> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n).map(move |i| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if i % 2 == 0 {
            IpAddr::V4(Ipv4Addr::from(x as u32))
        } else {
            let high = (0x2000u128 | (u128::from(x) & 0x1fff)) << 112;
            IpAddr::V6(Ipv6Addr::from(high | (u128::from(x) << 40)))
        }
    })
}
