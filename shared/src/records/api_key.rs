//! A marketing API key (`rec:api-key:{id}`): only a hash of its secret.

use super::kind::RecordKind;
use super::record::Record;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// A marketing API key (`rec:api-key:{id}`). Only a hash of its secret is stored; the secret itself is
/// shown once, when the key is created. When it was last used is kept apart (`used:api-key:{id}`), so
/// that using a key never rewrites its record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub v: u32,
    /// The public key id, also part of the key itself.
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// `sha256:` + hex SHA-256 of the whole key.
    pub secret_hash: String,
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Timestamp>,
}

impl Record for ApiKey {
    const KIND: RecordKind = RecordKind::ApiKey;
}
