//! The person index, kept up to date (by the `people` job, and by the privacy answers before they read
//! it): walks the logs that name a person's records from a mark per log (through the one
//! log reader, stopping at a young hole), and appends one reference per (person, entry) under the person's
//! own counter. Capture writes nothing extra; a lookup reads the index plus the tail the job has not
//! reached ([`Store::person_references`]). Idempotent apart from duplicates (which readers drop), so a
//! crashed or concurrent run loses nothing. Records captured before the index existed are indexed by the
//! first run, which starts every mark at 0.

use super::people::{INDEXED, Pseudonymise};
use super::{Backend, Store, StoreError};
use crate::records::LogEntry;
use crate::time::Timestamp;
use serde::Serialize;

/// Entries read per `get-many`.
const PAGE: u64 = 256;

/// What one run of the index job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IndexRun {
    /// Log entries read and indexed.
    pub entries: u64,
    /// References written.
    pub references: u64,
    /// Entries left past the marks when the run stopped (its budget ran out, or a young hole).
    pub behind: u64,
}

/// One run: reads up to `budget` entries past the marks, log by log; each page's references and its
/// new mark go in one `set-many`, after one `increment` per person in the page.
pub async fn index<B: Backend>(
    store: &Store<B>,
    pseudonymise: Pseudonymise<'_>,
    budget: u64,
    now: Timestamp,
) -> Result<IndexRun, StoreError> {
    let mut run = IndexRun::default();
    for (log, kind) in INDEXED {
        let reader = store.reader(log, now);
        let mut pos = store.people_mark(log).await?;
        let head = reader.head().await?;
        while pos < head && run.entries < budget {
            let want = PAGE.min(head - pos);
            let (entries, next) = reader.settled(pos, want, head).await?;
            if next == pos {
                break;
            }
            let named: Vec<(u64, &LogEntry)> = entries.iter().map(|(s, e, _)| (*s, e)).collect();
            let refs = store.person_refs(log, kind, &named, pseudonymise).await?;
            store.add_person_refs(log, &refs, next).await?;
            run.entries += next - pos;
            run.references += refs.len() as u64;
            let stopped = next < pos + want;
            pos = next;
            if stopped {
                break;
            }
        }
        run.behind += head.saturating_sub(pos);
    }
    Ok(run)
}

/// How many log entries the index has not read yet (its marks against the logs' heads).
pub async fn behind<B: Backend>(store: &Store<B>) -> Result<u64, StoreError> {
    let mut behind = 0;
    for (log, _) in INDEXED {
        let head = store.log_head(log).await?;
        behind += head.saturating_sub(store.people_mark(log).await?);
    }
    Ok(behind)
}
