//! The confirmation mail of a newsletter signup: a signed, expiring confirmation link, and one-click
//! unsubscribe headers (RFC 8058) that work even on this first mail.

use crate::config::SignupsConfig;
use shared::http::ApiError;
use shared::links::{ConfirmLink, UnsubscribeLink, UnsubscribeScope};
use shared::mailer::{Mailer, Message, Transport, deliver_now, enqueue};
use shared::records::Subscriber;
use shared::store::{Backend, Store};
use shared::time::Timestamp;

/// Queues the mail, then tries to deliver it at once; a failed attempt leaves it queued for the
/// mailer's scheduled runs, and the signup succeeds either way.
pub async fn send_confirmation<K: Backend, T: Transport>(
    config: &SignupsConfig,
    store: &Store<K>,
    transport: T,
    subscriber: &Subscriber,
    now: Timestamp,
) -> Result<(), ApiError> {
    let keys = &config.capture.keys;
    let base = &config.public_base_url;
    let confirm = ConfirmLink {
        subscriber: subscriber.id.clone(),
        signed_up_at: subscriber.signed_up.at,
        expires_at: now.plus_seconds(config.confirm_ttl_hours * 3600),
    }
    .seal(keys);
    let unsubscribe = UnsubscribeLink {
        pseudonym: subscriber.id.clone(),
        scope: UnsubscribeScope::AllEmail,
    }
    .seal(keys);
    let confirm_url = format!("{base}/api/newsletter/confirm/{confirm}");
    let unsubscribe_url = format!("{base}/u/{unsubscribe}");
    let mailto = format!(
        "mailto:{}?subject=unsubscribe%20{unsubscribe}",
        config.unsubscribe_mailto.as_str()
    );
    let text = format!(
        "Hello,\n\nplease confirm that you want to receive our newsletter at this address:\n\n{confirm_url}\n\n\
         The link is valid for {hours} hours. If you did not sign up, ignore this email and nothing will happen.\n\n\
         Never email me again: {unsubscribe_url}\n",
        hours = config.confirm_ttl_hours
    );
    let message = Message::new(
        &subscriber.email,
        config.mail_from.as_str(),
        "Please confirm your subscription",
        &text,
    )
    .and_then(|m| m.with_unsubscribe(&unsubscribe_url, &mailto))
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("composing the confirmation mail: {e:?}")))?;
    let id = enqueue(store, message, now).await?;
    let mailer = Mailer::new(config.mail.clone(), transport);
    if let Err(error) = deliver_now(store, mailer.as_ref(), &id, now).await {
        eprintln!("confirmation mail {id} stays queued: {error:#}");
    }
    Ok(())
}
