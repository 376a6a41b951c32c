//! Moves a store from Spin's SQLite file to a Redis / Valkey server, for an app that outgrew one
//! machine: every key of one store label, counters converted (8 little-endian bytes on SQLite, the
//! decimal string `INCRBY` keeps on Redis), in pages, into an empty server. Stop the app first: a write
//! during the copy may be missed.

use super::{Database, KvError, Location};
use anyhow::{Context, Result, bail, ensure};
use shared::store::keys::is_counter;
use std::path::Path;

/// Keys read and written a round.
const PAGE: usize = 1_000;

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
                let Ok(bytes) = <[u8; 8]>::try_from(value.as_slice()) else {
                    bail!(
                        "{key} should hold a counter (8 bytes) but holds {} bytes",
                        value.len()
                    );
                };
                writes.push((key, i64::from_le_bytes(bytes).to_string().into_bytes()));
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

fn kv(e: KvError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}
