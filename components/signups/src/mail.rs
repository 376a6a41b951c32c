//! The confirmation mail of a newsletter signup: a signed, expiring confirmation link, and one-click
//! unsubscribe headers (RFC 8058) that work even on this first mail.

use crate::config::SignupsConfig;
use shared::domain::Language;
use shared::http::ApiError;
use shared::links::{ConfirmLink, UnsubscribeLink, UnsubscribeScope};
use shared::mailer::{Message, enqueue};
use shared::store::{Backend, Store};
use shared::texts::MailKind;
use shared::time::Timestamp;

/// The confirmation mail for a signup of `email` (subscriber `id`) made at `signed_up_at`, in
/// `language` (the visit's; English when the texts do not offer it).
pub fn confirmation(
    config: &SignupsConfig,
    id: &str,
    email: &str,
    signed_up_at: Timestamp,
    language: Option<&str>,
) -> Result<Message, ApiError> {
    let base = &config.public_base_url;
    let confirm = ConfirmLink {
        subscriber: id.to_owned(),
        signed_up_at,
        expires_at: signed_up_at.plus_seconds(config.confirm_ttl_hours * 3600),
    }
    .seal(&config.capture.keys);
    let unsubscribe = UnsubscribeLink {
        pseudonym: id.to_owned(),
        scope: UnsubscribeScope::AllEmail,
    }
    .seal(config.capture.unsubscribe_keys());
    let confirm_url = format!("{base}/api/newsletter/confirm/{confirm}");
    let unsubscribe_url = format!("{base}/u/{unsubscribe}");
    let mailto = format!(
        "mailto:{}?subject=unsubscribe%20{unsubscribe}",
        config.unsubscribe_mailto.as_str()
    );
    let language = language
        .and_then(|l| Language::parse(l).ok())
        .unwrap_or(Language::ENGLISH);
    let hours = config.confirm_ttl_hours.to_string();
    let mail = config.texts.mail(
        language,
        MailKind::Confirmation,
        &[
            ("confirm_url", &confirm_url),
            ("hours", &hours),
            ("unsubscribe_url", &unsubscribe_url),
        ],
    );
    Message::new(email, &config.mail_from, &mail.subject, &mail.body)
        .and_then(|m| m.with_unsubscribe(&unsubscribe_url, &mailto))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("composing the confirmation mail: {e:?}")))
}

/// Queues the mail; the mailer's scheduled runs deliver it. (Delivering here would make a new address
/// answer slower than a confirmed one, telling who is subscribed.)
pub async fn queue<K: Backend>(
    store: &Store<K>,
    message: Message,
    now: Timestamp,
) -> Result<(), ApiError> {
    enqueue(store, message, now).await?;
    Ok(())
}
