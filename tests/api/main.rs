//! The integration tests: one binary (one link, one component compile cache), one module per area.

mod backups;
mod consent;
mod contract;
mod crash;
mod deploy;
mod desk;
mod floors;
mod forms;
mod harness;
mod health;
mod host;
mod jobs;
mod mail_events;
mod mailer;
mod marketing_api;
mod optout;
mod privacy;
mod receiver;
mod register;
mod retention;
mod scale_out;
mod signups;
mod store;
