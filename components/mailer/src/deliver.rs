//! `POST /api/outbox/deliver?limit=N`: one delivery run over the messages that are due, for a scheduler
//! (cron + curl). Answers `{sent, failed, pending}`.

use crate::config::MailerConfig;
use crate::limit::limit;
use http::{HeaderMap, Response, StatusCode};
use shared::http::{ApiError, json_response};
use shared::jobs::outbox::deliver_due;
use shared::mailer::{Mailer, Transport};
use shared::store::{Backend, Store};
use shared::time::Timestamp;

pub async fn deliver<B: Backend, T: Transport>(
    headers: &HeaderMap,
    query: Option<&str>,
    config: &MailerConfig,
    store: &Store<B>,
    transport: T,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    if !config.authorized(headers) {
        return Err(ApiError::Unauthorized);
    }
    let limit = limit(query)?;
    let provider = Mailer::new(config.mail.clone(), transport);
    let report = deliver_due(store, provider.as_ref(), now, limit).await?;
    Ok(json_response(StatusCode::OK, &report))
}
