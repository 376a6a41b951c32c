//! Moves a store between Spin's SQLite file and a Redis / Valkey server, every key of one store label,
//! counters converted (8 little-endian bytes on SQLite, the decimal string `INCRBY` keeps on Redis), in
//! pages, into an empty target: for an app that outgrew one machine (`copy-store`), and for a restore,
//! which loads a backup (itself a SQLite file in Spin's layout) into either. Stop the app first: a write
//! during the copy may be missed.

use super::{Database, KvError, KvStore, Location};
use anyhow::{Context, Result, bail, ensure};
use shared::store::keys::is_counter;
use std::path::Path;

/// Keys read and written a round.
pub const PAGE: usize = 1_000;

/// What a copy moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    pub values: usize,
    pub counters: usize,
}

/// Copies store `label` of the SQLite file `from` into the Redis server at `to` (which must be empty).
pub async fn sqlite_to_redis(from: &Path, label: &str, to: &str) -> Result<Copied> {
    ensure!(from.is_file(), "no SQLite store at {}", from.display());
    let source = Database::open(Location::File(from.to_owned()))?.store(label);
    let target = Database::open(Location::Redis(to.to_owned()))?.store(label);
    ensure!(
        target.is_empty().await.map_err(kv)?,
        "the Redis server at {to} is not empty: copy into an empty one"
    );
    copy_sqlite(&source, &target).await
}

/// Copies every key of the SQLite store `source` into `target` (SQLite or Redis), counters converted.
pub async fn copy_sqlite(source: &KvStore, target: &KvStore) -> Result<Copied> {
    let mut copied = Copied {
        values: 0,
        counters: 0,
    };
    let mut after = String::new();
    loop {
        let page = source.page_after(&after, PAGE).map_err(kv)?;
        let Some((last, _)) = page.last() else { break };
        after = last.clone();
        let mut writes = Vec::with_capacity(page.len());
        for (key, value) in page {
            if is_counter(&key) {
                let value = if target.is_redis() {
                    counter_to_redis(&key, &value)?
                } else {
                    value
                };
                writes.push((key, value));
                copied.counters += 1;
            } else {
                writes.push((key, value));
                copied.values += 1;
            }
        }
        target
            .write_many(writes)
            .await
            .map_err(kv)
            .with_context(|| format!("writing the keys up to {after}"))?;
    }
    Ok(copied)
}

/// A SQLite counter (8 little-endian bytes) as Redis keeps it.
pub fn counter_to_redis(key: &str, value: &[u8]) -> Result<Vec<u8>> {
    let Ok(bytes) = <[u8; 8]>::try_from(value) else {
        bail!(
            "{key} should hold a counter (8 bytes) but holds {} bytes",
            value.len()
        );
    };
    Ok(i64::from_le_bytes(bytes).to_string().into_bytes())
}

/// A Redis counter (a decimal string) as SQLite keeps it.
pub fn counter_to_sqlite(key: &str, value: &[u8]) -> Result<Vec<u8>> {
    let number: i64 = std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .with_context(|| format!("{key} should hold a counter but does not"))?;
    Ok(number.to_le_bytes().to_vec())
}

pub(crate) fn kv(e: KvError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}
