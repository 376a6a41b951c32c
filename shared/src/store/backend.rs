//! The handful of key-value operations the typed store is built on, and Spin's implementation of them.
//!
//! Components use [`SpinBackend`]; the test host implements [`Backend`] over its own SQLite store so that
//! tests read stored state through exactly the same typed functions and key formats.

use std::future::Future;

/// A failure of the underlying store (I/O, denied access, a value of the wrong shape).
#[derive(Debug, thiserror::Error)]
#[error("key-value store: {0}")]
pub struct BackendError(pub String);

/// The operations every Spin key-value backend offers (`spin:key-value` plus `wasi:keyvalue` atomics/batch).
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
}

/// Spin's key-value store: `wasi:keyvalue` batch and atomics for writes and counters, which Spin
/// implements on every backend (SQLite, Redis, Cosmos, DynamoDB).
#[cfg(target_arch = "wasm32")]
pub struct SpinBackend {
    bucket: spin_sdk::experimental::wasi::keyvalue::store::Bucket,
}

#[cfg(target_arch = "wasm32")]
mod spin {
    use super::{Backend, BackendError, SpinBackend};
    use spin_sdk::experimental::wasi::keyvalue::{atomics, batch, store};
    use std::collections::HashMap;

    impl From<store::Error> for BackendError {
        fn from(e: store::Error) -> Self {
            BackendError(match e {
                store::Error::NoSuchStore => "no such store".into(),
                store::Error::AccessDenied => "access denied".into(),
                store::Error::Other(msg) => msg,
            })
        }
    }

    impl SpinBackend {
        pub fn open(label: &str) -> Result<Self, BackendError> {
            Ok(Self {
                bucket: store::open(label)?,
            })
        }
    }

    impl Backend for SpinBackend {
        async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
            Ok(self.bucket.get(key)?)
        }

        async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<Vec<u8>>>, BackendError> {
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            // Backends may leave absent keys out of the answer, so match values to keys by name.
            let found: HashMap<String, Option<Vec<u8>>> =
                batch::get_many(&self.bucket, &keys)?.into_iter().collect();
            Ok(keys
                .iter()
                .map(|k| found.get(k).cloned().flatten())
                .collect())
        }

        async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), BackendError> {
            Ok(batch::set_many(&self.bucket, &pairs)?)
        }

        async fn delete_many(&self, keys: Vec<String>) -> Result<(), BackendError> {
            Ok(batch::delete_many(&self.bucket, &keys)?)
        }

        async fn increment(&self, key: &str, delta: i64) -> Result<i64, BackendError> {
            Ok(atomics::increment(&self.bucket, key, delta)?)
        }

        async fn compare_and_swap(
            &self,
            key: &str,
            expected: &[u8],
            new: Vec<u8>,
        ) -> Result<bool, BackendError> {
            let cas = atomics::Cas::new(&self.bucket, key)?;
            if cas.current()?.as_deref() != Some(expected) {
                return Ok(false);
            }
            match atomics::swap(cas, &new) {
                Ok(()) => Ok(true),
                Err(atomics::CasError::CasFailed(_)) => Ok(false),
                Err(atomics::CasError::StoreError(e)) => Err(e.into()),
            }
        }
    }
}
