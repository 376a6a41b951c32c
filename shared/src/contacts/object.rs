//! An objection from a notice's link: the contact's email and phone go on the do-not-contact registry,
//! the contact is erased (its feed gets a tombstone), and, when the person also asked for it, an
//! erasure request is opened already verified (the signed link proved control of the mailbox).

use crate::domain::Right;
use crate::http::ApiError;
use crate::ids::new_id;
use crate::mailer::enqueue;
use crate::privacy::{DataRequest, PrivacySettings, Step, mail};
use crate::records::{Action, Actor, Event, ImportedContact, Log, OptOutSource, RecordKind};
use crate::store::{Backend, Channel, Store};
use crate::time::Timestamp;

/// What an objection did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Objection {
    /// Whether the contact was still held (and is now erased).
    pub erased_contact: bool,
    /// The erasure request opened, if one was asked for and the address was still known.
    pub erasure_request: Option<String>,
}

/// Carries out the objection of contact `contact` (the pseudonym of its address); `erase` also opens
/// an erasure request. Safe to repeat: the registry entries are idempotent, a gone contact stays gone.
pub async fn object<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    contact: &str,
    erase: bool,
    actor: Actor,
    now: Timestamp,
) -> Result<Objection, ApiError> {
    let held: Option<ImportedContact> = store.get(RecordKind::Contact, contact).await?;
    let phone = held
        .as_ref()
        .and_then(|c| c.details.phone.as_deref())
        .map(|p| settings.pseudonym(p));
    for (channel, pseudonym) in std::iter::once((Channel::Email, contact.to_owned()))
        .chain(phone.clone().map(|p| (Channel::Phone, p)))
    {
        let source = OptOutSource::NoticeObjection;
        store
            .opt_out(channel, &pseudonym, source, actor.clone(), now)
            .await?;
    }
    let Some(held) = held else {
        return Ok(Objection {
            erased_contact: false,
            erasure_request: None,
        });
    };
    let event = |log, action, detail: &str| {
        Event::by(actor.clone(), log, action, Some(detail.to_owned()), now)
    };
    let erasure_request = if erase {
        let mut request =
            DataRequest::asked(new_id(), vec![Right::Erasure], contact.to_owned(), now, now);
        request.email = Some(held.email.clone());
        request.phone = held.details.phone.clone();
        request.phone_pseudonym = phone;
        request.language = Some(held.language.clone());
        request.step(Step::Received, now, "visitor", None);
        request.verify(now);
        request.step(
            Step::Verified,
            now,
            "visitor",
            Some("asked through the signed objection link of a notice".into()),
        );
        request.step(Step::Acknowledged, now, "system", None);
        // Composed before anything is written, so a mail that cannot be built leaves no half-open request.
        let acknowledgement = mail::acknowledgement(settings, &request)?;
        store
            .create_request(
                &request,
                event(
                    Log::Requests,
                    Action::Captured,
                    "received rights=erasure (objection link, verified)",
                ),
            )
            .await?;
        enqueue(store, acknowledgement, now).await?;
        Some(request.id)
    } else {
        None
    };
    store
        .erase(
            RecordKind::Contact,
            contact,
            event(Log::Contacts, Action::Erased, "objection"),
        )
        .await?;
    Ok(Objection {
        erased_contact: true,
        erasure_request,
    })
}
