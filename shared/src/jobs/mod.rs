//! The background jobs the scheduler runs (`POST /api/jobs/run`), one file each, all under one frame
//! ([`leased`]): a job runs only under its lease (so two schedulers never run it twice at once, and a
//! crashed run's lease lapses by itself), its work per call is bounded and resumes where the last call
//! stopped, and its report says whether it ran and how long it took.
//!
//! | job | file | what |
//! |---|---|---|
//! | `outbox` | [`outbox`] | deliver due mail, move the outbox's low-water mark |
//! | `notices` | [`notices`] | queue the Art. 14 notices owed to contacts from other sources, and their reminders |
//! | `webhooks` | [`webhooks`] | turn changes into events, send them to the endpoints, signed |
//! | `people` | [`people`] | extend the person index from each log's mark |
//! | `privacy` | [`privacy`] | expire unconfirmed data-subject requests |
//! | `retention` | [`retention`] | apply the retention policy, sweep the rate limit |
//! | `register` | [`register`] | seal log entries into the register's tree, sign a checkpoint |
//!
//! Every job reads logs through the store's one log reader ([`crate::store::LogReader`]).

pub mod notices;
pub mod outbox;
pub use crate::store::people_index as people;
pub mod privacy;
pub mod register;
pub mod retention;
pub mod webhooks;

use crate::store::{Backend, Store, StoreError};
use crate::time::Timestamp;
use serde_json::{Value, json};

/// The jobs, in the order they run (notices before the outbox, so a notice queued leaves in the same
/// run, and before the webhooks, so a contact noticed reaches the systems fed in the same run; the
/// register last, so it seals what the others wrote).
pub const JOBS: [&str; 7] = [
    "notices",
    "outbox",
    "webhooks",
    "people",
    "privacy",
    "retention",
    "register",
];

/// Runs `work` as job `job` under its lease: `{"ran": false, "reason"}` while another run holds it, else
/// the job's report with `ran` and `ms` added. The lease is given back whatever the work answered.
pub async fn leased<B: Backend>(
    store: &Store<B>,
    job: &str,
    now: Timestamp,
    work: impl AsyncFnOnce() -> Result<Value, StoreError>,
) -> Result<Value, StoreError> {
    let started = std::time::Instant::now();
    let Some(lease) = store.take_lease(job, now).await? else {
        return Ok(json!({"ran": false, "reason": "another run holds this job's lease"}));
    };
    let result = work().await;
    store.release_lease(&lease).await;
    let mut done = result?;
    if let Value::Object(fields) = &mut done {
        fields.insert("ran".into(), json!(true));
        fields.insert("ms".into(), json!(started.elapsed().as_millis() as u64));
    }
    Ok(done)
}
