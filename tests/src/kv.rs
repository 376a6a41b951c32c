//! The key-value store: Spin's SQLite backend rebuilt (one table `spin_key_value(store, key, value)`, one
//! connection behind one lock, the same SQL and the same per-call commits) and Spin's Redis backend
//! rebuilt ([`redis`]: the same commands, defects included), plus the direct handle tests and benchmarks
//! use through `shared::store::Backend`.

pub mod backup;
pub mod copy;
pub mod redis;
pub mod redis_server;

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, named_params};
use shared::store::{Backend, BackendError};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use redis_server::RedisServer;

/// A key and its value as `get-many` returns them.
pub type Pair = (String, Option<Vec<u8>>);

/// Where the SQLite database lives.
#[derive(Debug, Clone)]
pub enum Location {
    /// A fresh private database (tests: one per app).
    InMemory,
    /// A file, created if absent (`spin up` default: `.spin/sqlite_key_value.db` next to the manifest).
    File(PathBuf),
    /// A Redis / Valkey server (`redis://host:port`), as Spin's `type = "redis"` runtime config.
    Redis(String),
    /// A private `redis-server` started for this database and stopped with it (tests).
    FreshRedis,
}

impl Location {
    /// The store a test gets: a fresh in-memory SQLite database, or with `TEST_KV=redis` a fresh Redis
    /// server, so that the whole suite runs on either backend.
    pub fn for_tests() -> Self {
        match std::env::var("TEST_KV").as_deref() {
            Ok("redis") => Self::FreshRedis,
            Ok("sqlite") | Err(_) => Self::InMemory,
            Ok(other) => panic!("TEST_KV={other:?}: expected sqlite or redis"),
        }
    }
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

/// The engine behind every store label: Spin keeps one SQLite connection per app, or one Redis client.
#[derive(Clone)]
enum Engine {
    Sqlite(Arc<Mutex<Connection>>),
    Redis(Arc<redis::Redis>),
}

/// The database behind every store label.
#[derive(Clone)]
pub struct Database {
    engine: Engine,
    location: Location,
    /// How many of the next `set-many` calls fail (a store failure, injected by a test).
    failing_writes: Arc<AtomicUsize>,
    /// Write calls so far (each its own commit, as on Spin): the benchmark's commits per request.
    commits: Arc<AtomicUsize>,
}

impl Database {
    /// Opens (creating if needed) the database: for SQLite the file and its table, as Spin's
    /// `KeyValueSqlite` does; for Redis a client that connects at the first call, as Spin's does.
    pub fn open(location: Location) -> Result<Self> {
        let engine = match &location {
            Location::InMemory => Engine::Sqlite(sqlite(Connection::open_in_memory()?)?),
            Location::File(path) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                let conn = Connection::open(path)
                    .with_context(|| format!("opening {}", path.display()))?;
                Engine::Sqlite(sqlite(conn)?)
            }
            Location::Redis(url) => Engine::Redis(Arc::new(redis::Redis::new(url.clone(), None)?)),
            Location::FreshRedis => {
                let server = RedisServer::start()?;
                Engine::Redis(Arc::new(redis::Redis::new(server.url(), Some(server))?))
            }
        };
        Ok(Self {
            engine,
            location,
            failing_writes: Arc::default(),
            commits: Arc::default(),
        })
    }

    /// A human description for startup output, like Spin's store summary.
    pub fn summary(&self) -> String {
        match (&self.location, &self.engine) {
            (Location::InMemory, _) => "a temporary in-memory store".into(),
            (Location::File(p), _) => format!("\"{}\"", p.display()),
            (_, Engine::Redis(r)) => format!("Redis at {}", r.url()),
            (_, Engine::Sqlite(_)) => unreachable!("a Redis location opens a Redis engine"),
        }
    }

    /// The file path, if any.
    pub fn path(&self) -> Option<&Path> {
        match &self.location {
            Location::File(p) => Some(p),
            _ => None,
        }
    }

    /// The Redis server this database started ([`Location::FreshRedis`]), if any: a test may stop it.
    pub fn redis_server(&self) -> Option<&RedisServer> {
        match &self.engine {
            Engine::Redis(r) => r.server(),
            Engine::Sqlite(_) => None,
        }
    }

    /// The store with this label (no access check: that is the component's grant, checked by the caller).
    /// On Redis every label is the same keyspace, as on Spin.
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

    fn count_commit(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether this `set-many` is one a test asked to fail.
    fn injected_failure(&self) -> bool {
        self.failing_writes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

fn sqlite(conn: Connection) -> Result<Arc<Mutex<Connection>>> {
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
    Ok(Arc::new(Mutex::new(conn)))
}

/// One store label of the database. Cheap to clone. Every method is what Spin's backend does for
/// that call: on SQLite one statement or one transaction, on Redis the same commands as Spin's.
///
/// The inherent methods (`read`, `write`, `read_many`, `add`, ...) return exactly what Spin's store
/// returns (e.g. `read_many` only the keys that exist; on Redis, whatever `KEYS` answers); tests
/// normally use the `shared::store::Backend` methods (`get`, `get_many`, `increment`, ...) instead.
#[derive(Clone)]
pub struct KvStore {
    db: Database,
    label: String,
}

/// The SQLite connection of a store (locked only for a call, never across an await), or the Redis engine.
enum Side<'a> {
    Sqlite(&'a Mutex<Connection>),
    Redis(&'a redis::Redis),
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves the connection usable; keep going like a fresh lock.
    conn.lock().unwrap_or_else(|e| e.into_inner())
}

impl KvStore {
    pub fn label(&self) -> &str {
        &self.label
    }

    fn side(&self) -> Side<'_> {
        match &self.db.engine {
            Engine::Sqlite(conn) => Side::Sqlite(conn),
            Engine::Redis(r) => Side::Redis(r),
        }
    }

    /// As [`KvStore::side`], for a call that commits.
    fn commit_side(&self) -> Side<'_> {
        self.db.count_commit();
        self.side()
    }

    /// Every key and value of this store label: for tests that must show a value is stored nowhere (an
    /// erasure). Never reachable from a component (Spin's guests only get `get-keys`, which we refuse).
    pub async fn dump(&self) -> Result<Vec<(String, Vec<u8>)>, KvError> {
        match self.side() {
            Side::Sqlite(conn) => {
                let conn = lock(conn);
                let mut statement = conn
                    .prepare("SELECT key, value FROM spin_key_value WHERE store=$1 ORDER BY key")
                    .map_err(other)?;
                let rows = statement
                    .query_map([&self.label], |row| Ok((row.get(0)?, row.get(1)?)))
                    .map_err(other)?;
                rows.collect::<Result<_, _>>().map_err(other)
            }
            Side::Redis(r) => r.dump().await,
        }
    }

    /// Up to `limit` keys and values of this store label after key `after`, in key order (SQLite only:
    /// the copy tool's source).
    pub fn page_after(&self, after: &str, limit: usize) -> Result<Vec<(String, Vec<u8>)>, KvError> {
        let Side::Sqlite(conn) = self.side() else {
            return Err(KvError::Other("paging is for SQLite stores".into()));
        };
        let conn = lock(conn);
        let mut statement = conn
            .prepare_cached(
                "SELECT key, value FROM spin_key_value WHERE store=$1 AND key>$2 ORDER BY key LIMIT $3",
            )
            .map_err(other)?;
        let rows = statement
            .query_map(rusqlite::params![&self.label, after, limit as i64], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .map_err(other)?;
        rows.collect::<Result<_, _>>().map_err(other)
    }

    /// One page of a Redis store's keys and values from `cursor` (see [`redis::Redis::scan`]); `None`
    /// on SQLite, which pages by key ([`KvStore::page_after`]).
    pub async fn scan(
        &self,
        cursor: u64,
        count: usize,
    ) -> Option<Result<(u64, Vec<(String, Vec<u8>)>), KvError>> {
        match self.side() {
            Side::Sqlite(_) => None,
            Side::Redis(r) => Some(r.scan(cursor, count).await),
        }
    }

    /// Whether this store is a Redis server's keyspace (counters are decimal strings there).
    pub fn is_redis(&self) -> bool {
        matches!(self.side(), Side::Redis(_))
    }

    /// Whether the store holds no key at all (on Redis: the whole keyspace, as every label shares it).
    pub async fn is_empty(&self) -> Result<bool, KvError> {
        match self.side() {
            Side::Sqlite(_) => Ok(self.page_after("", 1)?.is_empty()),
            Side::Redis(r) => r.is_empty().await,
        }
    }

    pub async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        match self.side() {
            Side::Sqlite(conn) => lock(conn)
                .prepare_cached(SELECT)
                .map_err(other)?
                .query_row([&self.label, key], |row| row.get::<_, Vec<u8>>(0))
                .optional()
                .map_err(other),
            Side::Redis(r) => r.get(key).await,
        }
    }

    pub async fn write(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        match self.commit_side() {
            Side::Sqlite(conn) => lock(conn)
                .prepare_cached(UPSERT)
                .map_err(other)?
                .execute(rusqlite::params![&self.label, key, value])
                .map(drop)
                .map_err(other),
            Side::Redis(r) => r.set(key, value).await,
        }
    }

    pub async fn remove(&self, key: &str) -> Result<(), KvError> {
        match self.commit_side() {
            Side::Sqlite(conn) => lock(conn)
                .prepare_cached("DELETE FROM spin_key_value WHERE store=$1 AND key=$2")
                .map_err(other)?
                .execute([&self.label, key])
                .map(drop)
                .map_err(other),
            Side::Redis(r) => r.delete_many(vec![key.to_owned()]).await,
        }
    }

    pub async fn contains(&self, key: &str) -> Result<bool, KvError> {
        match self.side() {
            Side::Sqlite(_) => Ok(self.read(key).await?.is_some()),
            Side::Redis(r) => r.exists(key).await,
        }
    }

    /// Spin's `get_many`. SQLite: one `IN rarray(...)` query; only keys that exist come back, in
    /// SQLite's order. Redis: the `KEYS` command (Spin's defect: see [`redis::Redis::get_many`]).
    pub async fn read_many(&self, keys: Vec<String>) -> Result<Vec<Pair>, KvError> {
        if keys.is_empty() {
            return Ok(vec![]);
        }
        match self.side() {
            Side::Sqlite(conn) => {
                let keys: Vec<rusqlite::types::Value> = keys.into_iter().map(Into::into).collect();
                let conn = lock(conn);
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT key, value FROM spin_key_value WHERE store=:name AND key IN rarray(:keys)",
                    )
                    .map_err(other)?;
                let rows = stmt
                    .query_map(
                        named_params! {":name": &self.label, ":keys": Rc::new(keys)},
                        |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<Vec<u8>>>(1)?)),
                    )
                    .map_err(other)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(other)
            }
            Side::Redis(r) => r.get_many(keys).await,
        }
    }

    /// Makes the next `n` `set-many` calls fail as a broken store would, writing nothing (tests of
    /// what a failure in the middle of a request leaves behind).
    pub fn fail_next_writes(&self, n: usize) {
        self.db.failing_writes.store(n, Ordering::SeqCst);
    }

    /// Spin's `set_many`: all pairs in one transaction (one commit) on SQLite, one `MSET` on Redis.
    pub async fn write_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), KvError> {
        if pairs.is_empty() {
            return Ok(());
        }
        if self.db.injected_failure() {
            return Err(KvError::Other("disk I/O error (injected by a test)".into()));
        }
        match self.commit_side() {
            Side::Sqlite(conn) => {
                let mut conn = lock(conn);
                let tx = conn.transaction().map_err(other)?;
                for (k, v) in pairs {
                    tx.prepare_cached(UPSERT)
                        .map_err(other)?
                        .execute(rusqlite::params![&self.label, k, v])
                        .map_err(other)?;
                }
                tx.commit().map_err(other)
            }
            Side::Redis(r) => r.set_many(pairs).await,
        }
    }

    /// Spin's `delete_many`: one `IN rarray(...)` statement on SQLite, one `DEL` on Redis.
    pub async fn remove_many(&self, keys: Vec<String>) -> Result<(), KvError> {
        if keys.is_empty() {
            return Ok(());
        }
        match self.commit_side() {
            Side::Sqlite(conn) => {
                let keys: Vec<rusqlite::types::Value> = keys.into_iter().map(Into::into).collect();
                lock(conn)
                    .prepare_cached(
                        "DELETE FROM spin_key_value WHERE store=:name AND key IN rarray(:keys)",
                    )
                    .map_err(other)?
                    .execute(named_params! {":name": &self.label, ":keys": Rc::new(keys)})
                    .map(drop)
                    .map_err(other)
            }
            Side::Redis(r) => r.delete_many(keys).await,
        }
    }

    /// Spin's `increment`. SQLite: read, add, upsert 8 little-endian bytes, in one transaction; an
    /// absent key counts as 0; a value of any other length is an error (a panic on Spin). Redis:
    /// `INCRBY`, a decimal string.
    pub async fn add(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        let conn = match self.commit_side() {
            Side::Sqlite(conn) => conn,
            Side::Redis(r) => return r.increment(key, delta).await,
        };
        let mut conn = lock(conn);
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

    /// Spin's `atomics::cas::new`: on Redis a connection of its own, as Spin opens one per CAS.
    pub async fn cas(&self, key: &str) -> Result<Cas, KvError> {
        let redis = match self.side() {
            Side::Sqlite(_) => None,
            Side::Redis(r) => Some(r.cas(key).await?),
        };
        Ok(Cas {
            store: self.clone(),
            key: key.to_owned(),
            current: None,
            redis,
        })
    }

    /// Spin's SQLite CAS `swap`: with a remembered old value, `UPDATE ... WHERE value = old` (fails if the
    /// row changed); with none (key was absent at `current`), a plain upsert — not atomic, as on Spin.
    /// Returns whether exactly one row changed.
    fn sqlite_swap(&self, key: &str, old: Option<&[u8]>, new: &[u8]) -> Result<bool, KvError> {
        let Side::Sqlite(conn) = self.commit_side() else {
            unreachable!("only SQLite stores swap this way");
        };
        let mut conn = lock(conn);
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

/// A compare-and-swap in progress (`wasi:keyvalue/atomics.cas`), as Spin's backend keeps it: on
/// SQLite the value read by `current` (a swap with none is a plain overwrite), on Redis a connection
/// with a `WATCH` on the key.
pub struct Cas {
    store: KvStore,
    key: String,
    current: Option<Vec<u8>>,
    redis: Option<redis::Cas>,
}

impl Cas {
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn store(&self) -> &KvStore {
        &self.store
    }

    /// Spin's `current`: reads the value (on Redis after `WATCH`ing the key).
    pub async fn current(&mut self) -> Result<Option<Vec<u8>>, KvError> {
        let value = match &self.redis {
            Some(cas) => cas.current().await?,
            None => self.store.read(&self.key).await?,
        };
        self.current.clone_from(&value);
        Ok(value)
    }

    /// Spin's `swap`: whether the backend answered that the value was swapped in. On Redis that answer
    /// is always no, whether or not the write landed ([`redis::Cas::swap`]).
    pub async fn swap(self, value: &[u8]) -> Result<bool, KvError> {
        match &self.redis {
            Some(cas) => cas.swap(value).await,
            None => self
                .store
                .sqlite_swap(&self.key, self.current.as_deref(), value),
        }
    }
}

fn backend_err(e: KvError) -> BackendError {
    BackendError(e.to_string())
}

/// Tests and benchmarks read and write stored state through shared's typed functions over this: the
/// very calls a component makes, answered as Spin's backend answers them.
impl Backend for KvStore {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        KvStore::read(self, key).await.map_err(backend_err)
    }

    async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<Vec<u8>>>, BackendError> {
        let found = KvStore::read_many(self, keys.clone())
            .await
            .map_err(backend_err)?;
        let map: std::collections::HashMap<String, Option<Vec<u8>>> = found.into_iter().collect();
        Ok(keys.iter().map(|k| map.get(k).cloned().flatten()).collect())
    }

    async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), BackendError> {
        KvStore::write_many(self, pairs).await.map_err(backend_err)
    }

    async fn delete_many(&self, keys: Vec<String>) -> Result<(), BackendError> {
        KvStore::remove_many(self, keys).await.map_err(backend_err)
    }

    async fn increment(&self, key: &str, delta: i64) -> Result<i64, BackendError> {
        KvStore::add(self, key, delta).await.map_err(backend_err)
    }

    /// As the component's `SpinBackend` does it: `current`, compare, `swap`.
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
    ) -> Result<bool, BackendError> {
        let mut cas = self.cas(key).await.map_err(backend_err)?;
        if cas.current().await.map_err(backend_err)?.as_deref() != Some(expected) {
            return Ok(false);
        }
        cas.swap(&new).await.map_err(backend_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    fn store() -> KvStore {
        Database::open(Location::InMemory).unwrap().store("default")
    }

    #[test]
    fn increment_stores_eight_little_endian_bytes() {
        let s = store();
        assert_eq!(block_on(s.add("c", 1)).unwrap(), 1);
        assert_eq!(block_on(s.add("c", 2)).unwrap(), 3);
        assert_eq!(block_on(s.add("c", -10)).unwrap(), -7);
        assert_eq!(
            block_on(s.read("c")).unwrap().unwrap(),
            (-7i64).to_le_bytes().to_vec()
        );
    }

    #[test]
    fn increment_fails_on_a_key_holding_anything_else() {
        let s = store();
        block_on(s.write("c", b"12")).unwrap();
        assert!(matches!(
            block_on(s.add("c", 1)),
            Err(KvError::NotACounter(_))
        ));
    }

    #[test]
    fn a_swap_without_an_old_value_is_a_plain_overwrite() {
        let s = store();
        block_on(s.write("k", b"someone else")).unwrap();
        assert!(s.sqlite_swap("k", None, b"mine").unwrap());
        assert_eq!(block_on(s.read("k")).unwrap().unwrap(), b"mine");
        assert!(!s.sqlite_swap("k", Some(b"stale"), b"again").unwrap());
    }

    #[test]
    fn get_many_returns_only_existing_keys() {
        let s = store();
        block_on(s.write_many(vec![
            ("a".into(), b"1".to_vec()),
            ("b".into(), b"2".to_vec()),
        ]))
        .unwrap();
        let mut got = block_on(s.read_many(vec!["a".into(), "zz".into(), "b".into()])).unwrap();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("a".into(), Some(b"1".to_vec())),
                ("b".into(), Some(b"2".to_vec()))
            ]
        );
        block_on(s.remove_many(vec!["a".into()])).unwrap();
        assert!(block_on(s.read("a")).unwrap().is_none());
    }

    #[test]
    fn stores_with_different_labels_are_separate() {
        let db = Database::open(Location::InMemory).unwrap();
        block_on(db.store("a").write("k", b"1")).unwrap();
        assert!(block_on(db.store("b").read("k")).unwrap().is_none());
    }
}
