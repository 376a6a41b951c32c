//! The capture pipeline every public post goes through: read (origin, type, size, fields, client),
//! the visit fields every capture form carries, the endpoint's own fields, the spam verdict, one group
//! commit with the rate limit, and the answer. A handler keeps only what differs: its fields and its
//! record.

use super::intake::Intake;
use super::settings::CaptureSettings;
use super::spam::judge;
use super::visit::VisitFields;
use crate::body::{BodyRules, FieldReader};
use crate::domain::{ConsentId, EmailAddress, FormId, WebUrl};
use crate::http::ApiError;
use crate::records::{Action, Actor, Contact, Lead, NetworkOrigin, SpamReason};
use crate::store::{
    Backend, Capture, Captured, Channel, Event, Found, Log, OnceCheck, RecordKind, Store, Write,
};
use crate::time::Timestamp;
use http::Response;
use http_body::Body;
use serde::Serialize;

/// What a capture endpoint offers besides its own fields.
pub enum Offer<'a> {
    /// The visit fields (page, referrer, UTM, consent text and checkboxes, `_next`) with these consent
    /// checkboxes, of which `required` must be ticked.
    Visit {
        consents: &'a [ConsentId],
        required: &'a [ConsentId],
    },
    /// Only the spam controls and `_next` (a one-field form such as do-not-call).
    Bare,
    /// Only the spam controls (an endpoint that answers with its own page).
    Controls,
}

/// One public post, read; its endpoint reads its own fields from [`Post::fields`].
pub struct Post {
    pub intake: Intake,
    /// The visit fields ([`Offer::Visit`]); empty for [`Offer::Bare`].
    pub common: VisitFields,
    /// The render token's use, once [`Post::judge`] found it sound: counted by [`Post::store`].
    token_use: Option<OnceCheck>,
}

impl Post {
    /// Reads a post: 403, 415, 413 and 400 as [`Intake::read`] says; the common fields are read but not
    /// yet judged (see [`Post::finish`]). Nothing is stored.
    pub async fn read<B>(
        request: http::Request<B>,
        settings: &CaptureSettings,
        offer: Offer<'_>,
    ) -> Result<Self, ApiError>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Self::read_as(request, settings, offer, &BodyRules::form()).await
    }

    /// As [`Post::read`], for a body as `rules` say (e.g. with list fields: repeated form fields, JSON
    /// arrays).
    pub async fn read_as<B>(
        request: http::Request<B>,
        settings: &CaptureSettings,
        offer: Offer<'_>,
        rules: &BodyRules<'_>,
    ) -> Result<Self, ApiError>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let mut intake = Intake::read_as(request, settings, rules).await?;
        let common = match offer {
            Offer::Visit { consents, required } => {
                VisitFields::read(&mut intake, settings, consents, required)
            }
            Offer::Bare => VisitFields::bare(&mut intake, Some(settings)),
            Offer::Controls => VisitFields::bare(&mut intake, None),
        };
        Ok(Self {
            intake,
            common,
            token_use: None,
        })
    }

    /// The endpoint's own fields.
    pub fn fields(&mut self) -> &mut FieldReader {
        &mut self.intake.fields
    }

    /// 422 naming every refused field, and every field nobody read.
    pub fn finish(&mut self) -> Result<(), ApiError> {
        self.intake.fields.finish()
    }

    /// When the post arrived (server time).
    pub fn at(&self) -> Timestamp {
        self.intake.received_at
    }

    /// Where the post came from: truncated address and approximate location.
    pub fn origin(&self) -> NetworkOrigin {
        NetworkOrigin::of(&self.intake.client)
    }

    /// The visitor, as the register names them (truncated address only).
    pub fn actor(&self) -> Actor {
        Actor::Visitor {
            ip_truncated: self.intake.client.truncated().to_string(),
        }
    }

    /// The spam verdict before the batch (honeypot, render token of `form`, at least `min_seconds`; 0
    /// turns the token check off): `None` for a person. Whether the token was used before is learnt in
    /// the batch: see [`Found::spam`].
    pub fn judge(
        &mut self,
        settings: &CaptureSettings,
        form: &FormId,
        min_seconds: u32,
    ) -> Option<SpamReason> {
        let verdict = judge(
            &settings.keys,
            form,
            self.common.honeypot.as_deref(),
            self.common.render_token.as_deref(),
            min_seconds,
            self.intake.received_at,
        );
        self.token_use = verdict.once;
        verdict.spam
    }

    /// The register's event for this post's capture in `log`: captured, or captured as spam.
    pub fn event(&self, log: Log, spam: Option<SpamReason>, detail: Option<&str>) -> Event {
        let action = if spam.is_some() {
            Action::CapturedAsSpam
        } else {
            Action::Captured
        };
        Event::by(
            self.actor(),
            log,
            action,
            detail.map(str::to_owned),
            self.at(),
        )
    }

    /// Stores the post's `capture` together with the other posts in flight (group commit), counting it
    /// against its client's rate limit: 429 with `Retry-After` when over (nothing of the post stored),
    /// and counting its render token's use. Answers what the batch read for it (a replayed token among
    /// it) once its writes are durable.
    pub async fn store<K: Backend>(
        &self,
        store: &Store<K>,
        settings: &CaptureSettings,
        mut capture: Capture,
    ) -> Result<Found, ApiError> {
        let check = settings.rate_check(self.intake.client.ip(), self.at());
        let retry_after = check.until() - check.at;
        capture.rate = Some(check);
        capture.once = self.token_use.clone();
        match store.capture(capture).await? {
            Captured::Stored(found) => Ok(found),
            Captured::RateLimited => Err(ApiError::RateLimited { retry_after }),
        }
    }

    /// After the post is stored: its browser's Global Privacy Control reaches the person it names
    /// ([`super::honour_browser`]). Not for spam: a bot's post names nobody. A failure is logged, not
    /// answered: the post is kept, and a `500` would have the visitor send it again.
    pub async fn honour_browser<K: Backend>(
        &self,
        store: &Store<K>,
        settings: &CaptureSettings,
        email: Option<&EmailAddress>,
        spam: Option<SpamReason>,
    ) {
        let (Some(email), None) = (email, spam) else {
            return;
        };
        let consent_id = self.common.consent_id.as_deref();
        if !self.intake.gpc && consent_id.is_none() {
            return;
        }
        let pseudonym = settings.pseudonym(&email.normalized());
        let honoured = super::gpc::honour_browser(
            store,
            consent_id,
            self.intake.gpc,
            &pseudonym,
            &self.actor(),
            self.at(),
        )
        .await;
        if let Err(e) = honoured {
            ApiError::from(e).log();
        }
    }

    /// The success answer: `303` to `_next` or `thank_you` for a plain form post, else `201` with `body`.
    pub fn accepted<T: Serialize>(&self, thank_you: &WebUrl, body: &T) -> Response<String> {
        self.intake
            .accepted(self.common.next.as_ref().unwrap_or(thank_you), body)
    }
}

/// The capture of a new lead record `kind`/`id` about `contact`: the batch looks up the person's
/// do-not-contact entries and the record notes those in force.
pub fn lead_capture<R: Lead + 'static>(
    settings: &CaptureSettings,
    contact: &Contact,
    kind: RecordKind,
    id: &str,
    mut record: R,
    event: Event,
) -> Capture {
    let id = id.to_owned();
    Capture::writing(move |found| {
        record.note_do_not_contact(found.opted_out.clone());
        let mut event = event;
        if found.replayed() && record.note_replayed() {
            event.action = Action::CapturedAsSpam;
        }
        Ok(vec![Write::record(kind, &id, &record, event)?])
    })
    .checking_opt_outs(contact_opt_outs(settings, contact))
}

/// The do-not-contact entries to look up for `contact` (its email and phone), so that a capture records
/// the channels on which the person asked not to be contacted.
fn contact_opt_outs(settings: &CaptureSettings, contact: &Contact) -> Vec<(Channel, String)> {
    let mut wanted = Vec::new();
    if let Some(email) = &contact.email {
        wanted.push((Channel::Email, settings.pseudonym(&email.normalized())));
    }
    if let Some(phone) = &contact.phone {
        wanted.push((Channel::Phone, settings.pseudonym(phone.as_str())));
    }
    wanted
}
