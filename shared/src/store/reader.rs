//! The one way to read a log in order. Every reader (the marketing feed, the outbox, the person index, the
//! register, retention) goes through [`LogReader`], so they all follow the same rules:
//!
//! * **Dense numbers.** Entries are numbered by `increment` on the log's head; `after + 1 ..= head`
//!   are read with `get-many`, a page at a time.
//! * **Pending entries.** A change writes its entry pending before it lands and final after; a pending
//!   entry younger than [`GRACE_MS`] is [`Slot::Pending`] (wait), an older one stands as written (its
//!   writer is done or dead).
//! * **Holes.** A number with no entry is a writer between `increment` and `set-many`, or one that died
//!   there. A hole is passable once an entry after it was written more than [`GRACE_MS`] ago; before
//!   that a slower writer may still fill it. A run of holes at the end of a window is dated by the
//!   newest entry written past it.
//! * **Dating.** Ages are taken from `written_at`, which the store stamps on every entry, never from the
//!   event's `at` (which may be earlier).

use super::backend::Backend;
use super::core::{Store, StoreError, decode};
use super::keys::Key;
use crate::records::{Log, LogEntry};
use crate::time::Timestamp;

/// How long a writer may take between numbering an entry and writing it final: a younger hole or
/// pending entry is waited for, an older one is its writer's last word. The one grace of every log reader.
pub const GRACE_MS: i64 = 60_000;
/// Entries a walk reads at a time (one `get-many`), for walks that page through a whole log.
pub const PAGE: u64 = 256;
/// Entries read past a window to date a run of holes at its end.
pub const LOOKAHEAD: u64 = 64;

/// Whether something written at `at` is older than [`GRACE_MS`] at `now`.
pub fn past_grace(at: Timestamp, now: Timestamp) -> bool {
    at.unix_millis() + GRACE_MS <= now.unix_millis()
}

/// One number of a log, as a reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Slot {
    /// An entry to take as it stands (final, or pending past the grace), with its stored bytes.
    Entry(LogEntry, Vec<u8>),
    /// A change still landing: wait for it.
    Pending(LogEntry),
    /// No entry (yet): `passable` once an entry after it is past the grace.
    Hole { passable: bool },
}

impl Slot {
    /// Whether a reader that keeps log order may go past this number.
    pub fn settled(&self) -> bool {
        !matches!(self, Self::Pending(_) | Self::Hole { passable: false })
    }

    /// The entry, unless this is a hole.
    pub fn entry(&self) -> Option<&LogEntry> {
        match self {
            Self::Entry(entry, _) | Self::Pending(entry) => Some(entry),
            Self::Hole { .. } => None,
        }
    }
}

/// A reader of one log at one moment.
pub struct LogReader<'s, B> {
    store: &'s Store<B>,
    log: Log,
    now: Timestamp,
}

impl<B: Backend> Store<B> {
    /// A reader of `log` that judges ages as of `now`.
    pub fn reader(&self, log: Log, now: Timestamp) -> LogReader<'_, B> {
        LogReader {
            store: self,
            log,
            now,
        }
    }
}

impl<B: Backend> LogReader<'_, B> {
    /// The last number handed out (0 when the log is empty).
    pub async fn head(&self) -> Result<u64, StoreError> {
        self.store.log_head(self.log).await
    }

    /// Numbers `after + 1 ..= after + count` (one batch read: callers bound `count`), each as a [`Slot`];
    /// `head` is the log's head as the caller read it, for dating a run of holes at the end of the window.
    pub async fn slots(
        &self,
        after: u64,
        count: u64,
        head: u64,
    ) -> Result<Vec<(u64, Slot)>, StoreError> {
        let end = after.saturating_add(count);
        let raw = self.raw(after, count).await?;
        // The oldest write after each number, from the back: a hole is passable once any entry after it
        // is past the grace.
        let mut later: Option<Timestamp> = None;
        let mut beyond_looked = false;
        let mut out: Vec<(u64, Slot)> = Vec::with_capacity(raw.len());
        for (seq, value) in raw.into_iter().rev() {
            let slot = match value {
                Some((entry, bytes)) => {
                    let written = entry.written();
                    later = Some(later.map_or(written, |l| l.min(written)));
                    self.judge(entry, bytes)
                }
                None => {
                    if later.is_none() && !beyond_looked {
                        beyond_looked = true;
                        later = self.written_beyond(end, head).await?;
                    }
                    Slot::Hole {
                        passable: later.is_some_and(|at| past_grace(at, self.now)),
                    }
                }
            };
            out.push((seq, slot));
        }
        out.reverse();
        Ok(out)
    }

    /// A written entry as a reader takes it: pending and younger than the grace, or as it stands.
    pub fn judge(&self, entry: LogEntry, bytes: Vec<u8>) -> Slot {
        if entry.pending && !past_grace(entry.written(), self.now) {
            Slot::Pending(entry)
        } else {
            Slot::Entry(entry, bytes)
        }
    }

    /// The entries after `after`, in order, while older than `cutoff` (by their event's time), at most
    /// `budget`, and the last number passed: a walk that acts on what is old enough (retention, the
    /// notices job). It stops at a young hole or pending entry, as every reader does.
    pub async fn older(
        &self,
        after: u64,
        cutoff: Timestamp,
        budget: u64,
    ) -> Result<(Vec<LogEntry>, u64), StoreError> {
        let head = self.head().await?;
        let mut pos = after;
        let mut out = Vec::new();
        'walk: while pos < head && (out.len() as u64) < budget {
            let want = PAGE.min(head - pos).min(budget - out.len() as u64);
            for (seq, slot) in self.slots(pos, want, head).await? {
                match slot {
                    Slot::Entry(entry, _) if entry.at >= cutoff => break 'walk,
                    Slot::Entry(entry, _) => out.push(entry),
                    Slot::Hole { passable: true } => {}
                    _ => break 'walk,
                }
                pos = seq;
            }
        }
        Ok((out, pos))
    }

    /// Up to `count` numbers after `after` while they are settled (in log order, stopping before the first
    /// young hole or pending entry): the entries among them, and the last number passed.
    pub async fn settled(
        &self,
        after: u64,
        count: u64,
        head: u64,
    ) -> Result<(Vec<(u64, LogEntry, Vec<u8>)>, u64), StoreError> {
        let mut entries = Vec::new();
        let mut next = after;
        for (seq, slot) in self.slots(after, count, head).await? {
            if !slot.settled() {
                break;
            }
            if let Slot::Entry(entry, bytes) = slot {
                entries.push((seq, entry, bytes));
            }
            next = seq;
        }
        Ok((entries, next))
    }

    /// The entries at `seqs` (any numbers, one batch read), with their bytes; `None` for a hole.
    pub async fn at(&self, seqs: &[u64]) -> Result<Vec<Option<(LogEntry, Vec<u8>)>>, StoreError> {
        let keys: Vec<String> = seqs
            .iter()
            .map(|s| Key::LogEntry(self.log, *s).to_string())
            .collect();
        let values = self.store.read_many(keys.clone()).await?;
        keys.iter()
            .zip(values)
            .map(|(key, value)| {
                value
                    .map(|bytes| Ok((decode(key, &bytes)?, bytes)))
                    .transpose()
            })
            .collect()
    }

    async fn raw(
        &self,
        after: u64,
        count: u64,
    ) -> Result<Vec<(u64, Option<(LogEntry, Vec<u8>)>)>, StoreError> {
        let seqs: Vec<u64> = (after + 1..=after + count).collect();
        let values = self.at(&seqs).await?;
        Ok(seqs.into_iter().zip(values).collect())
    }

    /// When the entry nearest above `end` (and at or below `head`) was written, `None` if there is none:
    /// what dates a run of holes that fills a window's end. It looks [`LOOKAHEAD`] entries ahead, then
    /// for the newest written entry.
    async fn written_beyond(&self, end: u64, head: u64) -> Result<Option<Timestamp>, StoreError> {
        let ahead = self
            .raw(end, LOOKAHEAD.min(head.saturating_sub(end)))
            .await?;
        if let Some((entry, _)) = ahead.into_iter().find_map(|(_, e)| e) {
            return Ok(Some(entry.written()));
        }
        let newest = self.newest(end, head).await?;
        if newest > end {
            return self.written_at(newest).await;
        }
        Ok(None)
    }

    /// The newest *written* entry above `after` and at or below `head` (`after` if there is none), looked
    /// for backwards [`LOOKAHEAD`] entries at a time.
    pub async fn newest(&self, after: u64, head: u64) -> Result<u64, StoreError> {
        let mut top = head;
        while top > after {
            let from = top.saturating_sub(LOOKAHEAD).max(after);
            let entries = self.raw(from, top - from).await?;
            if let Some((seq, _)) = entries.iter().rev().find(|(_, e)| e.is_some()) {
                return Ok(*seq);
            }
            top = from;
        }
        Ok(after)
    }

    /// When entry `seq` was written, if it is.
    pub async fn written_at(&self, seq: u64) -> Result<Option<Timestamp>, StoreError> {
        let mut entry = self.at(&[seq]).await?;
        Ok(entry.pop().flatten().map(|(e, _)| e.written()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Action, Actor};
    use crate::store::memory::{Memory, block_on};

    #[test]
    fn grace_is_measured_from_the_write() {
        let now = Timestamp::from_unix_millis(1_000_000);
        assert!(past_grace(
            Timestamp::from_unix_millis(1_000_000 - GRACE_MS),
            now
        ));
        assert!(!past_grace(
            Timestamp::from_unix_millis(1_000_001 - GRACE_MS),
            now
        ));
    }

    /// A store whose `outbox` log holds entries `(seq, at, written_at)`, numbered up to `head`.
    fn log_of(entries: &[(u64, i64, i64)], head: u64) -> Store<Memory> {
        let memory = Memory::default();
        let store = Store::new(memory.clone());
        block_on(memory.increment(&Key::LogHead(Log::Outbox).to_string(), head as i64)).unwrap();
        for (seq, at, written) in entries {
            let entry = LogEntry {
                v: 1,
                seq: *seq,
                at: Timestamp::from_unix_millis(*at),
                action: Action::Captured,
                record: Some("r".into()),
                actor: Actor::System,
                detail: None,
                revision: None,
                pending: false,
                written_at: Some(Timestamp::from_unix_millis(*written)),
            };
            let bytes = serde_json::to_vec(&entry).unwrap();
            memory
                .0
                .borrow_mut()
                .insert(Key::LogEntry(Log::Outbox, *seq).to_string(), bytes);
        }
        store
    }

    fn settled(store: &Store<Memory>, now: i64) -> u64 {
        let reader = store.reader(Log::Outbox, Timestamp::from_unix_millis(now));
        let head = block_on(reader.head()).unwrap();
        block_on(reader.settled(0, head, head)).unwrap().1
    }

    #[test]
    fn a_reader_stops_at_a_young_hole_and_steps_over_an_old_one() {
        let young = log_of(&[(1, 990_000, 990_000), (3, 995_000, 995_000)], 3);
        assert_eq!(settled(&young, 1_000_000), 1);
        let old = log_of(&[(1, 0, 0), (3, 1_000, 1_000)], 3);
        assert_eq!(settled(&old, 1_000_000), 3);
        let trailing = log_of(&[(1, 0, 0)], 2);
        assert_eq!(settled(&trailing, 1_000_000), 1);
    }

    /// The outbox once dated holes by an entry's `at` (when the event happened), which a slow writer
    /// may have stamped long before it wrote: a hole before it was then passed while its writer could
    /// still fill it.
    #[test]
    fn a_hole_is_dated_by_when_the_entries_after_it_were_written_not_by_their_events() {
        let store = log_of(&[(1, 0, 0), (3, 0, 995_000)], 3);
        assert_eq!(settled(&store, 1_000_000), 1);
    }
}
