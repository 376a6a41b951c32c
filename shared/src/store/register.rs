//! The register's storage: its state, hash tiles, entry bundles and signed checkpoint (design in
//! [`crate::register`]), written by the register job in one `set-many` a run and read for serving.

use super::backend::Backend;
use super::core::{Store, StoreError, decode};
use super::keys::Key;
use crate::records::{Log, SCHEMA_VERSION};
use crate::register::read_leaf;
use crate::register::tiles::{Growth, Tile, TileKind, WIDTH, entries, push_entry};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Values written per `set-many` when a restore adopts a register.
const ADOPT_PAGE: usize = 500;

pub use crate::register::tiles::LEVELS;

/// An entry that was not final when a run saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub log: String,
    pub seq: u64,
    pub since: Timestamp,
}

/// `reg:state`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RegisterState {
    pub v: u32,
    pub size: u64,
    /// Per log: every entry at or below is sealed or waiting.
    pub marks: BTreeMap<String, u64>,
    pub waiting: Vec<Waiting>,
}

/// What one register run writes, all in one `set-many`.
#[derive(Debug, Default)]
pub struct RegisterUpdate {
    /// New full hash tiles: (level, index, hashes).
    pub tiles: Vec<(u8, u64, Vec<u8>)>,
    /// New full entry bundles: (index, entries).
    pub bundles: Vec<(u64, Vec<u8>)>,
    /// The partial hash tile of every level, lowest first.
    pub partial_tiles: Vec<Vec<u8>>,
    pub partial_bundle: Vec<u8>,
    pub checkpoint: String,
    pub verifier: String,
    pub state: RegisterState,
}

impl<B: Backend> Store<B> {
    pub async fn register_state(&self) -> Result<RegisterState, StoreError> {
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

    /// The partial hash tiles of every level (lowest first) and the partial bundle, as the last run left
    /// them.
    pub async fn register_partials(&self) -> Result<(Vec<Vec<u8>>, Vec<u8>), StoreError> {
        let mut keys: Vec<String> = (0..LEVELS as u8)
            .map(|l| Key::RegisterPartialTile(l).to_string())
            .collect();
        keys.push(Key::RegisterPartialBundle.to_string());
        let mut stored = self.read_many(keys).await?;
        let bundle = stored.pop().flatten().unwrap_or_default();
        Ok((
            stored.into_iter().map(Option::unwrap_or_default).collect(),
            bundle,
        ))
    }

    /// Writes one run's `update`, unless another run extended the tree since this one read it at size
    /// `started_at` (a run that lost its lease must never write a tree over one that grew meanwhile).
    pub async fn write_register(
        &self,
        update: RegisterUpdate,
        started_at: u64,
    ) -> Result<(), StoreError> {
        let mut writes: Vec<(String, Vec<u8>)> = Vec::new();
        for (level, index, bytes) in update.tiles {
            writes.push((Key::RegisterTile(level, index).to_string(), bytes));
        }
        for (index, bytes) in update.bundles {
            writes.push((Key::RegisterBundle(index).to_string(), bytes));
        }
        for (level, bytes) in update.partial_tiles.into_iter().enumerate() {
            writes.push((Key::RegisterPartialTile(level as u8).to_string(), bytes));
        }
        writes.push((
            Key::RegisterPartialBundle.to_string(),
            update.partial_bundle,
        ));
        writes.push((
            Key::RegisterCheckpoint.to_string(),
            update.checkpoint.into_bytes(),
        ));
        writes.push((
            Key::RegisterVerifier.to_string(),
            update.verifier.into_bytes(),
        ));
        let state = RegisterState {
            v: SCHEMA_VERSION,
            ..update.state
        };
        writes.push((
            Key::RegisterState.to_string(),
            serde_json::to_vec(&state).map_err(StoreError::Encode)?,
        ));
        if self.register_state().await?.size != started_at {
            return Err(StoreError::Conflict(
                "another register run extended the tree",
            ));
        }
        Ok(self.backend.set_many(writes).await?)
    }

    /// Makes `leaves` (a mirror's whole tree, checked against its signed `checkpoint` by the caller)
    /// this store's register, for a restore: writes the log entries of the leaves from index `from` on
    /// (those a backup taken at tree size `from` may lack or hold unsettled, byte for byte as sealed),
    /// moves each log's head past its last sealed entry so no number is taken twice, writes every tile
    /// and bundle derived from the leaves, and last the checkpoint, verifier key and a state whose
    /// marks follow the last sealed entry of each log; an unsealed number below a mark waits, as it did.
    pub async fn adopt_register(
        &self,
        leaves: &[Vec<u8>],
        from: u64,
        checkpoint: &str,
        verifier: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut sealed: BTreeMap<Log, BTreeSet<u64>> = BTreeMap::new();
        let mut entries_after = Vec::new();
        let mut growth = Growth::from(0, &[], Vec::new());
        for (index, leaf) in leaves.iter().enumerate() {
            let (log, seq, entry) = read_leaf(leaf).ok_or(StoreError::Conflict(
                "a mirrored leaf is not a register leaf",
            ))?;
            sealed.entry(log).or_default().insert(seq);
            if index as u64 >= from {
                entries_after.push((Key::LogEntry(log, seq).to_string(), entry.to_vec()));
            }
            growth.push(leaf);
        }
        for page in entries_after.chunks(ADOPT_PAGE) {
            self.backend.set_many(page.to_vec()).await?;
        }
        let mut state = RegisterState {
            v: SCHEMA_VERSION,
            size: growth.size,
            ..RegisterState::default()
        };
        for (log, seqs) in &sealed {
            let last = seqs.last().copied().unwrap_or(0);
            let head = Key::LogHead(*log).to_string();
            let at = self.backend.increment(&head, 0).await?;
            let behind = i64::try_from(last).unwrap_or(i64::MAX) - at;
            if behind > 0 {
                self.backend.increment(&head, behind).await?;
            }
            state.marks.insert(log.as_str().to_owned(), last);
            state.waiting.extend(
                (1..last)
                    .filter(|seq| !seqs.contains(seq))
                    .map(|seq| Waiting {
                        log: log.as_str().to_owned(),
                        seq,
                        since: now,
                    }),
            );
        }
        let mut tiles: Vec<(String, Vec<u8>)> = Vec::new();
        for (level, index, bytes) in std::mem::take(&mut growth.tiles) {
            tiles.push((Key::RegisterTile(level, index).to_string(), bytes));
        }
        for (index, bytes) in std::mem::take(&mut growth.bundles) {
            tiles.push((Key::RegisterBundle(index).to_string(), bytes));
        }
        for page in tiles.chunks(ADOPT_PAGE) {
            self.backend.set_many(page.to_vec()).await?;
        }
        let update = RegisterUpdate {
            partial_tiles: growth.partial_tiles(),
            partial_bundle: growth.bundle,
            checkpoint: checkpoint.to_owned(),
            verifier: verifier.to_owned(),
            state,
            ..RegisterUpdate::default()
        };
        let at = self.register_size().await?;
        self.write_register(update, at).await
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
