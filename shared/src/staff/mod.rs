//! Staff access: marketing API keys (their format, hash and scopes, and the check of a presented key),
//! and the privacy desk's browser sessions made from one.

pub mod keys;
pub mod session;
