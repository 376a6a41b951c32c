//! The marketing API through the test host, one module per subject.

mod contacts;
mod csv;
pub(crate) mod demo_status;
mod export;
mod feeds;
mod holes_and_tombstones;
mod keys;
mod openapi;
mod opt_out_check;
pub(crate) mod support;
mod webhooks;
