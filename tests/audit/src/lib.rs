//! The register's auditor: fetches the signed checkpoint, checks its signature and that it is consistent
//! with the last checkpoint it trusted (a state file), recomputes the whole tree from the entry bundles
//! and checks every served hash tile against it; given a record id, shows that record's entries with
//! their inclusion proofs; with read access to the store (the SQLite file or Redis), checks every stored log entry
//! against its leaf and names each one changed, removed or never sealed, by leaf index.
//!
//! ```sh
//! cargo run --profile host -p audit -- --url https://capture.example.com --key 'capture.example.com/register+1a2b3c4d+AX...' \
//!     [--token mck_...] [--state audit-state.json] [--record ID] [--store .spin/sqlite_key_value.db | redis://host:port]
//! ```
//! Exits 0 when everything checks, 1 when something does not (each finding on its own line).
//! `audit mirror` copies the register to a folder ([`mirror`]).

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use shared::register::merkle::{Hash, inclusion_proof, leaf_hash, root, to_hex, verify_inclusion};
use shared::register::note::verify;
use shared::register::read_leaf;
use shared::register::tiles::{Tile, TileKind, WIDTH, entries, hashes};
use shared::store::{Key, Log};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// What to audit and how.
#[derive(Debug, Default, Clone)]
pub struct Args {
    /// The app's base URL.
    pub url: String,
    /// The signer's verifier key (`name+hash+key`).
    pub key: String,
    /// An API key with `register:read` (not needed when the register is public).
    pub token: Option<String>,
    /// Where the last trusted checkpoint is kept.
    pub state: Option<PathBuf>,
    /// A record whose entries to show with inclusion proofs.
    pub record: Option<String>,
    /// Spin's SQLite store file or a Redis URL, to check each stored log entry against its leaf.
    pub store: Option<PathBuf>,
}

/// Reads the command line.
pub fn args() -> Result<Args> {
    let mut out = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--url" => out.url = value()?.trim_end_matches('/').to_owned(),
            "--key" => out.key = value()?,
            "--token" => out.token = Some(value()?),
            "--state" => out.state = Some(PathBuf::from(value()?)),
            "--record" => out.record = Some(value()?),
            "--store" => out.store = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                println!(
                    "usage: audit --url URL --key VERIFIER_KEY [--token API_KEY] [--state FILE] [--record ID] [--store SQLITE_FILE|REDIS_URL]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    if out.url.is_empty() || out.key.is_empty() {
        bail!("--url and --key are required (try --help)");
    }
    Ok(out)
}

pub mod mirror;

/// Reads `audit mirror --url URL [--token API_KEY] --to DIR`.
pub fn mirror_args() -> Result<(Args, PathBuf)> {
    let usage = "usage: audit mirror --url URL [--token API_KEY] --to DIR";
    let (mut args, mut to) = (Args::default(), None);
    let mut it = std::env::args().skip(2);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .with_context(|| format!("{arg} needs a value; {usage}"))
        };
        match arg.as_str() {
            "--url" => args.url = value()?.trim_end_matches('/').to_owned(),
            "--token" => args.token = Some(value()?),
            "--to" => to = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument {other:?}; {usage}"),
        }
    }
    match to {
        Some(to) if !args.url.is_empty() => Ok((args, to)),
        _ => bail!("{usage}"),
    }
}

/// GETs `path` under the register's prefix: its bytes, `None` on 404.
pub async fn fetch(args: &Args, path: &str) -> Result<Option<Vec<u8>>> {
    let client = reqwest::Client::new();
    let mut request = client.get(format!("{}/api/v1/register/{path}", args.url));
    if let Some(token) = &args.token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("fetching {path}"))?;
    match response.status().as_u16() {
        200 => Ok(Some(response.bytes().await?.to_vec())),
        404 => Ok(None),
        status => bail!("{path} answered {status}"),
    }
}

/// Every check; answers the findings (empty: all good).
pub async fn audit(args: &Args) -> Result<Vec<String>> {
    let mut findings = Vec::new();
    let note = fetch(args, "checkpoint").await?.context("no checkpoint")?;
    let note = String::from_utf8(note).context("the checkpoint is not text")?;
    let checkpoint = match verify(&note, &args.key) {
        Ok(c) => c,
        Err(e) => {
            findings.push(format!("checkpoint: signature does not verify ({e:?})"));
            return Ok(findings);
        }
    };
    let size = checkpoint.size;
    println!(
        "checkpoint: {} size {size} root {}",
        checkpoint.origin,
        to_hex(&checkpoint.root)
    );

    // Every leaf, from the entry bundles.
    let mut leaves: Vec<Vec<u8>> = Vec::with_capacity(size as usize);
    for tile in bundle_tiles(size) {
        let n = tile.index;
        let Some(bundle) = fetch_tile(args, &tile).await? else {
            findings.push(format!("entry bundle {n}: missing"));
            return Ok(findings);
        };
        match entries(&bundle) {
            Some(items) if items.len() as u64 == tile.width => {
                leaves.extend(items.into_iter().map(<[u8]>::to_vec))
            }
            _ => {
                findings.push(format!("entry bundle {n}: malformed or of the wrong width"));
                return Ok(findings);
            }
        }
    }
    let hashes_0: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
    let computed = root(&hashes_0);
    if computed != checkpoint.root {
        findings.push(format!(
            "tree: the entry bundles give root {}, the checkpoint says {}",
            to_hex(&computed),
            to_hex(&checkpoint.root)
        ));
    }
    // Every hash tile the tree has, against the hashes recomputed from the leaves.
    for (tile, expected) in hash_tiles(&hashes_0) {
        match fetch_tile(args, &tile).await? {
            Some(bytes) if hashes(&bytes) == expected => {}
            Some(_) => findings.push(format!(
                "hash tile {}: does not match the leaves",
                tile.path()
            )),
            None => findings.push(format!("hash tile {}: missing", tile.path())),
        }
    }

    // Consistency with the last checkpoint this auditor trusted.
    if let Some(path) = &args.state {
        if let Ok(raw) = std::fs::read_to_string(path) {
            let trusted: Value = serde_json::from_str(&raw).context("the state file")?;
            let old = trusted["size"].as_u64().unwrap_or(0);
            let old_root = trusted["root"].as_str().unwrap_or_default();
            if old > size {
                findings.push(format!(
                    "consistency: the tree shrank from {old} to {size} leaves"
                ));
            } else if to_hex(&root(&hashes_0[..old as usize])) != old_root {
                findings.push(format!(
                    "consistency: the first {old} leaves no longer give the trusted root {old_root}"
                ));
            } else {
                println!("consistent with the trusted checkpoint of size {old}");
            }
        }
        if findings.is_empty() {
            let state = json!({"size": size, "root": to_hex(&checkpoint.root)});
            std::fs::write(path, serde_json::to_vec_pretty(&state)?)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }

    // One record's entries, with inclusion proofs.
    if let Some(record) = &args.record {
        for (index, leaf) in leaves.iter().enumerate() {
            let Some((log, seq, entry)) = read_leaf(leaf) else {
                continue;
            };
            let entry: Value = serde_json::from_slice(entry).unwrap_or(Value::Null);
            if entry["record"].as_str() != Some(record.as_str()) {
                continue;
            }
            let proof = inclusion_proof(index, &hashes_0);
            let ok = verify_inclusion(
                index as u64,
                size,
                &hashes_0[index],
                &proof,
                &checkpoint.root,
            );
            println!(
                "leaf {index}: {} #{seq} {} {} by {} — inclusion proof {} ({})",
                log.as_str(),
                entry["at"].as_str().unwrap_or_default(),
                entry["action"].as_str().unwrap_or_default(),
                entry["actor"],
                if ok { "verifies" } else { "FAILS" },
                proof.iter().map(to_hex).collect::<Vec<_>>().join(" ")
            );
            if !ok {
                findings.push(format!("leaf {index}: inclusion proof does not verify"));
            }
        }
    }

    // Every stored log entry against its leaf.
    if let Some(path) = &args.store {
        findings.extend(check_store(path, &leaves)?);
    }
    Ok(findings)
}

/// Every hash tile of the tree whose leaf hashes are `leaf_hashes`, level by level, with its hashes.
pub fn hash_tiles(leaf_hashes: &[Hash]) -> Vec<(Tile, Vec<Hash>)> {
    let mut out = Vec::new();
    let mut level_hashes = leaf_hashes.to_vec();
    for level in 0u8..8 {
        if level_hashes.is_empty() {
            break;
        }
        for (n, chunk) in level_hashes.chunks(WIDTH as usize).enumerate() {
            let tile = Tile {
                kind: TileKind::Hashes(level),
                index: n as u64,
                width: chunk.len() as u64,
            };
            out.push((tile, chunk.to_vec()));
        }
        level_hashes = level_hashes
            .chunks(WIDTH as usize)
            .filter(|c| c.len() as u64 == WIDTH)
            .map(root)
            .collect();
    }
    out
}

/// The entry bundles of a tree of `size` leaves: each tile with its width.
pub fn bundle_tiles(size: u64) -> impl Iterator<Item = Tile> {
    (0..size.div_ceil(WIDTH)).map(move |n| Tile {
        kind: TileKind::Entries,
        index: n,
        width: (size - n * WIDTH).min(WIDTH),
    })
}

async fn fetch_tile(args: &Args, tile: &Tile) -> Result<Option<Vec<u8>>> {
    fetch(args, &tile.path()).await
}

/// Read access to the app's store: Spin's SQLite file, or a Redis server (`redis://...`).
enum StoreReader {
    Sqlite(rusqlite::Connection),
    Redis(redis::Connection),
}

impl StoreReader {
    fn open(store: &std::path::Path) -> Result<Self> {
        let name = store.to_string_lossy();
        if name.starts_with("redis://") || name.starts_with("rediss://") {
            let client = redis::Client::open(name.as_ref()).context("the Redis URL")?;
            return Ok(Self::Redis(
                client.get_connection().context("connecting to Redis")?,
            ));
        }
        let db = rusqlite::Connection::open_with_flags(
            store,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .with_context(|| format!("opening {}", store.display()))?;
        Ok(Self::Sqlite(db))
    }

    fn read(&mut self, key: &str) -> Result<Option<Vec<u8>>> {
        match self {
            Self::Sqlite(db) => {
                let mut statement = db.prepare_cached(
                    "SELECT value FROM spin_key_value WHERE store='default' AND key=?1",
                )?;
                let mut rows = statement.query([key])?;
                Ok(match rows.next()? {
                    Some(row) => Some(row.get(0)?),
                    None => None,
                })
            }
            Self::Redis(conn) => Ok(redis::Commands::get(conn, key)?),
        }
    }
}

/// Compares the store's log entries with the leaves: a changed entry, a removed one, and one that sits
/// among sealed ones but was never sealed (inserted), each named by leaf index or position.
fn check_store(store: &std::path::Path, leaves: &[Vec<u8>]) -> Result<Vec<String>> {
    let mut reader = StoreReader::open(store)?;
    let mut read = |key: &str| reader.read(key);
    let mut findings = Vec::new();
    let mut sealed: BTreeMap<Log, BTreeSet<u64>> = BTreeMap::new();
    for (index, leaf) in leaves.iter().enumerate() {
        let Some((log, seq, entry)) = read_leaf(leaf) else {
            findings.push(format!("leaf {index}: not a register leaf"));
            continue;
        };
        sealed.entry(log).or_default().insert(seq);
        match read(&Key::LogEntry(log, seq).to_string())? {
            Some(stored) if stored == entry => {}
            Some(_) => findings.push(format!(
                "leaf {index}: {} entry {seq} was changed in the store",
                log.as_str()
            )),
            None => findings.push(format!(
                "leaf {index}: {} entry {seq} was removed from the store",
                log.as_str()
            )),
        }
    }
    let state: Value = read(&Key::RegisterState.to_string())?
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let waiting: BTreeSet<(String, u64)> = state["waiting"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| Some((w["log"].as_str()?.to_owned(), w["seq"].as_u64()?)))
        .collect();
    for (log, seqs) in &sealed {
        let Some(last) = seqs.last() else { continue };
        for seq in 1..*last {
            let stored = read(&Key::LogEntry(*log, seq).to_string())?;
            if stored.is_some()
                && !seqs.contains(&seq)
                && !waiting.contains(&(log.as_str().to_owned(), seq))
            {
                findings.push(format!(
                    "{} entry {seq}: in the store among sealed entries but in no leaf (inserted)",
                    log.as_str()
                ));
            }
        }
    }
    Ok(findings)
}
