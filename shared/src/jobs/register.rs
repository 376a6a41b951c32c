//! The register job: seals log entries as leaves of the register's Merkle tree (design in
//! [`crate::register`]) and signs a new checkpoint.
//!
//! A run walks each log from its mark (through the one log reader) and seals every entry that is final,
//! in one deterministic order (entries that were waiting first, then the logs in [`Log::ALL`] order, each
//! by sequence number). An entry still pending, or a number with no entry yet (a hole), waits in the
//! state for a later run and is sealed when it becomes final (a hole still empty past the grace is
//! dropped: there is nothing to seal). Nothing sealed is ever rewritten. A run writes its new full tiles
//! and bundles, the partial ones, the signed checkpoint and the state in one `set-many`, so a run killed
//! midway leaves the register as it was and the next run does the work again.

use crate::records::Log;
use crate::register::leaf;
use crate::register::note::{Checkpoint, NoteSigner};
use crate::register::tiles::Growth;
use crate::store::{Backend, RegisterUpdate, Slot, Store, StoreError, Waiting, past_grace};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// Entries read per `get-many`.
const PAGE: u64 = 256;

/// What one run did (or, dry, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SealRun {
    /// Entries sealed as leaves by this run.
    pub sealed: u64,
    /// The tree's size after the run.
    pub size: u64,
    /// Entries waiting to become final.
    pub waiting: u64,
    /// Entries past the marks left for later runs (the run's budget ran out).
    pub behind: u64,
}

/// One run: seals up to `budget` entries, then signs the new checkpoint with `signer` under `origin`.
/// With `dry_run`, only counts.
pub async fn seal<B: Backend>(
    store: &Store<B>,
    signer: &NoteSigner,
    origin: &str,
    budget: u64,
    now: Timestamp,
    dry_run: bool,
) -> Result<SealRun, StoreError> {
    let mut state = store.register_state().await?;
    let started_at = state.size;
    let mut sealed: Vec<(Log, u64, Vec<u8>)> = Vec::new();
    let mut waiting = Vec::new();
    // Entries that waited: sealed once final, kept while not, dropped when a hole stays empty.
    let mut found: BTreeMap<(Log, u64), Slot> = BTreeMap::new();
    for log in Log::ALL {
        let seqs: Vec<u64> = state
            .waiting
            .iter()
            .filter(|w| Log::parse(&w.log) == Some(log))
            .map(|w| w.seq)
            .collect();
        if seqs.is_empty() {
            continue;
        }
        let reader = store.reader(log, now);
        for (seq, entry) in seqs.iter().zip(reader.at(&seqs).await?) {
            let slot = match entry {
                Some((entry, bytes)) => reader.judge(entry, bytes),
                // Dated by when the register first saw it, below.
                None => Slot::Hole { passable: false },
            };
            found.insert((log, *seq), slot);
        }
    }
    for w in &state.waiting {
        let Some(log) = Log::parse(&w.log) else {
            continue;
        };
        match found.remove(&(log, w.seq)) {
            Some(Slot::Entry(_, bytes)) => sealed.push((log, w.seq, bytes)),
            Some(Slot::Hole { .. }) if past_grace(w.since, now) => {}
            _ => waiting.push(w.clone()),
        }
    }
    let mut behind = 0;
    for log in Log::ALL {
        let reader = store.reader(log, now);
        let head = reader.head().await?;
        let mut pos = state.marks.get(log.as_str()).copied().unwrap_or(0);
        while pos < head && (sealed.len() + waiting.len()) < budget as usize {
            let room = budget as usize - sealed.len() - waiting.len();
            let want = PAGE.min(head - pos).min(room as u64);
            for (seq, slot) in reader.slots(pos, want, head).await? {
                match slot {
                    Slot::Entry(_, bytes) => sealed.push((log, seq, bytes)),
                    _ => waiting.push(Waiting {
                        log: log.as_str().to_owned(),
                        seq,
                        since: now,
                    }),
                }
            }
            pos += want;
        }
        state.marks.insert(log.as_str().to_owned(), pos);
        behind += head - pos;
    }
    let mut run = SealRun {
        sealed: sealed.len() as u64,
        size: state.size + sealed.len() as u64,
        waiting: waiting.len() as u64,
        behind,
    };
    if dry_run {
        return Ok(run);
    }
    state.waiting = waiting;

    // The partial tiles of every level and the partial bundle, as the last run left them.
    let (stored, bundle) = store.register_partials().await?;
    let mut growth = Growth::from(state.size, &stored, bundle);
    for (log, seq, bytes) in &sealed {
        growth.push(&leaf(*log, *seq, bytes));
    }
    let size = growth.size;
    let checkpoint = Checkpoint {
        origin: origin.to_owned(),
        size,
        root: growth.root(),
    };
    let mut update = RegisterUpdate {
        partial_tiles: growth.partial_tiles(),
        partial_bundle: growth.bundle,
        tiles: growth.tiles,
        bundles: growth.bundles,
        ..RegisterUpdate::default()
    };
    update.checkpoint = signer.sign(&checkpoint);
    update.verifier = signer.verifier_key();
    state.size = size;
    update.state = state;
    store.write_register(update, started_at).await?;
    run.size = size;
    Ok(run)
}
