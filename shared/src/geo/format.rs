//! The binary range-table format behind [`super::lookup`]: constants, and a zero-copy reader.
//!
//! The layout is documented in the parent module (`shared::geo`). Everything is little-endian and
//! read from byte slices; nothing is copied or allocated after [`Table::parse`].

use std::net::{Ipv4Addr, Ipv6Addr};

/// First eight bytes of every table file.
pub const MAGIC: [u8; 8] = *b"IPGEOTBL";
/// The format version this code reads and the converter writes.
pub const VERSION: u16 = 1;
/// Size of the fixed header in bytes.
pub const HEADER_LEN: usize = 36;
/// Entries of each top-16-bit index (65 536 buckets plus one end marker).
pub const INDEX_ENTRIES: usize = (1 << 16) + 1;
/// Bytes of one location record: country `[u8; 2]`, region `u32`, city `u32`.
pub const LOCATION_LEN: usize = 10;
/// Location id meaning "no data" (stored as all ones in the id width).
pub const ID_NONE: u32 = u32::MAX;
/// Location id of an IPv6 /64 that the data splits further: look in the split ranges.
/// Stored as all ones minus one in the id width.
pub const ID_SPLIT: u32 = u32::MAX - 1;
const SPLIT_U16: u16 = u16::MAX - 1;
/// A region/city string offset meaning "absent".
pub const NO_STRING: u32 = u32::MAX;
/// Header flag: location records carry regions.
pub const FLAG_REGION: u8 = 1;
/// Header flag: location records carry cities.
pub const FLAG_CITY: u8 = 2;

/// Why a byte slice is not a usable table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatError {
    /// Shorter than its header or its sections say.
    Truncated,
    /// Wrong magic bytes.
    BadMagic,
    /// A version this code does not read.
    UnsupportedVersion(u16),
    /// Some field is out of range (location id width, empty range list, source text, ...).
    Invalid(&'static str),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Truncated => f.write_str("geo table truncated"),
            FormatError::BadMagic => f.write_str("not a geo table (bad magic)"),
            FormatError::UnsupportedVersion(v) => write!(f, "unsupported geo table version {v}"),
            FormatError::Invalid(what) => write!(f, "invalid geo table: {what}"),
        }
    }
}

impl std::error::Error for FormatError {}

/// One address family's ranges: `N`-byte starts (4 for IPv4, 8 for the upper half of IPv6).
#[derive(Debug, Clone, Copy)]
struct Ranges<'a, const N: usize> {
    index: &'a [[u8; 4]],
    starts: &'a [[u8; N]],
    ids: &'a [u8],
}

/// IPv6 ranges inside the few /64s that the data splits further: full 128-bit starts.
#[derive(Debug, Clone, Copy)]
struct SplitRanges<'a> {
    starts: &'a [[u8; 16]],
    ids: &'a [u8],
}

/// A parsed, borrowed view of a table file. Cheap to copy; lookups never allocate.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    source: &'a str,
    flags: u8,
    id_width: usize,
    v4: Ranges<'a, 4>,
    v6: Ranges<'a, 8>,
    v6_split: SplitRanges<'a>,
    locations: &'a [[u8; LOCATION_LEN]],
    strings: &'a [u8],
}

/// A raw table hit: the location record's fields, still as table offsets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawLocation<'a> {
    pub(crate) country: &'a [u8; 2],
    pub(crate) region: Option<&'a str>,
    pub(crate) city: Option<&'a str>,
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[at..at + 2]);
    u16::from_le_bytes(a)
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

/// Splits `len` bytes off the front of `rest`.
fn take<'a>(rest: &mut &'a [u8], len: usize) -> Result<&'a [u8], FormatError> {
    if rest.len() < len {
        return Err(FormatError::Truncated);
    }
    let (head, tail) = rest.split_at(len);
    *rest = tail;
    Ok(head)
}

fn take_ranges<'a, const N: usize>(
    rest: &mut &'a [u8],
    count: usize,
    id_width: usize,
) -> Result<Ranges<'a, N>, FormatError> {
    let index = take(rest, INDEX_ENTRIES * 4)?.as_chunks::<4>().0;
    let starts = take(rest, count.checked_mul(N).ok_or(FormatError::Truncated)?)?
        .as_chunks::<N>()
        .0;
    let ids = take(rest, count * id_width)?;
    if count == 0 || starts[0] != [0u8; N] {
        return Err(FormatError::Invalid("ranges must start at address zero"));
    }
    let idx = |i: usize| u32::from_le_bytes(index[i]) as usize;
    if idx(0) != 0 || idx(INDEX_ENTRIES - 1) != count {
        return Err(FormatError::Invalid("index does not span the ranges"));
    }
    if (1..INDEX_ENTRIES).any(|i| idx(i) < idx(i - 1)) {
        return Err(FormatError::Invalid("index not monotonic"));
    }
    Ok(Ranges { index, starts, ids })
}

impl<'a, const N: usize> Ranges<'a, N> {
    /// Index of the range holding `key`; `bucket` is its top 16 bits (the index slot).
    #[inline]
    fn find(&self, key: u64, bucket: usize) -> usize {
        let lo = u32::from_le_bytes(self.index[bucket]) as usize;
        let hi = u32::from_le_bytes(self.index[bucket + 1]) as usize;
        let start = |c: &[u8; N]| -> u64 {
            let mut a = [0u8; 8];
            a[..N].copy_from_slice(c);
            u64::from_le_bytes(a)
        };
        // Ranges in this bucket start at or after the bucket's first address; the range holding
        // `key` is the last one starting at or before it, which may be the previous bucket's last.
        let p = self.starts[lo..hi].partition_point(|c| start(c) <= key);
        // `starts[0] == 0`, so for lo == 0 the partition point is at least 1.
        (lo + p).saturating_sub(1)
    }
}

impl<'a> Table<'a> {
    /// Checks the header and section sizes of `bytes` and returns a view over them.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FormatError> {
        if bytes.len() < HEADER_LEN {
            return Err(FormatError::Truncated);
        }
        if bytes[..8] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        let version = le_u16(bytes, 8);
        if version != VERSION {
            return Err(FormatError::UnsupportedVersion(version));
        }
        let id_width = bytes[10] as usize;
        if id_width != 2 && id_width != 4 {
            return Err(FormatError::Invalid("location id width"));
        }
        let flags = bytes[11];
        let n_v4 = le_u32(bytes, 12) as usize;
        let n_v6 = le_u32(bytes, 16) as usize;
        let n_v6_split = le_u32(bytes, 20) as usize;
        let n_loc = le_u32(bytes, 24) as usize;
        let strings_len = le_u32(bytes, 28) as usize;
        let source_len = le_u32(bytes, 32) as usize;
        // The two largest ids are reserved: "no data" and "split /64".
        if n_loc >= (1usize << (8 * id_width)) - 2 {
            return Err(FormatError::Invalid("too many locations for the id width"));
        }
        let mut rest = &bytes[HEADER_LEN..];
        let source = std::str::from_utf8(take(&mut rest, source_len)?)
            .map_err(|_| FormatError::Invalid("source text is not UTF-8"))?;
        let v4 = take_ranges::<4>(&mut rest, n_v4, id_width)?;
        let v6 = take_ranges::<8>(&mut rest, n_v6, id_width)?;
        let v6_split = SplitRanges {
            starts: take(&mut rest, n_v6_split * 16)?.as_chunks::<16>().0,
            ids: take(&mut rest, n_v6_split * id_width)?,
        };
        let locations = take(&mut rest, n_loc * LOCATION_LEN)?
            .as_chunks::<LOCATION_LEN>()
            .0;
        let strings = take(&mut rest, strings_len)?;
        if !rest.is_empty() {
            return Err(FormatError::Invalid("trailing bytes"));
        }
        Ok(Table {
            source,
            flags,
            id_width,
            v4,
            v6,
            v6_split,
            locations,
            strings,
        })
    }

    /// The data source text stored in the table (dataset, version, attribution).
    pub fn source(&self) -> &'a str {
        self.source
    }

    /// Whether the table carries regions (first-level subdivisions).
    pub fn has_region(&self) -> bool {
        self.flags & FLAG_REGION != 0
    }

    /// Whether the table carries cities.
    pub fn has_city(&self) -> bool {
        self.flags & FLAG_CITY != 0
    }

    /// Numbers of IPv4 ranges, IPv6 /64-ranges, IPv6 ranges inside split /64s (all including the
    /// "no data" gaps), and of locations.
    pub fn counts(&self) -> [usize; 4] {
        [
            self.v4.starts.len(),
            self.v6.starts.len(),
            self.v6_split.starts.len(),
            self.locations.len(),
        ]
    }

    /// The `i`th id of `ids`, with the reserved ids mapped to the top of the `u32` range.
    fn id(&self, ids: &[u8], i: usize) -> u32 {
        if self.id_width == 2 {
            match le_u16(ids, i * 2) {
                u16::MAX => ID_NONE,
                SPLIT_U16 => ID_SPLIT,
                id => u32::from(id),
            }
        } else {
            le_u32(ids, i * 4)
        }
    }

    fn string(&self, offset: u32) -> Option<&'a str> {
        if offset == NO_STRING {
            return None;
        }
        let at = offset as usize;
        let len = *self.strings.get(at)? as usize;
        std::str::from_utf8(self.strings.get(at + 1..at + 1 + len)?).ok()
    }

    fn location(&self, id: u32) -> Option<RawLocation<'a>> {
        let rec = self.locations.get(id as usize)?;
        let (country, rest) = rec.split_first_chunk::<2>()?;
        Some(RawLocation {
            country,
            region: self.string(le_u32(rest, 0)),
            city: self.string(le_u32(rest, 4)),
        })
    }

    /// Looks an IPv4 address up as stored, without the reserved-address filter.
    pub(crate) fn raw_v4(&self, ip: Ipv4Addr) -> Option<RawLocation<'a>> {
        let key = u32::from(ip);
        let i = self.v4.find(u64::from(key), (key >> 16) as usize);
        self.location(self.id(self.v4.ids, i))
    }

    /// Looks an IPv6 address up by its upper 64 bits (or, inside a split /64, all 128), without
    /// the reserved-address filter.
    pub(crate) fn raw_v6(&self, ip: Ipv6Addr) -> Option<RawLocation<'a>> {
        let full = u128::from(ip);
        let key = (full >> 64) as u64;
        let i = self.v6.find(key, (key >> 48) as usize);
        let id = self.id(self.v6.ids, i);
        if id != ID_SPLIT {
            return self.location(id);
        }
        // Split /64: its first range starts exactly at the /64, so the last start <= `full` is in it.
        let p = self
            .v6_split
            .starts
            .partition_point(|c| u128::from_le_bytes(*c) <= full);
        self.location(self.id(self.v6_split.ids, p.checked_sub(1)?))
    }
}
