//! `POST /api/mail/events`: the mail provider's Bounce and SpamComplaint webhooks (Postmark's JSON, as
//! Postmark sends it), authenticated by HTTP basic auth whose password is `mail_events_secret` (any user
//! name; empty refuses every call). A hard bounce, or soft bounces past `soft_bounce_limit`, marks the
//! address undeliverable; a complaint unsubscribes it and puts it on the do-not-contact registry
//! ([`shared::mailer::bounces`]). Answers `200` with what the event did; other record types are
//! answered `200` `ignored`, so the provider does not retry them.

use crate::config::MailerConfig;
use http::{HeaderMap, Response, StatusCode};
use shared::http::{ApiError, json_response};
use shared::mailer::bounces::{MailEvent, apply};
use shared::store::{Backend, Store};
use shared::time::Timestamp;

/// The largest event read (Postmark's carry the bounce's description and content, a few KiB).
pub const MAX_BODY: usize = 256 * 1024;

pub async fn record_mail_event<B: Backend>(
    headers: &HeaderMap,
    body: &[u8],
    config: &MailerConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    if !config.mail_events_authorized(headers) {
        return Err(ApiError::Unauthorized);
    }
    let Some(key) = &config.suppression_key else {
        return Err(ApiError::NotConfigured {
            code: "suppression_key_not_configured",
            message: "Mail events need the suppression_key variable.",
        });
    };
    let event = MailEvent::parse(body)?;
    let pseudonymise = |value: &str| key.pseudonym(value);
    let applied = apply(store, &pseudonymise, config.soft_bounce_limit, &event, now).await?;
    Ok(json_response(StatusCode::OK, &applied))
}
