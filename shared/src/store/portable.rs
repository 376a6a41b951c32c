//! The two store calls that are not correct on every Spin backend, done safely on each: reading many
//! keys, and changing a value only if it is still as read.
//!
//! On Spin's SQLite store both are single calls (`get-many`, compare-and-swap). On Redis Spin sends
//! `get-many` as `KEYS` and answers a compare-and-swap without knowing whether it landed, so there the
//! store reads with concurrent single `get`s and swaps under an `increment` claim:
//!
//! 1. The swapper takes `swap:{key}:{state}:{epoch}`, a counter named after the state it read (a hash of
//!    its bytes) and the current claim epoch ([`EPOCH_MILLIS`]). `increment` hands 1 to exactly one
//!    caller: the only one allowed to move the value out of that state in that epoch.
//! 2. The holder reads the value again: if it is no longer the state it claimed, someone moved it first.
//!    Otherwise it writes the new value, then deletes the claim (so a state that comes back later can be
//!    claimed again; a later holder of the same claim reads the new value and stands down).
//! 3. A holder that died before writing blocks changes from that state only until its epoch ends. A
//!    holder writes only while more than [`MARGIN_MILLIS`] of its epoch is left, so its write has landed
//!    before anyone can hold the next epoch's claim (which assumes instance clocks agree, and a write
//!    lands, within that margin). A swapper in that last margin waits for the next epoch instead.
//!
//! A caller that loses the claim waits (briefly) for the winner's write, so that its next read sees it.

use super::backend::{Backend, Flavour};
use super::{Key, Store, StoreError};
use crate::time::{Timestamp, pause};
use futures::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

/// Length of a claim epoch: how long a swapper that died mid-swap can hold up changes of one value.
pub const EPOCH_MILLIS: i64 = 60_000;
/// The end of each epoch in which no holder writes any more.
pub const MARGIN_MILLIS: i64 = 1_000;
/// How many single reads run at once for one batch read. Few: with 32, a sustained load of feed pages
/// (8 clients, about 200 reads a page) stalled Spin 4.1's Redis client for good (its connection went
/// idle, reads never answered); with 4 the same benchmark ran through, at 205 pages/s.
const READS_IN_FLIGHT: usize = 4;
/// How long a swapper that lost its claim waits for the winner's write, and how often it looks.
const LOSER_WAIT_MILLIS: u64 = 2_000;
const LOSER_POLL_MILLIS: u64 = 10;

impl<B: Backend> Store<B> {
    /// Which backend the store is on, probed at the first call that needs to know.
    pub(super) async fn flavour(&self) -> Result<Flavour, StoreError> {
        if let Some(known) = self.flavour.get() {
            return Ok(known);
        }
        let found = self.backend.flavour().await?;
        self.flavour.set(Some(found));
        Ok(found)
    }

    /// Values in the order of `keys`, `None` where a key is absent.
    pub(super) async fn read_many(
        &self,
        keys: Vec<String>,
    ) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        match self.flavour().await? {
            Flavour::Sqlite => Ok(self.backend.get_many(keys).await?),
            Flavour::Portable => Ok(futures::stream::iter(&keys)
                .map(|key| self.backend.get(key))
                .buffered(READS_IN_FLIGHT)
                .try_collect()
                .await?),
        }
    }

    /// Writes `new` at `key` only if the key still holds `expected`; answers whether it did.
    pub(super) async fn swap(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
    ) -> Result<bool, StoreError> {
        if self.flavour().await? == Flavour::Sqlite {
            return Ok(self.backend.compare_and_swap(key, expected, new).await?);
        }
        let state = state_name(expected);
        let epoch = loop {
            let now = Timestamp::now().unix_millis();
            match writable_epoch(now) {
                Some(epoch) => break epoch,
                None => pause(wait_for_next_epoch(now)).await,
            }
        };
        let claim = Key::SwapClaim {
            key,
            state: &state,
            epoch,
        }
        .to_string();
        if self.backend.increment(&claim, 1).await? != 1 {
            self.await_change(key, expected).await?;
            return Ok(false);
        }
        let swapped = self.swap_held(key, expected, new, epoch).await;
        // Released whatever happened: a later holder of this claim reads the value before writing.
        let released = self.backend.delete_many(vec![claim]).await;
        let swapped = swapped?;
        released?;
        Ok(swapped)
    }

    /// Step 2 of the protocol, for the holder of the claim of `expected` in `epoch`.
    async fn swap_held(
        &self,
        key: &str,
        expected: &[u8],
        new: Vec<u8>,
        epoch: i64,
    ) -> Result<bool, StoreError> {
        if self.backend.get(key).await?.as_deref() != Some(expected) {
            return Ok(false);
        }
        if writable_epoch(Timestamp::now().unix_millis()) != Some(epoch) {
            return Ok(false);
        }
        self.backend.set_many(vec![(key.to_owned(), new)]).await?;
        Ok(true)
    }

    /// Waits until `key` no longer holds `expected` (the winner of the claim wrote), or a while.
    async fn await_change(&self, key: &str, expected: &[u8]) -> Result<(), StoreError> {
        let mut waited = 0;
        while waited < LOSER_WAIT_MILLIS {
            if self.backend.get(key).await?.as_deref() != Some(expected) {
                return Ok(());
            }
            pause(LOSER_POLL_MILLIS).await;
            waited += LOSER_POLL_MILLIS;
        }
        Ok(())
    }
}

/// The name of a stored state in a claim key: a hash of its exact bytes.
fn state_name(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The epoch a claim taken at `now` belongs to, or `None` in the last margin of an epoch, where a
/// holder could no longer be sure to write before the next epoch's claims begin.
fn writable_epoch(now: i64) -> Option<i64> {
    let epoch = now.div_euclid(EPOCH_MILLIS);
    let left = (epoch + 1) * EPOCH_MILLIS - now;
    (left > MARGIN_MILLIS).then_some(epoch)
}

/// Milliseconds from `now` (in an epoch's last margin) to the start of the next epoch.
fn wait_for_next_epoch(now: i64) -> u64 {
    let next = (now.div_euclid(EPOCH_MILLIS) + 1) * EPOCH_MILLIS;
    (next - now).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_writable_until_the_last_margin_of_its_epoch() {
        assert_eq!(writable_epoch(0), Some(0));
        assert_eq!(writable_epoch(EPOCH_MILLIS - MARGIN_MILLIS - 1), Some(0));
        assert_eq!(writable_epoch(EPOCH_MILLIS - MARGIN_MILLIS), None);
        assert_eq!(writable_epoch(EPOCH_MILLIS - 1), None);
        assert_eq!(writable_epoch(EPOCH_MILLIS), Some(1));
        assert_eq!(wait_for_next_epoch(EPOCH_MILLIS - 10), 10);
    }

    #[test]
    fn states_are_named_by_their_exact_bytes() {
        assert_eq!(state_name(b"a"), state_name(b"a"));
        assert_ne!(state_name(b"a"), state_name(b"a "));
        assert_eq!(state_name(b"").len(), 32);
    }
}
