//! The checks every capture post passes once its fields are read: the client's rate limit (429 when
//! over, nothing stored) and the spam verdict (stored, flagged).

use super::intake::Intake;
use super::settings::CaptureSettings;
use super::spam::judge;
use crate::domain::FormId;
use crate::http::ApiError;
use crate::records::{Contact, SpamReason};
use crate::store::{Backend, Channel, Store};

/// What the spam check looks at: the form the render token was issued for, and the control fields.
pub struct Screening<'a> {
    pub form: &'a FormId,
    pub honeypot: Option<&'a str>,
    pub render_token: Option<&'a str>,
    /// Seconds a person needs at least; 0 turns the render-time check off.
    pub min_seconds: u32,
}

/// Counts the post against its client's rate limit and judges it. Costs one `increment`.
pub async fn screen<B: Backend>(
    store: &Store<B>,
    settings: &CaptureSettings,
    intake: &Intake,
    screening: Screening<'_>,
) -> Result<Option<SpamReason>, ApiError> {
    let now_s = (intake.received_at.unix_millis() / 1000) as u64;
    let window = settings.rate_limit.window_seconds;
    let window_number = now_s / window;
    let bucket = settings.rate_bucket(intake.client.ip());
    if store.count_post(window_number, &bucket).await? > settings.rate_limit.max {
        return Err(ApiError::RateLimited {
            retry_after: (window_number + 1) * window - now_s,
        });
    }
    Ok(judge(
        &settings.keys,
        screening.form,
        screening.honeypot,
        screening.render_token,
        screening.min_seconds,
        intake.received_at,
    ))
}

/// The channels on which the person behind `contact` asked not to be contacted (do-not-contact registry),
/// so that a capture records it and marketing does not follow up that way. One batch read.
pub async fn do_not_contact<B: Backend>(
    store: &Store<B>,
    settings: &CaptureSettings,
    contact: &Contact,
) -> Result<Vec<Channel>, ApiError> {
    let mut wanted = Vec::new();
    if let Some(email) = &contact.email {
        wanted.push((Channel::Email, settings.pseudonym(&email.normalized())));
    }
    if let Some(phone) = &contact.phone {
        wanted.push((Channel::Phone, settings.pseudonym(phone.as_str())));
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store.opted_out(&wanted).await?)
}
