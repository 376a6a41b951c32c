//! The handful of key-value operations the typed store is built on, and Spin's implementation of them.
//!
//! Components use [`SpinBackend`]; the test host implements [`Backend`] over its own SQLite store so that
//! tests read stored state through exactly the same typed functions and key formats.

use std::future::Future;

/// A failure of the underlying store (I/O, denied access, a value of the wrong shape).
#[derive(Debug, thiserror::Error)]
#[error("key-value store: {0}")]
pub struct BackendError(pub String);

/// Which of a backend's calls the store may rely on. Spin's backends differ (README, "Storage"): on
/// Redis `get-many` is sent as `KEYS` and compare-and-swap answers at random, so everywhere but SQLite
/// the store reads many keys with concurrent single `get`s and changes records under `increment` claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Spin's SQLite store: every call is correct; `get-many` is one query.
    Sqlite,
    /// Any other backend: only `get`, `set-many`, `delete-many` and `increment` are relied on.
    Portable,
}

impl Flavour {
    /// The backend's name as a health probe reports it, from the same counter [`Flavour::of_zero_counter`]
    /// reads: `sqlite`, `redis` (the decimal string `0`), or `other` (Cosmos, DynamoDB, ...).
    pub fn name_of_zero_counter(bytes: &[u8]) -> &'static str {
        match Self::of_zero_counter(bytes) {
            Self::Sqlite => "sqlite",
            Self::Portable if bytes == b"0" => "redis",
            Self::Portable => "other",
        }
    }

    /// Tells the backend from how it stored a counter that was only ever incremented by 0: SQLite
    /// writes 8 little-endian bytes, Redis the decimal string `0`, the others documents of their own.
    pub fn of_zero_counter(bytes: &[u8]) -> Self {
        if bytes == [0u8; 8] {
            Self::Sqlite
        } else {
            Self::Portable
        }
    }
}

/// Finds out which backend `backend` is: reads the probe counter, creating it (with 0) the first time.
pub async fn probe<B: Backend + ?Sized>(backend: &B) -> Result<Flavour, BackendError> {
    let key = super::keys::Key::BackendProbe.to_string();
    let bytes = match backend.get(&key).await? {
        Some(bytes) => bytes,
        None => {
            backend.increment(&key, 0).await?;
            backend.get(&key).await?.unwrap_or_default()
        }
    };
    Ok(Flavour::of_zero_counter(&bytes))
}

impl BackendError {
    /// Whether the store could not be reached (connection refused, reset or timed out) or could not
    /// take a write for want of space (SQLite's `SQLITE_FULL`: the transaction rolled back), rather
    /// than answering with an error: the client may retry later (503), nothing was written. Spin passes
    /// a backend's error to the guest as its text only, so the text is all there is to go by.
    pub fn unreachable(&self) -> bool {
        let text = self.0.to_ascii_lowercase();
        [
            "connection refused",
            "connectionrefused",
            "connection reset",
            "connectionreset",
            "broken pipe",
            "brokenpipe",
            "timed out",
            "timedout",
            "not connected",
            "notconnected",
            "connection closed",
            "unexpectedeof",
            "database or disk is full",
            "diskfull",
            "no space left on device",
        ]
        .iter()
        .any(|sign| text.contains(sign))
    }
}

/// The operations every Spin key-value backend offers (`spin:key-value` plus `wasi:keyvalue` atomics/batch),
/// exactly as the backend answers them: the store decides which to trust by [`Backend::flavour`].
pub trait Backend {
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, BackendError>>;
    /// Values in the order of `keys`; `None` where a key is absent.
    fn get_many(
        &self,
        keys: Vec<String>,
    ) -> impl Future<Output = Result<Vec<Option<Vec<u8>>>, BackendError>>;
    /// Writes all pairs in one call (one transaction on Spin's SQLite store).
    fn set_many(
        &self,
        pairs: Vec<(String, Vec<u8>)>,
    ) -> impl Future<Output = Result<(), BackendError>>;
    fn delete_many(&self, keys: Vec<String>) -> impl Future<Output = Result<(), BackendError>>;
    /// Atomically adds `delta` to the counter at `key` (absent = 0) and returns the new value.
    fn increment(&self, key: &str, delta: i64) -> impl Future<Output = Result<i64, BackendError>>;
    /// Writes `new` at `key` only if the key still holds `expected`; answers whether it did. Atomic for
    /// keys that exist (on Spin's SQLite store a swap on an absent key is a plain write: create records
    /// under a claim instead).
    fn compare_and_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
    ) -> impl Future<Output = Result<bool, BackendError>>;
    /// Reads `key` within `millis` (a health probe): a backend whose calls may block, as Spin's Redis
    /// client does through an outage, answers "timed out" instead. An in-process backend just reads.
    fn get_within(
        &self,
        key: &str,
        millis: u64,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, BackendError>> {
        let _ = millis;
        self.get(key)
    }

    /// Which backend this is ([`probe`]); Spin's backend remembers it for the instance's life.
    fn flavour(&self) -> impl Future<Output = Result<Flavour, BackendError>> {
        probe(self)
    }
}

/// Spin's key-value store: `spin:key-value` (async) for single reads, so that reads of several keys on
/// a backend whose `get-many` cannot be trusted run concurrently; `wasi:keyvalue` batch and atomics
/// for writes and counters, which Spin implements on every backend.
#[cfg(target_arch = "wasm32")]
pub struct SpinBackend {
    label: String,
    /// Opened at the first read (opening is async; `Store::open` is not).
    reader: std::cell::OnceCell<spin_sdk::key_value::Store>,
    /// Opened at the first write or counter ([`SpinBackend::bucket`]).
    bucket: std::cell::OnceCell<spin_sdk::experimental::wasi::keyvalue::store::Bucket>,
    /// Set once a read within the deadline showed that the store answers ([`SpinBackend::reachable`]).
    reachable: std::cell::OnceCell<()>,
}

#[cfg(target_arch = "wasm32")]
mod spin {
    use crate::store::backend::{Backend, BackendError, Flavour, SpinBackend, probe};
    use spin_sdk::experimental::wasi::keyvalue::{atomics, batch, store};
    use std::cell::RefCell;
    use std::collections::HashMap;

    thread_local! {
        /// Which backend each store label is on: a fact about the runtime config, the same for every
        /// request this instance serves, so it is probed once per instance rather than per request.
        static FLAVOURS: RefCell<HashMap<String, Flavour>> = RefCell::default();
    }

    impl From<store::Error> for BackendError {
        fn from(e: store::Error) -> Self {
            BackendError(match e {
                store::Error::NoSuchStore => "no such store".into(),
                store::Error::AccessDenied => "access denied".into(),
                store::Error::Other(msg) => msg,
            })
        }
    }

    impl From<spin_sdk::key_value::Error> for BackendError {
        fn from(e: spin_sdk::key_value::Error) -> Self {
            BackendError(match e {
                spin_sdk::key_value::Error::StoreTableFull => "too many stores open".into(),
                spin_sdk::key_value::Error::NoSuchStore => "no such store".into(),
                spin_sdk::key_value::Error::AccessDenied => "access denied".into(),
                spin_sdk::key_value::Error::Other(msg) => msg,
            })
        }
    }

    impl SpinBackend {
        /// Opens nothing yet: the first call does (see [`SpinBackend::bucket`]).
        pub fn open(label: &str) -> Result<Self, BackendError> {
            Ok(Self {
                label: label.to_owned(),
                reader: std::cell::OnceCell::new(),
                bucket: std::cell::OnceCell::new(),
                reachable: std::cell::OnceCell::new(),
            })
        }

        /// Spin's Redis client waits out a server outage for as long as it lasts, and `wasi:keyvalue`
        /// calls block the instance and cannot be timed out. So off SQLite, before its first call a
        /// request reads one key within the deadline; if the store does not answer, the request fails
        /// (503) having written nothing. Once per request: a deadline on every read would cost a timer
        /// each, and a page of the feed makes hundreds of reads.
        async fn reachable(&self) -> Result<(), BackendError> {
            if self.reachable.get().is_some() {
                return Ok(());
            }
            let known = FLAVOURS.with_borrow(|f| f.get(&self.label).copied());
            if known != Some(Flavour::Sqlite) {
                let probe = crate::store::keys::Key::BackendProbe.to_string();
                within_deadline(self.reader().await?.exists(&probe)).await?;
            }
            let _ = self.reachable.set(());
            Ok(())
        }

        /// The `wasi:keyvalue` bucket for writes, counters and batch reads, opened once the store
        /// answered ([`SpinBackend::reachable`]).
        async fn bucket(&self) -> Result<&store::Bucket, BackendError> {
            if let Some(bucket) = self.bucket.get() {
                return Ok(bucket);
            }
            self.reachable().await?;
            let opened = store::open(&self.label)?;
            Ok(self.bucket.get_or_init(|| opened))
        }

        async fn reader(&self) -> Result<&spin_sdk::key_value::Store, BackendError> {
            if let Some(reader) = self.reader.get() {
                return Ok(reader);
            }
            let opened = within_deadline(spin_sdk::key_value::Store::open(&self.label)).await?;
            // Two reads racing to open both succeed; the second store handle is dropped.
            Ok(self.reader.get_or_init(|| opened))
        }
    }

    /// How long the first read of a request may take before the store counts as out of reach.
    const READ_DEADLINE_MILLIS: u64 = 5_000;

    /// Waits for a read up to the deadline; a read that misses it is dropped (the host's call with it).
    async fn within_deadline<T>(
        call: impl std::future::Future<Output = Result<T, spin_sdk::key_value::Error>>,
    ) -> Result<T, BackendError> {
        within(READ_DEADLINE_MILLIS, async { Ok(call.await?) }).await
    }

    /// Waits for `call` up to `millis`; a call that misses it is dropped, and is "timed out".
    async fn within<T>(
        millis: u64,
        call: impl std::future::Future<Output = Result<T, BackendError>>,
    ) -> Result<T, BackendError> {
        use futures::future::{Either, select};
        let call = std::pin::pin!(call);
        let deadline = std::pin::pin!(crate::time::pause(millis));
        match select(call, deadline).await {
            Either::Left((answer, _)) => answer,
            Either::Right(((), _)) => Err(BackendError(format!(
                "the store did not answer a read within {millis} ms (timed out)"
            ))),
        }
    }

    impl Backend for SpinBackend {
        async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
            self.reachable().await?;
            Ok(self.reader().await?.get(key).await?)
        }

        async fn get_within(
            &self,
            key: &str,
            millis: u64,
        ) -> Result<Option<Vec<u8>>, BackendError> {
            // Opening the store is part of the read: a stalled client may hang there too.
            let read = within(millis, async { Ok(self.reader().await?.get(key).await?) }).await?;
            let _ = self.reachable.set(());
            Ok(read)
        }

        async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<Vec<u8>>>, BackendError> {
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            // Backends may leave absent keys out of the answer, so match values to keys by name.
            let found: HashMap<String, Option<Vec<u8>>> =
                batch::get_many(self.bucket().await?, &keys)?
                    .into_iter()
                    .collect();
            Ok(keys
                .iter()
                .map(|k| found.get(k).cloned().flatten())
                .collect())
        }

        async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), BackendError> {
            Ok(batch::set_many(self.bucket().await?, &pairs)?)
        }

        async fn delete_many(&self, keys: Vec<String>) -> Result<(), BackendError> {
            Ok(batch::delete_many(self.bucket().await?, &keys)?)
        }

        async fn increment(&self, key: &str, delta: i64) -> Result<i64, BackendError> {
            Ok(atomics::increment(self.bucket().await?, key, delta)?)
        }

        async fn compare_and_swap(
            &self,
            key: &str,
            expected: &[u8],
            new: Vec<u8>,
        ) -> Result<bool, BackendError> {
            let cas = atomics::Cas::new(self.bucket().await?, key)?;
            if cas.current()?.as_deref() != Some(expected) {
                return Ok(false);
            }
            match atomics::swap(cas, &new) {
                Ok(()) => Ok(true),
                Err(atomics::CasError::CasFailed(_)) => Ok(false),
                Err(atomics::CasError::StoreError(e)) => Err(e.into()),
            }
        }

        async fn flavour(&self) -> Result<Flavour, BackendError> {
            if let Some(known) = FLAVOURS.with_borrow(|f| f.get(&self.label).copied()) {
                return Ok(known);
            }
            let found = probe(self).await?;
            FLAVOURS.with_borrow_mut(|f| f.insert(self.label.clone(), found));
            Ok(found)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BackendError;

    #[test]
    fn a_lost_connection_and_a_full_disk_are_unavailable_and_other_errors_are_not() {
        for text in [
            "Io(Custom { kind: ConnectionRefused, error: \"connect\" })",
            "database or disk is full",
            "SqliteFailure(Error { code: DiskFull, extended_code: 13 }, Some(\"database or disk is full\"))",
        ] {
            assert!(BackendError(text.into()).unreachable(), "{text}");
        }
        assert!(!BackendError("no such table: spin_key_value".into()).unreachable());
    }
}
