//! An in-memory [`Backend`] for unit tests of the store's logic natively, and a way to run its futures.

use super::{Backend, BackendError};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;

/// Runs a future whose every await is ready at once (the memory store and the fake are synchronous).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}

/// A store in a shared map: clones see the same data, so a test keeps one to look inside.
#[derive(Clone, Default)]
pub struct Memory(pub Rc<RefCell<HashMap<String, Vec<u8>>>>);

impl Backend for Memory {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self.0.borrow().get(key).cloned())
    }
    async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<Vec<u8>>>, BackendError> {
        let map = self.0.borrow();
        Ok(keys.iter().map(|k| map.get(k).cloned()).collect())
    }
    async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), BackendError> {
        self.0.borrow_mut().extend(pairs);
        Ok(())
    }
    async fn delete_many(&self, keys: Vec<String>) -> Result<(), BackendError> {
        let mut map = self.0.borrow_mut();
        for k in keys {
            map.remove(&k);
        }
        Ok(())
    }
    async fn increment(&self, key: &str, delta: i64) -> Result<i64, BackendError> {
        let mut map = self.0.borrow_mut();
        let current = map
            .get(key)
            .map(|v| i64::from_le_bytes(v.as_slice().try_into().expect("a counter")))
            .unwrap_or(0);
        map.insert(key.to_owned(), (current + delta).to_le_bytes().to_vec());
        Ok(current + delta)
    }
    async fn compare_and_swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
    ) -> Result<bool, BackendError> {
        let mut map = self.0.borrow_mut();
        if map.get(key).map(Vec::as_slice) != Some(expected) {
            return Ok(false);
        }
        map.insert(key.to_owned(), new);
        Ok(true)
    }
}
