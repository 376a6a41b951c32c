//! The notices job: the Art. 14 notice of every contact from another source, and the regular reminder
//! that it can object. Two walks of the `contacts` log, each from its own mark, each bounded per run:
//! * `notices` reads every entry in order and queues the notice of each contact it names that is still
//!   owed one (its import, a re-import: the contact's state decides), so a notice leaves on the first
//!   run after the import, well inside the month;
//! * `reminders` reads only entries older than the reminder interval: a contact whose last notice was
//!   sent that long ago (its latest entry is that old, since every notice writes one) gets a reminder,
//!   which writes a new entry the walk meets again an interval later.
//!
//! A notice is queued in the outbox before the contact notes it: a run that dies in between sends the
//! notice twice at worst, never not at all. Delivery (or the outbox giving up) is noted on the contact
//! by the outbox ([`crate::mailer::attempt`]), or by the job when the outbox was quicker than the note.
//! A contact on the do-not-contact registry by then is erased, not mailed.

use super::retention::named;
use crate::contacts::notice;
use crate::ids::new_id;
use crate::mailer::enqueue_notice;
use crate::privacy::PrivacySettings;
use crate::records::{
    Action, Event, ImportedContact, Log, NoticeKind, NoticeStatus, OutboxMessage, OutboxStatus,
    RecordKind,
};
use crate::store::{Backend, Channel, Store, StoreError, Updated};
use crate::time::Timestamp;
use serde::Serialize;

/// The walks' names (their marks).
const NOTICES: &str = "notices";
const REMINDERS: &str = "reminders";

/// What one run did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NoticeReport {
    /// `contacts` entries read by each walk.
    pub examined: u64,
    pub reminders_examined: u64,
    /// Notices and reminders queued.
    pub queued: u64,
    pub reminders: u64,
    /// Notices owed whose contact could not be mailed (a composing error, logged).
    pub failed: u64,
}

/// The limits of one run.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Log entries each walk reads at most.
    pub entries: u64,
    /// Mails queued at most (notices and reminders together).
    pub mails: u64,
}

/// One run: first notices, then reminders for contacts last notified `reminder_months` ago.
pub async fn run<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    reminder_months: i64,
    budget: Budget,
    now: Timestamp,
    dry_run: bool,
) -> Result<NoticeReport, StoreError> {
    let mut report = NoticeReport::default();
    let mut mails = budget.mails;
    let walk = Walk {
        store,
        settings,
        now,
        dry_run,
    };
    let (examined, queued) = walk
        .run(NOTICES, now, budget.entries, &mut mails, NoticeKind::Notice)
        .await?;
    (report.examined, report.queued) = (examined, queued.0);
    report.failed += queued.1;
    let cutoff = now.plus_months(-reminder_months);
    let (examined, queued) = walk
        .run(
            REMINDERS,
            cutoff,
            budget.entries,
            &mut mails,
            NoticeKind::Reminder,
        )
        .await?;
    (report.reminders_examined, report.reminders) = (examined, queued.0);
    report.failed += queued.1;
    Ok(report)
}

struct Walk<'a, B> {
    store: &'a Store<B>,
    settings: &'a PrivacySettings,
    now: Timestamp,
    dry_run: bool,
}

impl<B: Backend> Walk<'_, B> {
    /// One walk from its mark through entries older than `cutoff`: the entries read, and the mails
    /// queued and failed. The mark moves past what was handled, never past a contact left for lack of
    /// mail budget.
    async fn run(
        &self,
        name: &str,
        cutoff: Timestamp,
        budget: u64,
        mails: &mut u64,
        kind: NoticeKind,
    ) -> Result<(u64, (u64, u64)), StoreError> {
        let store = self.store;
        let mark = store.notice_mark(name).await?;
        let reader = store.reader(Log::Contacts, self.now);
        let (entries, mut pos) = reader.older(mark, cutoff, budget).await?;
        let ids = named(&entries);
        let contacts: Vec<Option<ImportedContact>> =
            store.records(RecordKind::Contact, &ids).await?;
        // In the order the log met them, so a backlog is worked through from its oldest.
        let walked = pos;
        let first = |id: &str| {
            entries
                .iter()
                .find(|e| e.record.as_deref() == Some(id))
                .map_or(walked, |e| e.seq - 1)
        };
        let mut owed: Vec<&ImportedContact> = contacts
            .iter()
            .flatten()
            .filter(|c| owes(c, kind, cutoff))
            .collect();
        owed.sort_by_key(|c| first(&c.id));
        let (mut queued, mut failed) = (0, 0);
        for contact in owed {
            if *mails == 0 {
                // Out of mail budget: the walk resumes before this contact's first entry.
                pos = pos.min(first(&contact.id));
                continue;
            }
            *mails -= 1;
            if self.dry_run {
                queued += 1;
                continue;
            }
            match self.queue(contact, kind, cutoff).await? {
                Queued::Yes => queued += 1,
                Queued::No => {}
                // Tried again next run (a mail text that cannot be composed is a configuration error
                // the report shows until it is fixed): the walk stays before it.
                Queued::Failed => {
                    failed += 1;
                    pos = pos.min(first(&contact.id));
                }
            }
        }
        if !self.dry_run && pos > mark {
            store.set_notice_mark(name, pos).await?;
        }
        Ok((entries.len() as u64, (queued, failed)))
    }

    /// Queues `kind` for `contact` and notes it on the contact, unless the contact changed meanwhile.
    async fn queue(
        &self,
        contact: &ImportedContact,
        kind: NoticeKind,
        cutoff: Timestamp,
    ) -> Result<Queued, StoreError> {
        let (store, now) = (self.store, self.now);
        // Mail goes to nobody on the do-not-contact registry: one who opted out since the import (an
        // unsubscribe, a do-not-call, a privacy request) is no longer held for outreach.
        let phone = contact.details.phone.as_deref();
        let mut wanted = vec![(Channel::Email, contact.id.clone())];
        wanted.extend(phone.map(|p| (Channel::Phone, self.settings.pseudonym(p))));
        if store.in_force(&wanted).await?.contains(&true) {
            let event = Event::system(
                Log::Contacts,
                Action::Erased,
                "on the do-not-contact registry".into(),
                now,
            );
            store.erase(RecordKind::Contact, &contact.id, event).await?;
            return Ok(Queued::No);
        }
        let message = match notice::compose(self.settings, contact, kind) {
            Ok(message) => message,
            Err(error) => {
                crate::log_line!("notice of contact {} not composed: {error}", contact.id);
                return Ok(Queued::Failed);
            }
        };
        let id = new_id();
        enqueue_notice(store, &id, message, &contact.id, now).await?;
        let detail = match kind {
            NoticeKind::Notice => "notice queued",
            NoticeKind::Reminder => "reminder queued",
        };
        let event = Event::system(Log::Contacts, Action::Updated, detail.into(), now);
        let noted = store
            .update(
                RecordKind::Contact,
                &contact.id,
                event,
                |c: &mut ImportedContact| owes(c, kind, cutoff) && c.queue(kind, &id, now),
            )
            .await?;
        if let Updated::Changed(_) = noted {
            // An outbox run may have delivered (or given up on) the mail before the contact named
            // it: its result is noted now, or the contact would wait for it forever.
            let mail: Option<OutboxMessage> = store.get(RecordKind::Outbox, &id).await?;
            if let Some(mail) = mail.filter(|m| !m.is_pending()) {
                let sent = mail.status == OutboxStatus::Sent;
                store.settle_notice(&contact.id, &id, sent, now).await?;
            }
            return Ok(Queued::Yes);
        }
        // Erased or already noticed meanwhile: the mail must not leave.
        let event = Event::system(
            Log::Outbox,
            Action::Erased,
            "notice no longer owed".into(),
            now,
        );
        store.erase(RecordKind::Outbox, &id, event).await?;
        Ok(Queued::No)
    }
}

enum Queued {
    Yes,
    No,
    Failed,
}

/// Whether `contact` is owed `kind` now: a first notice before any, a reminder when its last notice
/// was sent before `cutoff`.
fn owes(contact: &ImportedContact, kind: NoticeKind, cutoff: Timestamp) -> bool {
    match kind {
        NoticeKind::Notice => contact.notice_status() == NoticeStatus::Due,
        NoticeKind::Reminder => {
            contact.notice_status() == NoticeStatus::Sent
                && contact.last_notified().is_some_and(|at| at <= cutoff)
        }
    }
}

/// The contacts still owed their first notice: all of them sit after the `notices` walk's mark (the walk
/// passes no contact it left owed), so this reads at most `budget` entries from there.
pub async fn owed<B: Backend>(
    store: &Store<B>,
    now: Timestamp,
    budget: u64,
) -> Result<Vec<ImportedContact>, StoreError> {
    let mark = store.notice_mark(NOTICES).await?;
    let reader = store.reader(Log::Contacts, now);
    let (entries, _) = reader
        .older(mark, Timestamp::from_unix_millis(i64::MAX), budget)
        .await?;
    let ids = named(&entries);
    let contacts: Vec<Option<ImportedContact>> = store.records(RecordKind::Contact, &ids).await?;
    Ok(contacts
        .into_iter()
        .flatten()
        .filter(|c| c.notice_status() == NoticeStatus::Due)
        .collect())
}

/// The contacts whose latest notice proved undeliverable.
pub async fn undeliverable<B: Backend>(
    store: &Store<B>,
) -> Result<Vec<ImportedContact>, StoreError> {
    let ids = store.undeliverable_contacts().await?;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let contacts: Vec<Option<ImportedContact>> = store.records(RecordKind::Contact, &ids).await?;
    Ok(contacts
        .into_iter()
        .flatten()
        .filter(|c| c.notice_status() == NoticeStatus::Undeliverable)
        .collect())
}
