//! The one module that talks to the key-value store: typed reads and writes over [`keys`], split by area.
//! Components open [`Store::open`] (Spin's store labelled `default`); tests wrap the test host's SQLite
//! store in [`Store::new`] and read back through the very same functions.
//!
//! | file | area |
//! |---|---|
//! | `core` | the [`Store`] type, [`StoreError`], typed reads of records |
//! | [`keys`] | every key format, and the design of logs, the outbox and the person index |
//! | `backend`, `portable` | Spin's store and its backends' differences (batches, swaps, the probe) |
//! | `log` | writes with their log entries (append, update, erase, note), entries by number |
//! | `reader` | [`LogReader`]: the one way to read a log in order (holes, pending entries, one grace) |
//! | `records` | ETags and conditional changes, imports, lists kept as counters |
//! | `capture`, [`group`], `rate` | the capture batch (group commit), the rate limit's slot table |
//! | `opt_outs`, `consents`, `outbox`, `api_keys`, `requests`, `contacts`, `webhooks` | one area each |
//! | `claims` | create-if-absent claims and the jobs' leases |
//! | `people`, `register`, `marks` | what the jobs keep: the person index, the register's tiles, walk marks |

mod api_keys;
mod backend;
mod capture;
mod claims;
mod consents;
mod contacts;
mod core;
pub mod group;
mod health;
pub mod keys;
mod log;
mod marks;
#[cfg(test)]
pub(crate) mod memory;
mod opt_outs;
mod outbox;
mod people;
pub mod people_index;
mod portable;
mod rate;
mod reader;
mod records;
mod register;
mod requests;
mod webhooks;

#[cfg(target_arch = "wasm32")]
pub use backend::SpinBackend;
pub use backend::{Backend, BackendError, Flavour};
pub use capture::{Capture, Captured, Found, OnceCheck, RateCheck, Write};
pub use claims::{LEASE_SECONDS, Lease};
pub use core::{Store, StoreError};
pub use keys::Key;
pub use log::Updated;
pub use people::INDEXED;
pub use people::{PersonRef, Pseudonymise};
pub use rate::{RATE_SLOTS, RateEntry, RateSlot, SweepReport, rate_slot};
pub use reader::{GRACE_MS, LogReader, Slot, past_grace};
pub use records::{Conditional, etag};
pub use register::{LEVELS, RegisterState, RegisterUpdate, Waiting};
pub use webhooks::DELIVERY_LOG;
// The names of what is stored, for callers that reach them through the store.
pub use crate::records::{Channel, Event, Log, RecordKind};
