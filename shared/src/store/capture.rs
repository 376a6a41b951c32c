//! The store side of the capture hot path: the public posts in flight in one instance are read and
//! written together (group commit, [`group`](super::group)).
//!
//! A batch costs one `get-many` for everything its posts must read (rate-limit states, do-not-contact
//! entries, an existing record), one `increment` per log it writes to (taking exactly as many numbers as
//! it needs), and one `set-many` with every record, log entry and rate-limit state. A post is parsed and
//! judged before it joins, so one post's bad data never fails the others; a post over its rate limit is
//! counted and refused, the others go on. A store failure fails every post of the batch: nothing of
//! theirs is stored (numbers already taken become holes, which readers step over after a grace period).

use super::group::{Abandoned, Group};
use super::keys::{Channel, Key, Log, RecordKind};
use super::{Backend, BackendError, Event, Store, StoreError, decode};
use crate::records::{ConsentDecision, LogEntry, OptOut, SCHEMA_VERSION};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// One public post's part in a batch: what it must read, and how it turns what was read into writes.
pub struct Capture {
    /// The post's rate-limit check, counted in the batch.
    pub rate: Option<RateCheck>,
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
    /// The window's number (Unix seconds / window length).
    pub window: u64,
    pub max: u64,
}

/// What a batch read for one post.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The channels among the post's `opt_outs` whose do-not-contact entry is in force.
    pub opted_out: Vec<Channel>,
    exists: bool,
}

impl Found {
    /// Whether the record the post asked to read ([`Capture::reading`]) is there.
    pub fn exists(&self) -> bool {
        self.exists
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
    /// Over its client's rate limit: counted, nothing else written.
    RateLimited,
}

/// A rate-limit state: how many posts one client made in one window. An ordinary value, overwritten
/// in place (no counter, no delete): one key per client, however many windows pass.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct RateState {
    v: u32,
    window: u64,
    count: u64,
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

        let mut rates: BTreeMap<String, RateState> = BTreeMap::new();
        let mut planned: Vec<Plan> = Vec::new();
        for (post, wanted) in posts.into_iter().zip(read) {
            if let Some(check) = &post.rate
                && !count_post(&mut rates, &values, check)?
            {
                planned.push(Ok(None));
                continue;
            }
            let found = found(&values, &wanted)?;
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
        for (client, state) in &rates {
            let value = serde_json::to_vec(state).map_err(StoreError::Encode)?;
            pairs.push((Key::RateState(client).to_string(), value));
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
                add(Key::RateState(&check.client).to_string());
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

/// Counts one post against its client's state (as changed by the batch's earlier posts); answers
/// whether it is within the limit.
fn count_post(
    rates: &mut BTreeMap<String, RateState>,
    stored: &HashMap<&str, Vec<u8>>,
    check: &RateCheck,
) -> Result<bool, StoreError> {
    let state = match rates.get(&check.client) {
        Some(state) => *state,
        None => {
            let key = Key::RateState(&check.client).to_string();
            match stored.get(key.as_str()) {
                Some(bytes) => decode(&key, bytes)?,
                None => RateState {
                    v: SCHEMA_VERSION,
                    window: check.window,
                    count: 0,
                },
            }
        }
    };
    let count = if state.window == check.window {
        state.count + 1
    } else {
        1
    };
    rates.insert(
        check.client.clone(),
        RateState {
            v: SCHEMA_VERSION,
            window: check.window,
            count,
        },
    );
    Ok(count <= check.max)
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
    Ok(Found { opted_out, exists })
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
