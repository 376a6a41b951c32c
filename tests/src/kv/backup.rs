//! Backups that keep erasures erased. A backup is one SQLite file in Spin's layout (so it is itself a
//! store `spin up` could open) plus a `backup_meta` table naming when and from where it was taken and
//! the register's signed checkpoint at that moment. A restore loads it into an empty store, adopts the
//! mirrored register (which must extend the backup's checkpoint: an RFC 6962 consistency proof), and
//! replays every erasure, opt-out, unsubscribe and retention deletion the register sealed after that
//! checkpoint ([`shared::restore`]), so nobody erased or opted out since comes back.

use super::copy::{Copied, PAGE, copy_sqlite, counter_to_sqlite, kv};
use super::{Database, Location};
use anyhow::{Context, Result, anyhow, ensure};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use shared::register::merkle::{
    Hash, consistency_proof, empty_root, leaf_hash, verify_consistency,
};
use shared::register::note::verify;
use shared::restore::{Replayed, replay};
use shared::store::keys::is_counter;
use shared::store::{Key, Store};
use shared::time::Timestamp;
use std::path::{Path, PathBuf};

/// What a backup file says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    pub file: PathBuf,
    /// When it was taken (RFC 3339).
    pub taken_at: String,
    /// `sqlite` or `redis`: what it was taken from.
    pub source: String,
    pub label: String,
    /// The register's signed checkpoint when it was taken; `None` if the register job had not run.
    pub checkpoint: Option<String>,
    /// Keys it holds.
    pub keys: u64,
}

/// What a restore did.
#[derive(Debug, Clone)]
pub struct Restored {
    pub copied: Copied,
    /// The tree size at the backup, and the mirror's.
    pub from: u64,
    pub size: u64,
    pub replayed: Replayed,
}

/// A store named on the command line: a `redis://` URL, or a SQLite file.
pub fn location(raw: &str) -> Location {
    if raw.starts_with("redis://") || raw.starts_with("rediss://") {
        Location::Redis(raw.to_owned())
    } else {
        Location::File(PathBuf::from(raw))
    }
}

/// Takes a consistent backup of store `label` of `from` into the new file `to`, while the app runs:
/// from SQLite through SQLite's online backup API in one step (one read transaction, so one moment);
/// from Redis page by page with `SCAN` after reading the checkpoint, so that whatever changes during the
/// copy is sealed after that checkpoint and replayed by a restore.
pub async fn backup(from: &str, label: &str, to: &Path) -> Result<BackupInfo> {
    ensure!(
        !to.exists(),
        "{} exists already: a backup is written to a new file",
        to.display()
    );
    let source = match location(from) {
        Location::File(path) => {
            ensure!(path.is_file(), "no SQLite store at {}", path.display());
            let db = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .with_context(|| format!("opening {}", path.display()))?;
            let mut out =
                Connection::open(to).with_context(|| format!("creating {}", to.display()))?;
            let copy = rusqlite::backup::Backup::new(&db, &mut out)?;
            copy.step(-1).context("copying the SQLite store")?;
            drop(copy);
            "sqlite"
        }
        location => {
            let store = Database::open(location)?.store(label);
            let checkpoint = store
                .read(&Key::RegisterCheckpoint.to_string())
                .await
                .map_err(kv)?;
            let target = Database::open(Location::File(to.to_owned()))?.store(label);
            let mut cursor = 0;
            loop {
                let (next, page) = store
                    .scan(cursor, PAGE)
                    .await
                    .context("a Redis store")?
                    .map_err(kv)?;
                let mut writes = Vec::with_capacity(page.len());
                for (key, value) in page {
                    let value = if is_counter(&key) {
                        counter_to_sqlite(&key, &value)?
                    } else {
                        value
                    };
                    writes.push((key, value));
                }
                target.write_many(writes).await.map_err(kv)?;
                if next == 0 {
                    break;
                }
                cursor = next;
            }
            // The checkpoint read first is the one the backup answers for (see above).
            if let Some(note) = checkpoint {
                let pair = (Key::RegisterCheckpoint.to_string(), note);
                target.write_many(vec![pair]).await.map_err(kv)?;
            }
            "redis"
        }
    };
    let out = Connection::open(to)?;
    let checkpoint: Option<Vec<u8>> = out
        .query_row(
            "SELECT value FROM spin_key_value WHERE store=?1 AND key=?2",
            [label, &Key::RegisterCheckpoint.to_string()],
            |row| row.get(0),
        )
        .optional()?;
    let checkpoint = checkpoint.map(|b| String::from_utf8_lossy(&b).into_owned());
    out.execute_batch("CREATE TABLE backup_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);")?;
    let taken_at = Timestamp::now().to_rfc3339();
    for (name, value) in [
        ("format", "1"),
        ("taken_at", taken_at.as_str()),
        ("source", source),
        ("label", label),
        ("checkpoint", checkpoint.as_deref().unwrap_or_default()),
    ] {
        out.execute(
            "INSERT INTO backup_meta (name, value) VALUES (?1, ?2)",
            [name, value],
        )?;
    }
    drop(out);
    read_info(to)
}

/// Reads what a backup file says about itself.
pub fn read_info(file: &Path) -> Result<BackupInfo> {
    ensure!(file.is_file(), "no backup at {}", file.display());
    let db = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", file.display()))?;
    let meta = |name: &str| -> Result<String> {
        db.query_row(
            "SELECT value FROM backup_meta WHERE name=?1",
            [name],
            |row| row.get(0),
        )
        .with_context(|| format!("{} is not a backup (no {name})", file.display()))
    };
    ensure!(
        meta("format")? == "1",
        "{} is a backup of a format this build does not know",
        file.display()
    );
    let label = meta("label")?;
    let keys: u64 = db.query_row(
        "SELECT count(*) FROM spin_key_value WHERE store=?1",
        [&label],
        |row| row.get(0),
    )?;
    let checkpoint = meta("checkpoint")?;
    Ok(BackupInfo {
        file: file.to_owned(),
        taken_at: meta("taken_at")?,
        source: meta("source")?,
        label,
        checkpoint: (!checkpoint.is_empty()).then_some(checkpoint),
        keys,
    })
}

/// Restores the backup `from` into the empty store `to` (a SQLite file, created if absent, or an
/// empty Redis server) with the register mirrored in `mirror`: refuses a mirror that does not extend
/// the backup's checkpoint, then loads the backup, adopts the mirror's register and replays what it
/// sealed after the backup.
pub async fn restore(from: &Path, mirror: &Path, to: &str) -> Result<Restored> {
    let info = read_info(from)?;
    let mirrored = audit::mirror::read(mirror)?;
    let (old_size, old_root) = match &info.checkpoint {
        Some(note) => {
            let old = verify(note, &mirrored.key).map_err(|e| {
                anyhow!("the backup's checkpoint was not signed by the mirror's key ({e:?})")
            })?;
            (old.size, old.root)
        }
        None => (0, empty_root()),
    };
    let size = mirrored.checkpoint.size;
    ensure!(
        old_size <= size,
        "the mirror ({size} leaves) is older than the backup ({old_size}): mirror the register again"
    );
    let hashes: Vec<Hash> = mirrored.leaves.iter().map(|l| leaf_hash(l)).collect();
    let proof = consistency_proof(old_size as usize, &hashes);
    ensure!(
        verify_consistency(old_size, size, &old_root, &mirrored.checkpoint.root, &proof),
        "the mirrored register is not consistent with the backup's checkpoint (size {old_size}): \
         it is not this store's register, or it was rewritten"
    );
    let source = Database::open(Location::File(from.to_owned()))?.store(&info.label);
    if let Some(kept) = source
        .read(&Key::RegisterVerifier.to_string())
        .await
        .map_err(kv)?
    {
        ensure!(
            String::from_utf8_lossy(&kept).trim() == mirrored.key,
            "the backup's register key is not the mirror's"
        );
    }
    let target = Database::open(location(to))?.store(&info.label);
    ensure!(
        target.is_empty().await.map_err(kv)?,
        "{to} is not empty: restore into an empty store"
    );
    let copied = copy_sqlite(&source, &target).await?;
    let store = Store::new(target);
    let now = Timestamp::now();
    store
        .adopt_register(
            &mirrored.leaves,
            old_size,
            &mirrored.note,
            &mirrored.key,
            now,
        )
        .await
        .context("adopting the mirrored register")?;
    let replayed = replay(&store, &mirrored.leaves, old_size, now)
        .await
        .context("replaying the register")?;
    Ok(Restored {
        copied,
        from: old_size,
        size,
        replayed,
    })
}

/// A store's name for output: a Redis URL by its host only (it may carry a password), a file as is.
pub fn server_name(raw: &str) -> &str {
    match location(raw) {
        Location::Redis(_) => raw.rsplit('@').next().unwrap_or_default(),
        _ => raw,
    }
}
