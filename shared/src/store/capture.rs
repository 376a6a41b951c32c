//! The store side of the capture hot path: the public posts in flight in one instance are read and
//! written together (group commit, [`group`](super::group)).
//!
//! A batch costs one `get-many` for everything its posts must read (rate-limit slots, do-not-contact
//! entries, an existing record), one `increment` per log it writes to (taking exactly as many numbers as
//! it needs), and one `set-many` with every record, log entry and rate-limit slot (each slot once, however
//! many of the batch's posts share it, with the entries whose window is over dropped). A post is parsed
//! and judged before it joins, so one post's bad data never fails the others; a post over its rate limit
//! is refused, the others go on. A post's render token is counted in the same slots, as a value used
//! once until it expires: a second use is a replay, which the post's writes flag as spam. A store failure fails every post of the batch: nothing of
//! theirs is stored (numbers already taken become holes, which readers step over after a grace period).

use super::backend::{Backend, BackendError};
use super::core::{Store, StoreError, decode};
use super::group::{Abandoned, Group};
use super::keys::Key;
use super::rate::{RateSlot, rate_slot};
use crate::records::Event;
use crate::records::{Channel, Log, RecordKind};
use crate::records::{ConsentDecision, LogEntry, OptOut, SpamReason};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// One public post's part in a batch: what it must read, and how it turns what was read into writes.
pub struct Capture {
    /// The post's rate-limit check, counted in the batch.
    pub rate: Option<RateCheck>,
    /// A value the post uses, which may be used once (its render token).
    pub once: Option<OnceCheck>,
    /// Do-not-contact entries to look up (channel, pseudonym); the channels in force reach `write`.
    pub opt_outs: Vec<(Channel, String)>,
    /// A record whose current state `write` needs (a newsletter signup of a known address).
    pub existing: Option<(RecordKind, String)>,
    /// The writes, from what the batch read. An error fails this post only.
    pub write: Box<Writes>,
}

/// How a post turns what its batch read into writes.
pub type Writes = dyn FnOnce(&Found) -> Result<Vec<Write>, StoreError>;

/// A post's plan once its batch has read: its writes and what was read, `None` over the rate limit.
type Plan = Result<Option<(Vec<Write>, Found)>, StoreError>;

impl Capture {
    /// A post that reads nothing and writes what `write` answers.
    pub fn writing(write: impl FnOnce(&Found) -> Result<Vec<Write>, StoreError> + 'static) -> Self {
        Self {
            rate: None,
            once: None,
            opt_outs: Vec::new(),
            existing: None,
            write: Box::new(write),
        }
    }

    /// A post that only counts against its rate limit (its own writes come after).
    pub fn counting_only() -> Self {
        Self::writing(|_| Ok(Vec::new()))
    }

    /// Also looks up these do-not-contact entries (channel, pseudonym).
    pub fn checking_opt_outs(mut self, opt_outs: Vec<(Channel, String)>) -> Self {
        self.opt_outs = opt_outs;
        self
    }

    /// Also reads record `kind`/`id`.
    pub fn reading(mut self, kind: RecordKind, id: &str) -> Self {
        self.existing = Some((kind, id.to_owned()));
        self
    }
}

/// A rate limit: at most `max` posts per client per window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCheck {
    /// The client's bucket (a keyed hash of its address).
    pub client: String,
    /// When the post arrived (Unix seconds).
    pub at: u64,
    /// The window's length in seconds; windows start at multiples of it.
    pub window_seconds: u64,
    pub max: u64,
}

/// A value to be used once until `until` (Unix seconds), counted like a client of the rate limit whose
/// window ends then: a second use within it is [`Found::replayed`]. (Across instances, uses committed
/// at the same moment may both pass, as the rate limit may undercount.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnceCheck {
    /// The value's bucket name in the rate-limit slots, apart from every client's.
    pub id: String,
    /// When it is used (Unix seconds).
    pub at: u64,
    pub until: u64,
}

impl RateCheck {
    /// When the post's window ends (Unix seconds).
    pub fn until(&self) -> u64 {
        (self.at / self.window_seconds + 1) * self.window_seconds
    }
}

/// What a batch read for one post.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The channels among the post's `opt_outs` whose do-not-contact entry is in force.
    pub opted_out: Vec<Channel>,
    exists: bool,
    replayed: bool,
}

impl Found {
    /// Whether the record the post asked to read ([`Capture::reading`]) is there.
    pub fn exists(&self) -> bool {
        self.exists
    }

    /// Whether the post's [`OnceCheck`] value had been used before.
    pub fn replayed(&self) -> bool {
        self.replayed
    }

    /// The post's spam verdict: as `judged` before the batch, else a replay if it was one.
    pub fn spam(&self, judged: Option<SpamReason>) -> Option<SpamReason> {
        judged.or(self.replayed.then_some(SpamReason::ReplayedRenderToken))
    }
}

/// One write of a post: a value (or none) and the log entry that goes with it.
pub struct Write {
    target: Target,
    value: Vec<u8>,
    record: String,
    revision: Option<u64>,
    event: Event,
}

enum Target {
    Record(RecordKind),
    ConsentDecision(u64),
    /// Only the log entry (an attempt that changes nothing).
    Nothing,
}

impl Write {
    /// A new record `kind`/`id`.
    pub fn record<R: Serialize>(
        kind: RecordKind,
        id: &str,
        record: &R,
        event: Event,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            target: Target::Record(kind),
            value: serde_json::to_vec(record).map_err(StoreError::Encode)?,
            record: id.to_owned(),
            revision: None,
            event,
        })
    }

    /// A cookie-consent decision, numbered already (`decision.n`), in its id's history.
    pub fn consent(decision: &ConsentDecision, event: Event) -> Result<Self, StoreError> {
        Ok(Self {
            target: Target::ConsentDecision(decision.n),
            value: serde_json::to_vec(decision).map_err(StoreError::Encode)?,
            record: decision.consent_id.clone(),
            revision: Some(decision.n),
            event,
        })
    }

    /// Only a log entry naming record `id` (an attempt that is registered but changes nothing).
    pub fn note(id: &str, event: Event) -> Self {
        Self {
            target: Target::Nothing,
            value: Vec::new(),
            record: id.to_owned(),
            revision: None,
            event,
        }
    }
}

/// What became of a post.
#[derive(Debug, Clone)]
pub enum Captured {
    /// Its writes are durable; what the batch read for it.
    Stored(Found),
    /// Over its client's rate limit: nothing written.
    RateLimited,
}

type Outcome = Result<Captured, StoreError>;

thread_local! {
    /// The instance's batch of posts waiting for a commit.
    static POSTS: Rc<Group<Capture, Outcome>> = Rc::default();
}

impl<B: Backend> Store<B> {
    /// Stores one public post together with the others in flight in this instance (group commit),
    /// answering once its batch is durable.
    ///
    /// All posts of an instance go to the store of the request that leads their batch: on Spin every
    /// component opens the one store its instance is granted, so that is the same store.
    pub async fn capture(&self, post: Capture) -> Result<Captured, StoreError> {
        let group = POSTS.with(Rc::clone);
        group
            .join(post, |posts| self.commit_posts(posts))
            .await
            .unwrap_or_else(|Abandoned| {
                Err(StoreError::Backend(BackendError(Abandoned.to_string())))
            })
    }

    /// Commits a batch of posts: one read, one `increment` per log, one write.
    async fn commit_posts(&self, posts: Vec<Capture>) -> Vec<Outcome> {
        let count = posts.len();
        match self.try_commit_posts(posts).await {
            Ok(outcomes) => outcomes,
            Err(error) => {
                // The batch failed as a whole: every post learns it, each with the cause.
                let message = error.to_string();
                (0..count)
                    .map(|_| Err(StoreError::Backend(BackendError(message.clone()))))
                    .collect()
            }
        }
    }

    async fn try_commit_posts(&self, posts: Vec<Capture>) -> Result<Vec<Outcome>, StoreError> {
        let (keys, read) = reads(&posts);
        let values = self.read_many(keys.clone()).await?;
        let values: HashMap<&str, Vec<u8>> = keys
            .iter()
            .map(String::as_str)
            .zip(values)
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();

        let mut slots: BTreeMap<u32, Slot> = BTreeMap::new();
        let mut planned: Vec<Plan> = Vec::new();
        for (post, wanted) in posts.into_iter().zip(read) {
            if let Some(check) = &post.rate
                && count(
                    &mut slots,
                    &values,
                    &check.client,
                    check.at,
                    check.until(),
                    check.max,
                )? > check.max
            {
                planned.push(Ok(None));
                continue;
            }
            let mut found = found(&values, &wanted)?;
            if let Some(once) = &post.once {
                found.replayed = count(&mut slots, &values, &once.id, once.at, once.until, 1)? > 1;
            }
            planned.push((post.write)(&found).map(|writes| Some((writes, found))));
        }

        let mut needed: BTreeMap<Log, u64> = BTreeMap::new();
        for (writes, _) in planned.iter().flatten().flatten() {
            for write in writes {
                *needed.entry(write.event.log).or_default() += 1;
            }
        }
        let mut next: BTreeMap<Log, u64> = BTreeMap::new();
        for (log, count) in needed {
            next.insert(log, self.take_seqs(log, count).await?);
        }

        let written_at = Timestamp::now();
        let mut pairs = Vec::new();
        let mut outcomes = Vec::with_capacity(planned.len());
        for plan in planned {
            let (writes, found) = match plan {
                Ok(Some(plan)) => plan,
                Ok(None) => {
                    outcomes.push(Ok(Captured::RateLimited));
                    continue;
                }
                Err(error) => {
                    outcomes.push(Err(error));
                    continue;
                }
            };
            for write in writes {
                let seq = next.get_mut(&write.event.log).expect("counted above");
                pairs.extend(entry_pairs(write, *seq, written_at)?);
                *seq += 1;
            }
            outcomes.push(Ok(Captured::Stored(found)));
        }
        for (n, slot) in slots.iter().filter(|(_, slot)| slot.changed) {
            let value = serde_json::to_vec(&slot.state).map_err(StoreError::Encode)?;
            pairs.push((Key::RateSlot(*n).to_string(), value));
        }
        if !pairs.is_empty() {
            self.backend.set_many(pairs).await?;
        }
        Ok(outcomes)
    }
}

/// The keys a batch reads (each once), and for each post the keys of its own reads.
fn reads(posts: &[Capture]) -> (Vec<String>, Vec<Wanted>) {
    let mut keys = Vec::new();
    let mut add = |key: String| {
        if !keys.contains(&key) {
            keys.push(key.clone());
        }
        key
    };
    let wanted = posts
        .iter()
        .map(|post| {
            if let Some(check) = &post.rate {
                add(Key::RateSlot(rate_slot(&check.client)).to_string());
            }
            if let Some(once) = &post.once {
                add(Key::RateSlot(rate_slot(&once.id)).to_string());
            }
            Wanted {
                opt_outs: post
                    .opt_outs
                    .iter()
                    .map(|(channel, p)| {
                        add(Key::Record(RecordKind::OptOut, &channel.opt_out_id(p)).to_string())
                    })
                    .collect(),
                existing: post
                    .existing
                    .as_ref()
                    .map(|(kind, id)| add(Key::Record(*kind, id).to_string())),
            }
        })
        .collect();
    (keys, wanted)
}

/// The keys one post reads.
struct Wanted {
    opt_outs: Vec<String>,
    existing: Option<String>,
}

/// A rate-limit slot as the batch's posts change it.
struct Slot {
    state: RateSlot,
    /// Whether the batch must write it back.
    changed: bool,
}

/// Counts one post of `bucket` (a client, or a value used once) at `at` in its window ending `until`, in
/// its slot as read, then changed by the batch's earlier posts, with the entries whose window is over
/// dropped; answers the bucket's count in the window, this post included, which is over when above
/// `max`.
fn count(
    slots: &mut BTreeMap<u32, Slot>,
    stored: &HashMap<&str, Vec<u8>>,
    bucket: &str,
    at: u64,
    until: u64,
    max: u64,
) -> Result<u64, StoreError> {
    let n = rate_slot(bucket);
    let slot = match slots.entry(n) {
        std::collections::btree_map::Entry::Occupied(slot) => slot.into_mut(),
        std::collections::btree_map::Entry::Vacant(vacant) => {
            let key = Key::RateSlot(n).to_string();
            let state = match stored.get(key.as_str()) {
                Some(bytes) => decode(&key, bytes)?,
                None => RateSlot::default(),
            };
            vacant.insert(Slot {
                state,
                changed: false,
            })
        }
    };
    // Expired by the post's own clock, so an entry of the window it counts in is never dropped.
    slot.changed |= slot.state.expire(at) > 0;
    let count = slot.state.count(bucket, until);
    // Past the first count over `max` (a refusal, a replay) the count only says "over" again: leaving
    // the slot unwritten spares a flood the write (and the other buckets of the slot a stale overwrite).
    slot.changed |= count <= max.saturating_add(1);
    Ok(count)
}

fn found(values: &HashMap<&str, Vec<u8>>, wanted: &Wanted) -> Result<Found, StoreError> {
    let mut opted_out = Vec::new();
    for key in &wanted.opt_outs {
        if let Some(bytes) = values.get(key.as_str()) {
            let entry: OptOut = decode(key, bytes)?;
            if entry.in_force() {
                opted_out.push(entry.channel);
            }
        }
    }
    let exists = wanted
        .existing
        .as_ref()
        .is_some_and(|key| values.contains_key(key.as_str()));
    Ok(Found {
        opted_out,
        exists,
        replayed: false,
    })
}

/// The key-value pairs of one write numbered `seq`: its value (if any) and its final log entry.
fn entry_pairs(
    write: Write,
    seq: u64,
    written_at: Timestamp,
) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let log = write.event.log;
    let entry = LogEntry {
        written_at: Some(written_at),
        ..write.event.entry(seq, Some(&write.record), write.revision)
    };
    let mut pairs = vec![(
        Key::LogEntry(log, seq).to_string(),
        serde_json::to_vec(&entry).map_err(StoreError::Encode)?,
    )];
    match write.target {
        Target::Record(kind) => {
            pairs.push((Key::Record(kind, &write.record).to_string(), write.value))
        }
        Target::ConsentDecision(n) => pairs.push((
            Key::ConsentHistoryEntry(&write.record, n).to_string(),
            write.value,
        )),
        Target::Nothing => {}
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::{Memory, block_on};

    /// Two client buckets that hash to the same slot.
    fn neighbours() -> (String, String) {
        let mut seen: BTreeMap<u32, String> = BTreeMap::new();
        for n in 0.. {
            let client = format!("client-{n}");
            if let Some(other) = seen.insert(rate_slot(&client), client.clone()) {
                return (other, client);
            }
        }
        unreachable!()
    }

    fn post(client: &str, at: u64) -> Capture {
        Capture {
            rate: Some(RateCheck {
                client: client.to_owned(),
                at,
                window_seconds: 600,
                max: 1,
            }),
            ..Capture::counting_only()
        }
    }

    /// What a batch made of each post: what it read when stored, `None` when over the rate limit.
    fn committed(store: &Store<Memory>, posts: Vec<Capture>) -> Vec<Option<Found>> {
        block_on(store.commit_posts(posts))
            .into_iter()
            .map(|outcome| match outcome {
                Ok(Captured::Stored(found)) => Some(found),
                Ok(Captured::RateLimited) => None,
                Err(e) => panic!("{e}"),
            })
            .collect()
    }

    fn outcomes(store: &Store<Memory>, posts: Vec<Capture>) -> Vec<bool> {
        committed(store, posts)
            .iter()
            .map(Option::is_some)
            .collect()
    }

    fn stored_slot(kv: &Memory, client: &str) -> Option<Vec<u8>> {
        kv.0.borrow()
            .get(&Key::RateSlot(rate_slot(client)).to_string())
            .cloned()
    }

    #[test]
    fn posts_sharing_a_slot_are_merged_into_one_write_of_it() {
        let (a, b) = neighbours();
        let kv = Memory::default();
        let store = Store::new(kv.clone());
        assert_eq!(
            outcomes(&store, vec![post(&a, 10), post(&b, 10), post(&a, 11)]),
            [true, true, false]
        );
        let probe = Key::BackendProbe.to_string();
        let written = kv.0.borrow().keys().filter(|k| **k != probe).count();
        assert_eq!(written, 1, "one slot written (beside the backend probe)");
        let slot: RateSlot = serde_json::from_slice(&stored_slot(&kv, &a).unwrap()).unwrap();
        let counts: Vec<(&str, u64)> = slot.clients().map(|(c, e)| (c, e.count)).collect();
        let mut expected = vec![(a.as_str(), 2), (b.as_str(), 1)];
        expected.sort();
        assert_eq!(counts, expected);
    }

    #[test]
    fn refusals_after_the_first_leave_the_slot_as_it_was() {
        let kv = Memory::default();
        let store = Store::new(kv.clone());
        assert_eq!(
            outcomes(&store, vec![post("a", 10), post("a", 11)]),
            [true, false]
        );
        let after_first_refusal = stored_slot(&kv, "a");
        assert_eq!(outcomes(&store, vec![post("a", 12)]), [false]);
        assert_eq!(stored_slot(&kv, "a"), after_first_refusal);
    }

    #[test]
    fn a_batch_drops_the_finished_windows_of_the_slots_it_writes() {
        let (a, b) = neighbours();
        let kv = Memory::default();
        let store = Store::new(kv.clone());
        assert_eq!(outcomes(&store, vec![post(&a, 10)]), [true]);
        // The next window: a's entry is over when b's post rewrites the slot.
        assert_eq!(outcomes(&store, vec![post(&b, 610)]), [true]);
        let slot: RateSlot = serde_json::from_slice(&stored_slot(&kv, &a).unwrap()).unwrap();
        let clients: Vec<&str> = slot.clients().map(|(c, _)| c).collect();
        assert_eq!(clients, [b.as_str()]);
    }

    fn used(id: &str, at: u64) -> Capture {
        Capture {
            once: Some(OnceCheck {
                id: id.to_owned(),
                at,
                until: 100,
            }),
            ..Capture::counting_only()
        }
    }

    fn replays(store: &Store<Memory>, posts: Vec<Capture>) -> Vec<bool> {
        committed(store, posts)
            .into_iter()
            .map(|found| found.expect("stored").replayed())
            .collect()
    }

    #[test]
    fn a_value_used_once_is_a_replay_when_used_again_in_its_batch_or_a_later_one() {
        let store = Store::new(Memory::default());
        assert_eq!(
            replays(&store, vec![used("t1", 10), used("t2", 10), used("t1", 11)]),
            [false, false, true]
        );
        assert_eq!(
            replays(&store, vec![used("t2", 12), used("t3", 12)]),
            [true, false]
        );
        assert_eq!(
            replays(&store, vec![used("t1", 100)]),
            [false],
            "its entry is dropped once it expired"
        );
    }

    #[test]
    fn a_post_refused_by_the_rate_limit_does_not_use_its_value() {
        let store = Store::new(Memory::default());
        let over_the_limit = Capture {
            once: used("t", 11).once,
            ..post("client", 11)
        };
        let outcomes = block_on(store.commit_posts(vec![post("client", 10), over_the_limit]));
        assert!(matches!(outcomes[1], Ok(Captured::RateLimited)));
        assert_eq!(replays(&store, vec![used("t", 12)]), [false]);
    }
}
