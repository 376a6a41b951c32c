//! The key-value store: Spin's SQLite backend rebuilt (one table `spin_key_value(store, key, value)`, one
//! connection behind one lock, the same SQL and the same per-call commits), plus the direct handle tests and
//! benchmarks use through `shared::store::Backend`.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, named_params};
use shared::store::{Backend, BackendError};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A key and its value as `get-many` returns them.
pub type Pair = (String, Option<Vec<u8>>);

/// Where the SQLite database lives.
#[derive(Debug, Clone)]
pub enum Location {
    /// A fresh private database (tests: one per app).
    InMemory,
    /// A file, created if absent (`spin up` default: `.spin/sqlite_key_value.db` next to the manifest).
    File(PathBuf),
}

/// Why a store operation failed, mapped by callers onto each WIT error type.
#[derive(Debug)]
pub enum KvError {
    /// Any SQLite error, reported like Spin's `Error::Other`.
    Other(String),
    /// `increment` on a key that does not hold an 8-byte little-endian counter. Spin's SQLite store
    /// panics here (`expect("incorrect length")`); the host makes the guest's call trap.
    NotACounter(String),
}

impl std::fmt::Display for KvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KvError::Other(m) => write!(f, "{m}"),
            KvError::NotACounter(key) => write!(
                f,
                "increment on key {key:?}, which does not hold an 8-byte little-endian counter \
                 (Spin's SQLite store panics here)"
            ),
        }
    }
}

fn other(e: impl std::fmt::Debug) -> KvError {
    KvError::Other(format!("{e:?}"))
}

const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES ($1, $2, $3)
                      ON CONFLICT(store, key) DO UPDATE SET value=$3";
const SELECT: &str = "SELECT value FROM spin_key_value WHERE store=$1 AND key=$2";

/// The SQLite database behind every store label (Spin keeps one connection per app).
#[derive(Clone)]
pub struct Database {
    conn: Arc<Mutex<Connection>>,
    location: Location,
    /// How many of the next `set-many` calls fail (a store failure, injected by a test).
    failing_writes: Arc<AtomicUsize>,
    /// Write calls so far (each its own commit, as on Spin): the benchmark's commits per request.
    commits: Arc<AtomicUsize>,
}

impl Database {
    /// Opens (creating if needed) the database and its table, as Spin's `KeyValueSqlite` does.
    pub fn open(location: Location) -> Result<Self> {
        let conn = match &location {
            Location::InMemory => Connection::open_in_memory()?,
            Location::File(path) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                Connection::open(path).with_context(|| format!("opening {}", path.display()))?
            }
        };
        conn.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            )",
            [],
        )?;
        // `rarray()`, used for get-many / delete-many in one statement.
        rusqlite::vtab::array::load_module(&conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            location,
            failing_writes: Arc::default(),
            commits: Arc::default(),
        })
    }

    /// A human description for startup output, like Spin's store summary.
    pub fn summary(&self) -> String {
        match &self.location {
            Location::InMemory => "a temporary in-memory store".into(),
            Location::File(p) => format!("\"{}\"", p.display()),
        }
    }

    /// The file path, if any.
    pub fn path(&self) -> Option<&Path> {
        match &self.location {
            Location::File(p) => Some(p),
            Location::InMemory => None,
        }
    }

    /// The store with this label (no access check: that is the component's grant, checked by the caller).
    pub fn store(&self, label: &str) -> KvStore {
        KvStore {
            db: self.clone(),
            label: label.to_owned(),
        }
    }

    /// Write calls (commits) made so far, by every store label.
    pub fn commits(&self) -> usize {
        self.commits.load(Ordering::Relaxed)
    }

    /// The connection, for a call that commits.
    fn commit_lock(&self) -> MutexGuard<'_, Connection> {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.lock()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable; keep going like a fresh lock.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One store label of the database. Cheap to clone. Every method is one statement or one transaction,
/// exactly as Spin's SQLite store commits.
///
/// The synchronous methods (`read`, `write`, `read_many`, `add`, ...) return exactly what Spin's SQLite
/// store returns (e.g. `read_many` only the keys that exist); tests normally use the async
/// `shared::store::Backend` methods (`get`, `get_many`, `increment`, ...) instead.
#[derive(Clone)]
pub struct KvStore {
    db: Database,
    label: String,
}

impl KvStore {
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Every key and value of this store label: for tests that must show a value is stored nowhere (an
    /// erasure). Never reachable from a component (Spin's guests only get `get-keys`, which we refuse).
    pub fn dump(&self) -> Result<Vec<(String, Vec<u8>)>, KvError> {
        let conn = self.db.lock();
        let mut statement = conn
            .prepare("SELECT key, value FROM spin_key_value WHERE store=$1 ORDER BY key")
            .map_err(other)?;
        let rows = statement
            .query_map([&self.label], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(other)?;
        rows.collect::<Result<_, _>>().map_err(other)
    }

    pub fn read(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.db
            .lock()
            .prepare_cached(SELECT)
            .map_err(other)?
            .query_row([&self.label, key], |row| row.get::<_, Vec<u8>>(0))
            .optional()
            .map_err(other)
    }

    pub fn write(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.db
            .commit_lock()
            .prepare_cached(UPSERT)
            .map_err(other)?
            .execute(rusqlite::params![&self.label, key, value])
            .map(drop)
            .map_err(other)
    }

    pub fn remove(&self, key: &str) -> Result<(), KvError> {
        self.db
            .commit_lock()
            .prepare_cached("DELETE FROM spin_key_value WHERE store=$1 AND key=$2")
            .map_err(other)?
            .execute([&self.label, key])
            .map(drop)
            .map_err(other)
    }

    pub fn contains(&self, key: &str) -> Result<bool, KvError> {
        Ok(self.read(key)?.is_some())
    }

    /// Spin's `get_many`: one `IN rarray(...)` query; only keys that exist come back, in SQLite's order.
    pub fn read_many(&self, keys: Vec<String>) -> Result<Vec<Pair>, KvError> {
        if keys.is_empty() {
            return Ok(vec![]);
        }
        let keys: Vec<rusqlite::types::Value> = keys.into_iter().map(Into::into).collect();
        let keys = Rc::new(keys);
        let conn = self.db.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT key, value FROM spin_key_value WHERE store=:name AND key IN rarray(:keys)",
            )
            .map_err(other)?;
        let rows = stmt
            .query_map(named_params! {":name": &self.label, ":keys": keys}, |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<Vec<u8>>>(1)?))
            })
            .map_err(other)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(other)
    }

    /// Makes the next `n` `set-many` calls fail as a broken store would, writing nothing (tests of
    /// what a failure in the middle of a request leaves behind).
    pub fn fail_next_writes(&self, n: usize) {
        self.db.failing_writes.store(n, Ordering::SeqCst);
    }

    /// Spin's `set_many`: all pairs in one transaction (one commit).
    pub fn write_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), KvError> {
        if pairs.is_empty() {
            return Ok(());
        }
        let failing = &self.db.failing_writes;
        if failing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(KvError::Other("disk I/O error (injected by a test)".into()));
        }
        let mut conn = self.db.commit_lock();
        let tx = conn.transaction().map_err(other)?;
        for (k, v) in pairs {
            tx.prepare_cached(UPSERT)
                .map_err(other)?
                .execute(rusqlite::params![&self.label, k, v])
                .map_err(other)?;
        }
        tx.commit().map_err(other)
    }

    /// Spin's `delete_many`: one `IN rarray(...)` statement.
    pub fn remove_many(&self, keys: Vec<String>) -> Result<(), KvError> {
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<rusqlite::types::Value> = keys.into_iter().map(Into::into).collect();
        self.db
            .commit_lock()
            .prepare_cached("DELETE FROM spin_key_value WHERE store=:name AND key IN rarray(:keys)")
            .map_err(other)?
            .execute(named_params! {":name": &self.label, ":keys": Rc::new(keys)})
            .map(drop)
            .map_err(other)
    }

    /// Spin's `increment`: read, add, upsert 8 little-endian bytes, in one transaction. An absent key
    /// counts as 0; a value of any other length is an error (a panic on Spin).
    pub fn add(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        let mut conn = self.db.commit_lock();
        let tx = conn.transaction().map_err(other)?;
        let current: Option<Vec<u8>> = tx
            .prepare_cached(SELECT)
            .map_err(other)?
            .query_row([&self.label, key], |row| row.get(0))
            .optional()
            .map_err(other)?;
        let n = match current {
            None => 0,
            Some(bytes) => i64::from_le_bytes(
                bytes
                    .try_into()
                    .map_err(|_| KvError::NotACounter(key.to_owned()))?,
            ),
        };
        // Spin adds with `+` (a debug-build panic / release wrap on overflow); wrap explicitly.
        let new = n.wrapping_add(delta);
        tx.prepare_cached(UPSERT)
            .map_err(other)?
            .execute(rusqlite::params![&self.label, key, new.to_le_bytes()])
            .map_err(other)?;
        tx.commit().map_err(other)?;
        Ok(new)
    }

    /// Spin's CAS `swap`: with a remembered old value, `UPDATE ... WHERE value = old` (fails if the row
    /// changed); with none (key was absent at `current`), a plain upsert — not atomic, as on Spin.
    /// Returns whether exactly one row changed.
    pub fn swap(&self, key: &str, old: Option<&[u8]>, new: &[u8]) -> Result<bool, KvError> {
        let mut conn = self.db.commit_lock();
        let changed = match old {
            Some(old) => conn
                .prepare_cached(
                    "UPDATE spin_key_value SET value=:new_value WHERE store=:name and key=:key and value=:old_value",
                )
                .map_err(other)?
                .execute(named_params! {
                    ":name": &self.label,
                    ":key": key,
                    ":old_value": old,
                    ":new_value": new,
                })
                .map_err(other)?,
            None => {
                let tx = conn.transaction().map_err(other)?;
                let rows = tx
                    .prepare_cached(UPSERT)
                    .map_err(other)?
                    .execute(rusqlite::params![&self.label, key, new])
                    .map_err(other)?;
                tx.commit().map_err(other)?;
                rows
            }
        };
        Ok(changed == 1)
    }
}

fn backend_err(e: KvError) -> BackendError {
    BackendError(e.to_string())
}

/// Tests and benchmarks read and write stored state through shared's typed functions over this.
impl Backend for KvStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        KvStore::read(self, key).map_err(backend_err)
    }

    async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<Vec<u8>>>, BackendError> {
        let found = KvStore::read_many(self, keys.clone()).map_err(backend_err)?;
        let map: std::collections::HashMap<String, Option<Vec<u8>>> = found.into_iter().collect();
        Ok(keys.iter().map(|k| map.get(k).cloned().flatten()).collect())
    }

    async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), BackendError> {
        KvStore::write_many(self, pairs).map_err(backend_err)
    }

    async fn delete_many(&self, keys: Vec<String>) -> Result<(), BackendError> {
        KvStore::remove_many(self, keys).map_err(backend_err)
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64, BackendError> {
        KvStore::add(self, key, delta).map_err(backend_err)
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
    ) -> Result<bool, BackendError> {
        KvStore::swap(self, key, Some(expected), &new).map_err(backend_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> KvStore {
        Database::open(Location::InMemory).unwrap().store("default")
    }

    #[test]
    fn increment_stores_eight_little_endian_bytes() {
        let s = store();
        assert_eq!(s.add("c", 1).unwrap(), 1);
        assert_eq!(s.add("c", 2).unwrap(), 3);
        assert_eq!(s.add("c", -10).unwrap(), -7);
        assert_eq!(
            s.read("c").unwrap().unwrap(),
            (-7i64).to_le_bytes().to_vec()
        );
    }

    #[test]
    fn increment_fails_on_a_key_holding_anything_else() {
        let s = store();
        s.write("c", b"12").unwrap();
        assert!(matches!(s.add("c", 1), Err(KvError::NotACounter(_))));
    }

    #[test]
    fn a_swap_without_an_old_value_is_a_plain_overwrite() {
        let s = store();
        s.write("k", b"someone else").unwrap();
        assert!(s.swap("k", None, b"mine").unwrap());
        assert_eq!(s.read("k").unwrap().unwrap(), b"mine");
        assert!(!s.swap("k", Some(b"stale"), b"again").unwrap());
    }

    #[test]
    fn get_many_returns_only_existing_keys() {
        let s = store();
        s.write_many(vec![
            ("a".into(), b"1".to_vec()),
            ("b".into(), b"2".to_vec()),
        ])
        .unwrap();
        let mut got = s
            .read_many(vec!["a".into(), "zz".into(), "b".into()])
            .unwrap();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("a".into(), Some(b"1".to_vec())),
                ("b".into(), Some(b"2".to_vec()))
            ]
        );
        s.remove_many(vec!["a".into()]).unwrap();
        assert!(s.read("a").unwrap().is_none());
    }

    #[test]
    fn stores_with_different_labels_are_separate() {
        let db = Database::open(Location::InMemory).unwrap();
        db.store("a").write("k", b"1").unwrap();
        assert!(db.store("b").read("k").unwrap().is_none());
    }
}
