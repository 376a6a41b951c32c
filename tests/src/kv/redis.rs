//! Spin's Redis key-value backend rebuilt (spinframework/spin `crates/key-value-redis/src/store.rs`,
//! Spin 4.1): the same client crate and the same command for each call, so the guest sees what it sees
//! on Spin, defects included:
//! - `get-many` is sent as `KEYS key1 key2 ...`: with two or more keys Redis refuses it ("wrong number
//!   of arguments"); with one it is a pattern match whose answer is not a value;
//! - a compare-and-swap `WATCH`es the key on a connection of its own, runs `MULTI / SET / EXEC` without
//!   looking at whether `EXEC` was aborted, then sends `UNWATCH <key>`, which Redis refuses, and reports
//!   that refusal as a failed swap: the answer is "failed" whether or not the write landed;
//! - counters are `INCRBY` decimal strings; the store label is ignored (one keyspace for all labels).
//!
//! Errors reach the guest as their debug text, as Spin's `log_error` passes them.

use super::{KvError, Pair, RedisServer};
use anyhow::Result;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

fn spin_error(e: redis::RedisError) -> KvError {
    KvError::Other(format!("{e:?}"))
}

/// One Redis client for every store label, connected at the first call.
pub struct Redis {
    url: String,
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    /// The server this engine started (tests), stopped when the engine goes.
    server: Option<RedisServer>,
}

impl Redis {
    pub fn new(url: String, server: Option<RedisServer>) -> Result<Self> {
        Ok(Self {
            client: redis::Client::open(url.as_str())?,
            url,
            connection: OnceCell::new(),
            server,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn server(&self) -> Option<&RedisServer> {
        self.server.as_ref()
    }

    async fn connection(&self) -> Result<ConnectionManager, KvError> {
        self.connection
            .get_or_try_init(|| self.client.get_connection_manager())
            .await
            .cloned()
            .map_err(spin_error)
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.connection()
            .await?
            .get::<_, Option<Vec<u8>>>(key)
            .await
            .map_err(spin_error)
    }

    pub async fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.connection()
            .await?
            .set(key, value)
            .await
            .map_err(spin_error)
    }

    pub async fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.connection()
            .await?
            .exists(key)
            .await
            .map_err(spin_error)
    }

    /// Spin's `get_many`: the keys go to the `KEYS` command (its defect, reproduced on purpose).
    pub async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Pair>, KvError> {
        self.connection()
            .await?
            .keys::<_, Vec<Pair>>(keys)
            .await
            .map_err(spin_error)
    }

    pub async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), KvError> {
        self.connection()
            .await?
            .mset(&pairs)
            .await
            .map_err(spin_error)
    }

    pub async fn delete_many(&self, keys: Vec<String>) -> Result<(), KvError> {
        self.connection().await?.del(keys).await.map_err(spin_error)
    }

    pub async fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.connection()
            .await?
            .incr(key, delta)
            .await
            .map_err(spin_error)
    }

    /// Spin's `new_compare_and_swap`: a connection of its own for the transaction.
    pub async fn cas(&self, key: &str) -> Result<Cas, KvError> {
        Ok(Cas {
            key: key.to_owned(),
            connection: self
                .client
                .get_connection_manager()
                .await
                .map_err(spin_error)?,
        })
    }

    /// Whether the server holds no key (`DBSIZE`).
    pub async fn is_empty(&self) -> Result<bool, KvError> {
        let size: u64 = redis::cmd("DBSIZE")
            .query_async(&mut self.connection().await?)
            .await
            .map_err(spin_error)?;
        Ok(size == 0)
    }

    /// One page of every key and value: `SCAN cursor COUNT count`, then each value (a key gone meanwhile
    /// is left out); answers the next cursor (0: done). The backup tool's reading path: a running app
    /// is never blocked, as `KEYS *` would block it.
    pub async fn scan(
        &self,
        cursor: u64,
        count: usize,
    ) -> Result<(u64, Vec<(String, Vec<u8>)>), KvError> {
        let mut connection = self.connection().await?;
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(count)
            .query_async(&mut connection)
            .await
            .map_err(spin_error)?;
        let mut page = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(value) = connection
                .get::<_, Option<Vec<u8>>>(&key)
                .await
                .map_err(spin_error)?
            {
                page.push((key, value));
            }
        }
        Ok((next, page))
    }

    /// Every key and value (tests only): `KEYS *`, then each value.
    pub async fn dump(&self) -> Result<Vec<(String, Vec<u8>)>, KvError> {
        let mut connection = self.connection().await?;
        let mut keys: Vec<String> = connection.keys("*").await.map_err(spin_error)?;
        keys.sort();
        let mut all = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(value) = connection
                .get::<_, Option<Vec<u8>>>(&key)
                .await
                .map_err(spin_error)?
            {
                all.push((key, value));
            }
        }
        Ok(all)
    }
}

/// Spin's Redis `CompareAndSwap`.
pub struct Cas {
    key: String,
    connection: ConnectionManager,
}

impl Cas {
    /// `WATCH key`, then `GET key`.
    pub async fn current(&self) -> Result<Option<Vec<u8>>, KvError> {
        redis::cmd("WATCH")
            .arg(&self.key)
            .exec_async(&mut self.connection.clone())
            .await
            .map_err(spin_error)?;
        self.connection
            .clone()
            .get::<_, Option<Vec<u8>>>(&self.key)
            .await
            .map_err(spin_error)
    }

    /// `MULTI / SET / EXEC`, outcome not looked at; then `UNWATCH key`, which Redis refuses, so the
    /// answer is always that the swap failed (`false`), as Spin reports it.
    pub async fn swap(&self, value: &[u8]) -> Result<bool, KvError> {
        let written: Result<(), redis::RedisError> = redis::pipe()
            .atomic()
            .set(&self.key, value)
            .query_async(&mut self.connection.clone())
            .await;
        let unwatched = redis::cmd("UNWATCH")
            .arg(&self.key)
            .exec_async(&mut self.connection.clone())
            .await;
        Ok(unwatched.is_ok() && written.is_ok())
    }
}
