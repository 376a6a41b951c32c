//! Claims: the create-if-absent claim of a record, and the leases of the background jobs (at most one run
//! of a job at a time, whoever calls the scheduler entry point; a crashed run's lease lapses by itself).
//!
//! A run takes `claim:job:{job}:{w-1}` and `claim:job:{job}:{w}` (`w` = its lease window, Unix seconds /
//! [`LEASE_SECONDS`]) with `increment`, which answers 1 to exactly one caller; it runs only if both
//! answered 1, and deletes both when it ends. Two runs in the same or adjacent windows share a key, so
//! one of them is refused. A run that dies keeps its keys: the job is refused for one to two windows,
//! then a later run's keys no longer overlap. A run must end well within a window: each job's work per
//! call is bounded.

use super::backend::Backend;
use super::core::{Store, StoreError};
use super::keys::Key;
use crate::records::RecordKind;
use crate::time::Timestamp;

/// The length of a lease window.
pub const LEASE_SECONDS: i64 = 300;

/// A job's lease, held until [`Store::release_lease`].
#[derive(Debug)]
pub struct Lease {
    job: String,
    windows: [u64; 2],
}

impl<B: Backend> Store<B> {
    /// Claims the creation of record `kind`/`id` for the first caller only: `increment` hands 1 to exactly
    /// one caller, so this is the safe "create if absent" on every backend. [`Store::erase`] releases it.
    pub async fn claim_new(&self, kind: RecordKind, id: &str) -> Result<bool, StoreError> {
        let key = Key::Claim(kind.as_str(), id).to_string();
        Ok(self.backend.increment(&key, 1).await? == 1)
    }

    /// Takes the lease of `job`, or answers `None` while another run holds it.
    pub async fn take_lease(&self, job: &str, now: Timestamp) -> Result<Option<Lease>, StoreError> {
        let window = (now.unix_millis() / 1000 / LEASE_SECONDS).max(1) as u64;
        let windows = [window - 1, window];
        let key = |window| Key::JobLease { job, window }.to_string();
        if self.backend.increment(&key(windows[0]), 1).await? != 1 {
            return Ok(None);
        }
        if self.backend.increment(&key(windows[1]), 1).await? != 1 {
            // The older key is ours: give it back, the newer one belongs to the run that holds the job.
            self.backend.delete_many(vec![key(windows[0])]).await?;
            return Ok(None);
        }
        Ok(Some(Lease {
            job: job.to_owned(),
            windows,
        }))
    }

    /// Gives a lease back. A failure is only logged: the lease then lapses by itself.
    pub async fn release_lease(&self, lease: &Lease) {
        let keys = lease
            .windows
            .iter()
            .map(|window| {
                Key::JobLease {
                    job: &lease.job,
                    window: *window,
                }
                .to_string()
            })
            .collect();
        if let Err(error) = self.backend.delete_many(keys).await {
            crate::log_line!("the lease of job {} lapses by itself: {error}", lease.job);
        }
    }
}
