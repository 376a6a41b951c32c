//! The register's mirror: a folder off the machine holding what the register serves, at its C2SP
//! tlog-tiles paths (`checkpoint`, `key`, `tile/{L}/{N}[.p/{W}]`, `tile/entries/{N}[.p/{W}]`). It holds
//! no personal data (entries name records by id and people by pseudonym), its tiles never change once
//! written, and each run adds what the tree grew by, after checking the new checkpoint's signature and
//! that the new tree extends the one already mirrored (a register that was rewritten is refused, not
//! copied over the evidence). A restore reads it back ([`read`]) to replay what came after a backup.
//!
//! ```sh
//! cargo run --profile host -p audit -- mirror --url https://capture.example.com --token mck_... --to /mnt/offsite/register
//! ```

use super::{Args, bundle_tiles, fetch, hash_tiles};
use anyhow::{Context, Result, bail, ensure};
use shared::register::merkle::{Hash, leaf_hash, root, to_hex};
use shared::register::note::{Checkpoint, verify};
use shared::register::tiles::{Tile, entries, hashes};
use std::path::{Path, PathBuf};

/// What one mirror run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MirrorRun {
    /// The tree size mirrored now, and before this run.
    pub size: u64,
    pub before: u64,
    /// Tiles and bundles fetched this run (the rest were mirrored already).
    pub fetched: u64,
}

/// A mirrored register, read back and checked: its signed checkpoint, verifier key and every leaf.
#[derive(Debug, Clone)]
pub struct Mirrored {
    pub note: String,
    pub key: String,
    pub checkpoint: Checkpoint,
    pub leaves: Vec<Vec<u8>>,
}

/// Copies the register served at `args.url` (with `args.token` when it is not public) into `dir`.
pub async fn mirror(args: &Args, dir: &Path) -> Result<MirrorRun> {
    let key = fetch(args, "key")
        .await?
        .context("the register has no key yet")?;
    let key = String::from_utf8(key).context("the verifier key is not text")?;
    let note = fetch(args, "checkpoint")
        .await?
        .context("the register has no checkpoint yet (the register job has not run)")?;
    let note = String::from_utf8(note).context("the checkpoint is not text")?;
    let checkpoint = verify(&note, key.trim())
        .map_err(|e| anyhow::anyhow!("the checkpoint's signature does not verify: {e:?}"))?;
    let before =
        match std::fs::read_to_string(dir.join("key")) {
            Ok(kept) => {
                ensure!(
                    kept.trim() == key.trim(),
                    "the register's key changed since {} was mirrored: mirror into a new folder",
                    dir.display()
                );
                let old = std::fs::read_to_string(dir.join("checkpoint"))
                    .context("the mirror has a key but no checkpoint")?;
                Some(verify(&old, key.trim()).map_err(|e| {
                    anyhow::anyhow!("the mirrored checkpoint does not verify: {e:?}")
                })?)
            }
            Err(_) => None,
        };
    if let Some(old) = &before {
        ensure!(
            old.size <= checkpoint.size,
            "the register shrank from {} to {} leaves: refusing to mirror it",
            old.size,
            checkpoint.size
        );
    }
    let mut fetched = 0;
    let mut leaves: Vec<Vec<u8>> = Vec::with_capacity(checkpoint.size as usize);
    // Fetched bundles are written only once the tree they make is checked: a refused register must
    // leave nothing behind that a later run would take for mirrored.
    let mut new_bundles = Vec::new();
    for tile in bundle_tiles(checkpoint.size) {
        let bytes = match read_file(dir, &tile)? {
            Some(bytes) => bytes,
            None => {
                fetched += 1;
                let bytes = fetch(args, &tile.path())
                    .await?
                    .with_context(|| format!("{} is missing", tile.path()))?;
                new_bundles.push((tile, bytes.clone()));
                bytes
            }
        };
        let items = entries(&bytes)
            .filter(|e| e.len() as u64 == tile.width)
            .with_context(|| format!("{} is malformed", tile.path()))?;
        leaves.extend(items.into_iter().map(<[u8]>::to_vec));
    }
    let leaf_hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
    ensure!(
        root(&leaf_hashes) == checkpoint.root,
        "the entry bundles do not give the signed root {}",
        to_hex(&checkpoint.root)
    );
    if let Some(old) = &before {
        ensure!(
            root(&leaf_hashes[..old.size as usize]) == old.root,
            "the register's first {} leaves changed since they were mirrored: refusing to mirror it",
            old.size
        );
    }
    for (tile, bytes) in &new_bundles {
        write_file(dir, tile, bytes)?;
    }
    for (tile, expected) in hash_tiles(&leaf_hashes) {
        if read_file(dir, &tile)?.is_some() {
            continue;
        }
        fetched += 1;
        let bytes = fetch(args, &tile.path())
            .await?
            .with_context(|| format!("{} is missing", tile.path()))?;
        ensure!(
            hashes(&bytes) == expected,
            "{} does not match the leaves",
            tile.path()
        );
        write_file(dir, &tile, &bytes)?;
    }
    write_atomically(&dir.join("key"), key.as_bytes())?;
    write_atomically(&dir.join("checkpoint"), note.as_bytes())?;
    Ok(MirrorRun {
        size: checkpoint.size,
        before: before.map_or(0, |c| c.size),
        fetched,
    })
}

/// Reads the mirror in `dir` back: its checkpoint must verify under its key, and its entry bundles
/// must give the signed root.
pub fn read(dir: &Path) -> Result<Mirrored> {
    let text = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .with_context(|| format!("no {name} in the mirror {}", dir.display()))
    };
    let key = text("key")?.trim().to_owned();
    let note = text("checkpoint")?;
    let checkpoint = verify(&note, &key)
        .map_err(|e| anyhow::anyhow!("the mirrored checkpoint does not verify: {e:?}"))?;
    let mut leaves = Vec::with_capacity(checkpoint.size as usize);
    for tile in bundle_tiles(checkpoint.size) {
        let bytes =
            read_file(dir, &tile)?.with_context(|| format!("the mirror lacks {}", tile.path()))?;
        let items = entries(&bytes)
            .filter(|e| e.len() as u64 == tile.width)
            .with_context(|| format!("{} is malformed", tile.path()))?;
        leaves.extend(items.into_iter().map(<[u8]>::to_vec));
    }
    let leaf_hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
    if root(&leaf_hashes) != checkpoint.root {
        bail!(
            "the mirror's entry bundles do not give its signed root {}",
            to_hex(&checkpoint.root)
        );
    }
    Ok(Mirrored {
        note,
        key,
        checkpoint,
        leaves,
    })
}

fn path_of(dir: &Path, tile: &Tile) -> PathBuf {
    dir.join(tile.path())
}

fn read_file(dir: &Path, tile: &Tile) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path_of(dir, tile)) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", tile.path())),
    }
}

fn write_file(dir: &Path, tile: &Tile, bytes: &[u8]) -> Result<()> {
    let path = path_of(dir, tile);
    if path.exists() {
        return Ok(());
    }
    write_atomically(&path, bytes)
}

/// Writes `path` whole or not at all (a temporary file renamed into place), so a run killed midway
/// leaves no torn file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let temporary = path.with_extension("partial-write");
    std::fs::write(&temporary, bytes).with_context(|| format!("writing {}", path.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
}
