//! The rate limit's state: a fixed table of [`RATE_SLOTS`] keys (`rate:slot:{n}`), each holding the
//! counts of the clients whose bucket hashes to it (and the uses of render tokens, each a bucket of its
//! own whose window ends when the token expires), so the key space stays bounded however many
//! addresses post. Capture batches read and rewrite the slots of their posts ([`super::capture`]); the
//! retention run's sweep ([`Store::sweep_rate_limits`]) clears what they leave behind, so no client's
//! bucket (a keyed hash of its address) is kept past its window.

use super::backend::Backend;
use super::core::{Store, StoreError, decode};
use super::keys::Key;
use crate::records::SCHEMA_VERSION;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many slots the table has: the most keys the rate limit ever holds. Enough that clients rarely
/// share one (a slot write carries every client in it), few enough that the sweep reads them all each
/// run in a few dozen `get-many`s.
pub const RATE_SLOTS: u32 = 16_384;

/// Slots the sweep reads per `get-many`.
const SWEEP_PAGE: u32 = 512;

/// What one sweep of the slot table found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Client entries read.
    pub examined: u64,
    /// Client entries cleared (or, dry, that would be).
    pub changed: u64,
}

/// The slot of a client's bucket: FNV-1a of the bucket, its bits mixed by MurmurHash3's finaliser
/// (FNV's low bits alone spread similar names unevenly). The bucket is a keyed hash already, not chosen
/// by the client, so a plain stable hash suffices.
pub fn rate_slot(client: &str) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in client.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^= hash >> 33;
    (hash % u64::from(RATE_SLOTS)) as u32
}

/// One slot of the table: the clients that hash to it, each with its count in its current window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateSlot {
    v: u32,
    clients: BTreeMap<String, RateEntry>,
}

/// One client's posts in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateEntry {
    /// When the window ends (Unix seconds). Kept rather than the window's number so the sweep needs no
    /// setting to tell a finished window: the limit's length may even change between runs.
    pub until: u64,
    pub count: u64,
}

impl Default for RateSlot {
    fn default() -> Self {
        Self {
            v: SCHEMA_VERSION,
            clients: BTreeMap::new(),
        }
    }
}

impl RateSlot {
    /// Counts one post of `client` in the window ending at `until`; answers the client's count in that
    /// window, this post included.
    pub fn count(&mut self, client: &str, until: u64) -> u64 {
        let entry = self
            .clients
            .entry(client.to_owned())
            .or_insert(RateEntry { until, count: 0 });
        if entry.until != until {
            *entry = RateEntry { until, count: 0 };
        }
        entry.count += 1;
        entry.count
    }

    /// Drops every entry whose window ended at or before `now` (Unix seconds); answers how many.
    pub fn expire(&mut self, now: u64) -> usize {
        let before = self.clients.len();
        self.clients.retain(|_, entry| entry.until > now);
        before - self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// The clients in this slot and their entries.
    pub fn clients(&self) -> impl Iterator<Item = (&str, RateEntry)> {
        self.clients
            .iter()
            .map(|(client, entry)| (client.as_str(), *entry))
    }
}

impl<B: Backend> Store<B> {
    /// Clears the entries whose window ended by `now` from every slot (all [`RATE_SLOTS`], read in
    /// pages): a slot left empty is deleted, one still holding live entries is rewritten, one with
    /// nothing expired is left alone. (A batch drops a slot's finished windows when it writes it, so what
    /// the sweep finds is what quiet slots kept: rewrites are of slots whose clients' windows ended while
    /// a render token's entry, up to a day long, lives on.) `examined` counts the entries read, `changed`
    /// those cleared (or, dry, that would be).
    pub async fn sweep_rate_limits(
        &self,
        now: Timestamp,
        dry_run: bool,
    ) -> Result<SweepReport, StoreError> {
        let now_s = now.unix_seconds();
        let mut report = SweepReport::default();
        for first in (0..RATE_SLOTS).step_by(SWEEP_PAGE as usize) {
            let keys: Vec<String> = (first..(first + SWEEP_PAGE).min(RATE_SLOTS))
                .map(|n| Key::RateSlot(n).to_string())
                .collect();
            let values = self.read_many(keys.clone()).await?;
            let mut emptied = Vec::new();
            for (key, stored) in keys.into_iter().zip(values) {
                let Some(stored) = stored else { continue };
                let mut slot: RateSlot = decode(&key, &stored)?;
                report.examined += slot.len() as u64;
                let cleared = slot.expire(now_s);
                report.changed += cleared as u64;
                if cleared == 0 || dry_run {
                    continue;
                }
                if slot.is_empty() {
                    emptied.push(key);
                } else {
                    // Swapped only if no capture batch rewrote the slot since it was read: a batch's
                    // counts must not be undone, and it dropped the expired entries itself.
                    let value = serde_json::to_vec(&slot).map_err(StoreError::Encode)?;
                    self.swap(&key, &stored, value).await?;
                }
            }
            if !emptied.is_empty() {
                self.backend.delete_many(emptied).await?;
            }
        }
        Ok(report)
    }

    /// Every stored slot with its number, in order (for tests and tools: it reads the whole table).
    pub async fn rate_slots(&self) -> Result<Vec<(u32, RateSlot)>, StoreError> {
        let mut slots = Vec::new();
        for first in (0..RATE_SLOTS).step_by(SWEEP_PAGE as usize) {
            let numbers: Vec<u32> = (first..(first + SWEEP_PAGE).min(RATE_SLOTS)).collect();
            let keys: Vec<String> = numbers
                .iter()
                .map(|n| Key::RateSlot(*n).to_string())
                .collect();
            let values = self.read_many(keys.clone()).await?;
            for ((n, key), stored) in numbers.into_iter().zip(&keys).zip(values) {
                if let Some(stored) = stored {
                    slots.push((n, decode(key, &stored)?));
                }
            }
        }
        Ok(slots)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BackendError;
    use crate::store::memory::{Memory, block_on};

    fn slot(entries: &[(&str, u64)]) -> RateSlot {
        let mut slot = RateSlot::default();
        for (client, until) in entries {
            slot.count(client, *until);
        }
        slot
    }

    fn put(kv: &Memory, n: u32, slot: &RateSlot) {
        kv.0.borrow_mut().insert(
            Key::RateSlot(n).to_string(),
            serde_json::to_vec(slot).unwrap(),
        );
    }

    #[test]
    fn the_sweep_deletes_finished_slots_trims_mixed_ones_and_leaves_live_ones() {
        let kv = Memory::default();
        let store = Store::new(kv.clone());
        put(&kv, 0, &slot(&[("old", 600)]));
        // Windows of two lengths in one slot: the limit's setting changed meanwhile.
        put(&kv, 9, &slot(&[("old", 600), ("live", 1200)]));
        put(&kv, RATE_SLOTS - 1, &slot(&[("live", 1200)]));
        let at = Timestamp::from_unix_millis(600_000);

        let dry = block_on(store.sweep_rate_limits(at, true)).unwrap();
        assert_eq!((dry.examined, dry.changed), (4, 2));
        assert_eq!(
            block_on(store.rate_slots()).unwrap().len(),
            3,
            "a dry run writes nothing"
        );

        let run = block_on(store.sweep_rate_limits(at, false)).unwrap();
        assert_eq!((run.examined, run.changed), (4, 2));
        assert_eq!(
            block_on(store.rate_slots()).unwrap(),
            [
                (9, slot(&[("live", 1200)])),
                (RATE_SLOTS - 1, slot(&[("live", 1200)]))
            ]
        );
        let again = block_on(store.sweep_rate_limits(at, false)).unwrap();
        assert_eq!((again.examined, again.changed), (2, 0));
    }

    /// A store where a capture batch rewrites a slot between the sweep's read and its swap.
    struct Racing(Memory, RateSlot);

    impl Backend for Racing {
        async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
            self.0.get(key).await
        }
        async fn get_many(&self, keys: Vec<String>) -> Result<Vec<Option<Vec<u8>>>, BackendError> {
            self.0.get_many(keys).await
        }
        async fn set_many(&self, pairs: Vec<(String, Vec<u8>)>) -> Result<(), BackendError> {
            self.0.set_many(pairs).await
        }
        async fn delete_many(&self, keys: Vec<String>) -> Result<(), BackendError> {
            self.0.delete_many(keys).await
        }
        async fn increment(&self, key: &str, delta: i64) -> Result<i64, BackendError> {
            self.0.increment(key, delta).await
        }
        async fn compare_and_swap(
            &self,
            key: &str,
            expected: &[u8],
            new: Vec<u8>,
        ) -> Result<bool, BackendError> {
            let batch = serde_json::to_vec(&self.1).unwrap();
            self.0.set_many(vec![(key.to_owned(), batch)]).await?;
            self.0.compare_and_swap(key, expected, new).await
        }
    }

    #[test]
    fn the_sweep_never_undoes_a_batch_that_rewrote_the_slot_since_it_was_read() {
        let kv = Memory::default();
        put(&kv, 3, &slot(&[("old", 600), ("live", 1200)]));
        let batch = slot(&[("live", 1200), ("live", 1200), ("new", 1200)]);
        let store = Store::new(Racing(kv.clone(), batch.clone()));
        let run =
            block_on(store.sweep_rate_limits(Timestamp::from_unix_millis(600_000), false)).unwrap();
        assert_eq!(run.changed, 1);
        let kept = block_on(Store::new(kv).rate_slots()).unwrap();
        assert_eq!(kept, [(3, batch)], "the batch's counts stand");
    }

    #[test]
    fn a_client_is_counted_within_its_window_and_afresh_in_the_next() {
        let mut slot = RateSlot::default();
        assert_eq!(slot.count("a", 600), 1);
        assert_eq!(slot.count("a", 600), 2);
        assert_eq!(
            slot.count("b", 600),
            1,
            "clients sharing a slot count apart"
        );
        assert_eq!(slot.count("a", 1200), 1, "a new window starts from one");
        assert_eq!(slot.len(), 2);
    }

    #[test]
    fn expiry_drops_only_the_entries_whose_window_is_over() {
        let mut slot = RateSlot::default();
        slot.count("old", 600);
        slot.count("ending", 1200);
        slot.count("live", 1800);
        assert_eq!(slot.expire(1199), 1);
        assert_eq!(slot.expire(1200), 1, "a window ending now is over");
        let left: Vec<&str> = slot.clients().map(|(c, _)| c).collect();
        assert_eq!(left, ["live"]);
        assert_eq!(slot.expire(1800), 1);
        assert!(slot.is_empty());
        assert_eq!(slot.expire(5000), 0);
    }

    #[test]
    fn a_slot_reads_back_as_written_with_its_schema_version() {
        let mut slot = RateSlot::default();
        slot.count("a", 600);
        let json = serde_json::to_value(&slot).unwrap();
        assert_eq!(json["v"], SCHEMA_VERSION);
        assert_eq!(json["clients"]["a"]["count"], 1);
        let back: RateSlot = serde_json::from_value(json).unwrap();
        assert_eq!(back, slot);
    }

    #[test]
    fn a_client_always_hashes_to_the_same_slot_inside_the_table() {
        assert_eq!(
            rate_slot("AbCdEfGhIjKlMnOpQrStUv"),
            rate_slot("AbCdEfGhIjKlMnOpQrStUv")
        );
        let slots: std::collections::BTreeSet<u32> = (0..1000)
            .map(|n| rate_slot(&format!("client-{n}")))
            .collect();
        assert!(slots.iter().all(|n| *n < RATE_SLOTS));
        assert!(
            slots.len() > 950,
            "spread: {} distinct of 1000",
            slots.len()
        );
    }
}
