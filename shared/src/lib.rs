//! The common schema and the one key-value access layer of the marketing-capture components.
//!
//! | module | owns |
//! |---|---|
//! | [`domain`] | pure value types built only by parsers (`EmailAddress`, `PhoneNumber`, `CountryCode`, ...) |
//! | [`records`] | what is stored, schema-versioned, built from domain types; the enums that name it; the retention policy |
//! | [`store`] | every key format ([`store::keys`]) and every call to the key-value store |
//! | [`config`] | the app-wide variables several components read (public base URL, mail sender) |
//! | [`body`] | request bodies as fields: content types, JSON and urlencoded decoding, the typed field reader |
//! | [`capture`] | the intake of website posts: settings, visit fields, client IP, spam, answers |
//! | `entry` | the frame of every component's HTTP entry point (wasm only) |
//! | [`http`] | the one error type and its status codes, responses, body limits |
//! | [`geo`] | the embedded DB-IP Lite range table and its lookup |
//! | [`tokens`] | HMAC signatures and sealed tokens under the app's keyring (key ids, rotation) |
//! | [`links`] | the signed confirmation and unsubscribe links sent in emails |
//! | [`mailer`] | the durable outbox and delivery to the mail provider |
//! | [`jobs`] | the scheduler's jobs under one lease frame: outbox, person index, privacy, retention, register |
//! | [`register`] | the processing register as a transparency log: leaves, RFC 6962 hashing, tiles, signed checkpoints |
//! | [`restore`] | a restore's replay: what the register sealed after a backup, carried out again on it |
//! | [`privacy`] | data-subject requests: the record, its lifecycle, its legal deadlines, an officer's decision |
//! | [`staff`] | staff access: API keys (format, hash, scopes, the check of a presented key) and the privacy desk's sessions |
//! | [`contacts`] | contacts from other sources: the import, the Art. 14 notice and its reminders, the objection |
//! | [`texts`] | every mail's words in every language (`mail_texts`) |
//! | [`webhooks`] | signed webhooks (Standard Webhooks 1.0): events from the logs, endpoints, delivery |
//! | [`time`], [`ids`] | timestamps and random ids |

pub mod body;
pub mod capture;
pub mod config;
pub mod contacts;
pub mod domain;
#[cfg(target_arch = "wasm32")]
pub mod entry;
pub mod geo;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod links;
pub mod log;
pub mod mailer;
pub mod openapi;
pub mod privacy;
#[cfg(test)]
mod proptests;
pub mod records;
pub mod register;
pub mod restore;
pub mod routes;
pub mod staff;
pub mod store;
pub mod texts;
pub mod time;
pub mod tokens;
#[cfg(target_arch = "wasm32")]
pub mod variables;
pub mod webhooks;
