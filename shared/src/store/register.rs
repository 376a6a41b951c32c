//! The register job and its stored tiles: seals log entries as leaves of the register's Merkle tree
//! (design in [`crate::register`]), and reads tiles, bundles and the checkpoint for serving.
//!
//! A run walks each log from its mark and seals every entry that is final, in one deterministic order
//! (entries that were waiting first, then the logs in [`Log::ALL`] order, each by sequence number). An
//! entry still pending, or a number with no entry yet (a hole), waits in the state for a later run and is
//! sealed when it becomes final (a hole that stays empty past the grace period is dropped: there is
//! nothing to seal). Nothing sealed is ever rewritten. A run writes its new full tiles and bundles, the
//! partial ones, the signed checkpoint and the state in one `set-many`, so a run killed midway leaves the
//! register as it was and the next run does the work again.

use super::{Backend, Key, Log, Store, StoreError, decode};
use crate::records::{LogEntry, SCHEMA_VERSION};
use crate::register::leaf;
use crate::register::merkle::{Hash, empty_root, fold, leaf_hash, root};
use crate::register::note::{Checkpoint, NoteSigner};
use crate::register::tiles::{Tile, TileKind, WIDTH, entries, push_entry};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A pending entry is sealed as it stands once it is this old: its writer is gone.
const PENDING_GRACE_MS: i64 = 10 * 60_000;
/// A hole still empty this long after it was first seen is dropped.
const HOLE_GRACE_MS: i64 = 60_000;
/// Entries read per `get-many`.
const PAGE: u64 = 256;
/// Levels of hash tiles (8 tree levels each): 2^64 leaves.
const LEVELS: usize = 8;

/// An entry that was not final when a run saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Waiting {
    log: String,
    seq: u64,
    since: Timestamp,
}

/// `reg:state`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct RegisterState {
    v: u32,
    size: u64,
    /// Per log: every entry at or below is sealed or waiting.
    marks: BTreeMap<String, u64>,
    waiting: Vec<Waiting>,
}

/// What one run did (or, dry, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SealRun {
    /// Entries sealed as leaves by this run.
    pub sealed: u64,
    /// The tree's size after the run.
    pub size: u64,
    /// Entries waiting to become final.
    pub waiting: u64,
    /// Entries past the marks left for later runs (the run's budget ran out).
    pub behind: u64,
}

/// What a run's walk decided about one number of a log.
enum Seen {
    Seal(Vec<u8>),
    Wait,
    Drop,
}

fn classify(
    bytes: Option<Vec<u8>>,
    key: &str,
    since: Timestamp,
    now: Timestamp,
) -> Result<Seen, StoreError> {
    let Some(bytes) = bytes else {
        return Ok(if now.unix_millis() - since.unix_millis() > HOLE_GRACE_MS {
            Seen::Drop
        } else {
            Seen::Wait
        });
    };
    let entry: LogEntry = decode(key, &bytes)?;
    let old = now.unix_millis() - entry.written().unix_millis() > PENDING_GRACE_MS;
    Ok(if entry.pending && !old {
        Seen::Wait
    } else {
        Seen::Seal(bytes)
    })
}

fn hashes_bytes(hashes: &[Hash]) -> Vec<u8> {
    hashes.concat()
}

/// The compact range of a tree from its partial tiles: per level (highest first), the partial tile's
/// hashes cut into perfect subtrees by the binary digits of its width.
fn tree_root(partials: &[Vec<Hash>]) -> Hash {
    let mut subtrees = Vec::new();
    for tile in partials.iter().rev() {
        let mut at = 0;
        for bit in (0..8).rev() {
            let chunk = 1usize << bit;
            if tile.len() & chunk != 0 {
                subtrees.push(root(&tile[at..at + chunk]));
                at += chunk;
            }
        }
    }
    if subtrees.is_empty() {
        empty_root()
    } else {
        fold(&subtrees)
    }
}

impl<B: Backend> Store<B> {
    async fn register_state(&self) -> Result<RegisterState, StoreError> {
        let key = Key::RegisterState.to_string();
        match self.backend.get(&key).await? {
            Some(bytes) => decode(&key, &bytes),
            None => Ok(RegisterState {
                v: SCHEMA_VERSION,
                ..RegisterState::default()
            }),
        }
    }

    /// The register's tree size (0 before the first run).
    pub async fn register_size(&self) -> Result<u64, StoreError> {
        Ok(self.register_state().await?.size)
    }

    /// The register job: seals up to `budget` entries, then signs the new checkpoint with `signer`
    /// under `origin`. With `dry_run`, only counts.
    pub async fn seal_register(
        &self,
        signer: &NoteSigner,
        origin: &str,
        budget: u64,
        now: Timestamp,
        dry_run: bool,
    ) -> Result<SealRun, StoreError> {
        let mut state = self.register_state().await?;
        let started_at = state.size;
        let mut sealed: Vec<(Log, u64, Vec<u8>)> = Vec::new();
        let mut waiting = Vec::new();
        // Entries that waited: sealed once final, kept while not, dropped when a hole stays empty.
        let keys: Vec<String> = state
            .waiting
            .iter()
            .filter_map(|w| Some(Key::LogEntry(Log::parse(&w.log)?, w.seq).to_string()))
            .collect();
        let values = self.read_many(keys.clone()).await?;
        for ((w, key), value) in state.waiting.iter().zip(&keys).zip(values) {
            let Some(log) = Log::parse(&w.log) else {
                continue;
            };
            match classify(value, key, w.since, now)? {
                Seen::Seal(bytes) => sealed.push((log, w.seq, bytes)),
                Seen::Wait => waiting.push(w.clone()),
                Seen::Drop => {}
            }
        }
        let mut behind = 0;
        for log in Log::ALL {
            let head = self.log_head(log).await?;
            let mut pos = state.marks.get(log.as_str()).copied().unwrap_or(0);
            while pos < head && (sealed.len() + waiting.len()) < budget as usize {
                let room = budget as usize - sealed.len() - waiting.len();
                let want = PAGE.min(head - pos).min(room as u64);
                let seqs: Vec<u64> = (pos + 1..=pos + want).collect();
                let keys: Vec<String> = seqs
                    .iter()
                    .map(|s| Key::LogEntry(log, *s).to_string())
                    .collect();
                let values = self.read_many(keys.clone()).await?;
                for ((seq, key), value) in seqs.iter().zip(&keys).zip(values) {
                    match classify(value, key, now, now)? {
                        Seen::Seal(bytes) => sealed.push((log, *seq, bytes)),
                        _ => waiting.push(Waiting {
                            log: log.as_str().to_owned(),
                            seq: *seq,
                            since: now,
                        }),
                    }
                }
                pos += want;
            }
            state.marks.insert(log.as_str().to_owned(), pos);
            behind += head - pos;
        }
        let mut run = SealRun {
            sealed: sealed.len() as u64,
            size: state.size + sealed.len() as u64,
            waiting: waiting.len() as u64,
            behind,
        };
        if dry_run {
            return Ok(run);
        }
        state.waiting = waiting;

        // The partial tiles of every level and the partial bundle, as the last run left them.
        let mut partial_keys: Vec<String> = (0..LEVELS as u8)
            .map(|l| Key::RegisterPartialTile(l).to_string())
            .collect();
        partial_keys.push(Key::RegisterPartialBundle.to_string());
        let mut stored = self.read_many(partial_keys).await?;
        let mut bundle = stored.pop().flatten().unwrap_or_default();
        let mut partials: Vec<Vec<Hash>> = stored
            .into_iter()
            .map(|t| crate::register::tiles::hashes(&t.unwrap_or_default()))
            .collect();
        let mut size = state.size;
        let mut writes: Vec<(String, Vec<u8>)> = Vec::new();
        for (log, seq, bytes) in &sealed {
            let leaf = leaf(*log, *seq, bytes);
            push_entry(&mut bundle, &leaf);
            let mut hash = leaf_hash(&leaf);
            size += 1;
            if size % WIDTH == 0 {
                writes.push((
                    Key::RegisterBundle(size / WIDTH - 1).to_string(),
                    std::mem::take(&mut bundle),
                ));
            }
            // Up the levels while a tile fills: its root is the next level's hash.
            let mut count = size;
            for (level, tile) in partials.iter_mut().enumerate() {
                tile.push(hash);
                if count % WIDTH != 0 {
                    break;
                }
                let index = count / WIDTH - 1;
                writes.push((
                    Key::RegisterTile(level as u8, index).to_string(),
                    hashes_bytes(tile),
                ));
                hash = root(tile);
                tile.clear();
                count /= WIDTH;
            }
        }
        for (level, tile) in partials.iter().enumerate() {
            writes.push((
                Key::RegisterPartialTile(level as u8).to_string(),
                hashes_bytes(tile),
            ));
        }
        writes.push((Key::RegisterPartialBundle.to_string(), bundle));
        let checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size,
            root: tree_root(&partials),
        };
        writes.push((
            Key::RegisterCheckpoint.to_string(),
            signer.sign(&checkpoint).into_bytes(),
        ));
        writes.push((
            Key::RegisterVerifier.to_string(),
            signer.verifier_key().into_bytes(),
        ));
        state.size = size;
        state.v = SCHEMA_VERSION;
        writes.push((
            Key::RegisterState.to_string(),
            serde_json::to_vec(&state).map_err(StoreError::Encode)?,
        ));
        // A run that lost its lease to another: never write a tree over one that grew meanwhile.
        if self.register_state().await?.size != started_at {
            return Err(StoreError::Conflict(
                "another register run extended the tree",
            ));
        }
        self.backend.set_many(writes).await?;
        run.size = size;
        Ok(run)
    }

    /// The signed checkpoint, if the job ever ran.
    pub async fn register_checkpoint(&self) -> Result<Option<String>, StoreError> {
        let bytes = self
            .backend
            .get(&Key::RegisterCheckpoint.to_string())
            .await?;
        Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The verifier key of the checkpoint's signer, if the job ever ran.
    pub async fn register_verifier(&self) -> Result<Option<String>, StoreError> {
        let bytes = self.backend.get(&Key::RegisterVerifier.to_string()).await?;
        Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The bytes of `tile` as the current checkpoint covers it; `None` beyond the tree. A partial width
    /// is served as the first hashes (or entries) of the tile, as C2SP tlog-tiles defines it.
    pub async fn register_tile(&self, tile: Tile) -> Result<Option<Vec<u8>>, StoreError> {
        let size = self.register_size().await?;
        let count = match tile.kind {
            TileKind::Hashes(level) => size.checked_shr(8 * u32::from(level)).unwrap_or(0),
            TileKind::Entries => size,
        };
        let full = count / WIDTH;
        let available = if tile.index < full {
            WIDTH
        } else if tile.index == full {
            count % WIDTH
        } else {
            0
        };
        if tile.width > available || available == 0 {
            return Ok(None);
        }
        let key = match (tile.kind, tile.index < full) {
            (TileKind::Hashes(l), true) => Key::RegisterTile(l, tile.index),
            (TileKind::Hashes(l), false) => Key::RegisterPartialTile(l),
            (TileKind::Entries, true) => Key::RegisterBundle(tile.index),
            (TileKind::Entries, false) => Key::RegisterPartialBundle,
        };
        let Some(bytes) = self.backend.get(&key.to_string()).await? else {
            return Ok(None);
        };
        Ok(Some(match tile.kind {
            TileKind::Hashes(_) => bytes[..(tile.width as usize * 32).min(bytes.len())].to_vec(),
            TileKind::Entries => {
                let mut out = Vec::new();
                for entry in entries(&bytes)
                    .unwrap_or_default()
                    .into_iter()
                    .take(tile.width as usize)
                {
                    push_entry(&mut out, entry);
                }
                out
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_from_partial_tiles_is_the_tree_root() {
        for n in [0usize, 1, 5, 255, 256, 257, 300, 513, 70_000] {
            let leaves: Vec<Hash> = (0..n)
                .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
                .collect();
            // The partial tiles a run would leave for a tree of n leaves.
            let mut partials = vec![Vec::new(); LEVELS];
            let mut level_hashes = leaves.clone();
            for partial in partials.iter_mut() {
                let full = level_hashes.len() / 256 * 256;
                *partial = level_hashes[full..].to_vec();
                level_hashes = level_hashes[..full].chunks(256).map(root).collect();
            }
            assert_eq!(tree_root(&partials), root(&leaves), "{n} leaves");
        }
    }
}
