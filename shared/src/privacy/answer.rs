//! Answering a data-subject request: finding the person's records (through the person index), putting
//! opt-outs in force, erasing, correcting, and building the access package.

use super::settings::{ERASABLE, PrivacySettings};
use super::{DataRequest, Outcome, Step, mail};
use crate::domain::Right;
use crate::mailer::OutboxMessage;
use crate::mailer::{enqueue, enqueue_then_erase};
use crate::records::{Action, Actor, ConsentDecision, LogEntry, OptOutSource, RecordRef, notes};
use crate::store::{Backend, Channel, Event, Log, PersonRef, RecordKind, Store, StoreError};
use crate::time::Timestamp;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Log entries the person index reads before a lookup, at most (the rest is read as the tail).
const INDEX_BUDGET: u64 = 50_000;
/// Entries of the `access` log read per `get-many` while looking for staff reads of the person's data.
const ACCESS_PAGE: u64 = 256;

/// Everything found for one person: the log entries that name their records.
#[derive(Debug, Clone, Default)]
pub struct Found {
    refs: Vec<PersonRef>,
}

impl Found {
    /// Each record once, in the order first seen.
    pub fn records(&self) -> Vec<(RecordKind, &str)> {
        let mut seen = BTreeSet::new();
        self.refs
            .iter()
            .filter_map(|r| Some((r.record_kind()?, r.id.as_str())))
            .filter(|(kind, id)| seen.insert((kind.as_str(), *id)))
            .collect()
    }

    /// Record ids per kind (`submission` → ids), for the staff view.
    pub fn by_kind(&self) -> BTreeMap<&'static str, Vec<&str>> {
        let mut out: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
        for (kind, id) in self.records() {
            out.entry(kind.as_str()).or_default().push(id);
        }
        out
    }

    pub fn references(&self) -> &[PersonRef] {
        &self.refs
    }
}

/// The person's pseudonyms: of the address, and of the phone when one was given.
fn pseudonyms(request: &DataRequest) -> Vec<&str> {
    std::iter::once(request.email_pseudonym.as_str())
        .chain(request.phone_pseudonym.as_deref())
        .collect()
}

/// Finds the person's records: brings the person index up to date (bounded), then reads it with the
/// tail it has not reached. O(the person's records + the tail), never a scan of the store.
pub async fn find<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    request: &DataRequest,
    now: Timestamp,
) -> Result<Found, StoreError> {
    let pseudonymise = |value: &str| settings.pseudonym(value);
    crate::store::people_index::index(store, &pseudonymise, INDEX_BUDGET, now).await?;
    let refs = store
        .person_references(&pseudonyms(request), &pseudonymise, now)
        .await?;
    Ok(Found { refs })
}

/// Puts the request's opt-outs in force on the do-not-contact registry: objection and restriction stop
/// marketing by email (and phone, when given); opt-out of sale/share is its own entry. Idempotent.
pub async fn apply_opt_outs<B: Backend>(
    store: &Store<B>,
    request: &DataRequest,
    actor: &Actor,
    now: Timestamp,
) -> Result<(), StoreError> {
    let rights = request.rights();
    let mut channels: Vec<(Channel, &str)> = Vec::new();
    if rights.contains(Right::Objection) || rights.contains(Right::Restriction) {
        channels.push((Channel::Email, &request.email_pseudonym));
        if let Some(phone) = &request.phone_pseudonym {
            channels.push((Channel::Phone, phone));
        }
    }
    if rights.contains(Right::OptOutSaleShare) {
        channels.push((Channel::SaleShare, &request.email_pseudonym));
    }
    for (channel, pseudonym) in channels {
        store
            .opt_out(
                channel,
                pseudonym,
                OptOutSource::PrivacyRequest,
                actor.clone(),
                now,
            )
            .await?;
    }
    Ok(())
}

/// Erases the person's records (each a tombstone in its feed, so syncing CRMs delete too), except kinds
/// under a legal hold; forgets the address in their other requests; and adds the address and phone to
/// the do-not-contact registry by pseudonym, so they are never contacted again without fresh consent.
/// Idempotent: an approval retried after a failure erases what is left.
pub async fn erase<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    request: &DataRequest,
    found: &Found,
    actor: &Actor,
    now: Timestamp,
) -> Result<Outcome, StoreError> {
    let mut erased: BTreeMap<String, u64> = BTreeMap::new();
    let mut records = Vec::new();
    let mut kept: BTreeMap<String, String> = BTreeMap::new();
    let detail = format!("{}{}", notes::ERASURE_REQUEST, request.id);
    for (kind, id) in found.records() {
        if kind == RecordKind::DataRequest && id != request.id {
            store
                .update(
                    kind,
                    id,
                    Event::by(
                        actor.clone(),
                        kind.log(),
                        Action::Updated,
                        Some(detail.clone()),
                        now,
                    ),
                    |r: &mut DataRequest| {
                        let had = r.email.is_some() || r.phone.is_some() || r.details.is_some();
                        r.forget_person();
                        had
                    },
                )
                .await?;
            continue;
        }
        if !ERASABLE.contains(&kind) {
            continue;
        }
        if let Some(hold) = settings.hold(kind) {
            kept.insert(kind.as_str().to_owned(), hold.reason.clone());
            continue;
        }
        store
            .erase(
                kind,
                id,
                Event::by(
                    actor.clone(),
                    kind.log(),
                    Action::Erased,
                    Some(detail.clone()),
                    now,
                ),
            )
            .await?;
        *erased.entry(kind.as_str().to_owned()).or_default() += 1;
        records.push(RecordRef {
            kind: kind.as_str().to_owned(),
            id: id.to_owned(),
        });
    }
    if request.consent_id.is_some() {
        kept.insert(
            "consent".into(),
            "Proof of cookie consent (GDPR Art. 7(1)); pseudonymous, holds no address".into(),
        );
    }
    for (channel, pseudonym) in std::iter::once((Channel::Email, &request.email_pseudonym)).chain(
        request
            .phone_pseudonym
            .as_ref()
            .map(|p| (Channel::Phone, p)),
    ) {
        store
            .opt_out(
                channel,
                pseudonym,
                OptOutSource::Erasure,
                actor.clone(),
                now,
            )
            .await?;
    }
    Ok(Outcome {
        erased: erased.into_iter().collect(),
        kept: kept.into_iter().collect(),
        records,
        ..Outcome::default()
    })
}

/// Carries out an approved request: opt-outs in force again (idempotent), the erasure, the access
/// package's download link, and the completion mail; then marks the request fulfilled with its outcome
/// (and, after an erasure, without the person's address). Safe to run again after a failure midway.
/// With both access and erasure, the package travels inside the completion mail (which is itself
/// erased once delivered), since nothing is left to download afterwards.
pub async fn carry_out<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    request: &DataRequest,
    actor: &Actor,
    by: &str,
    now: Timestamp,
) -> Result<DataRequest, crate::http::ApiError> {
    let rights = request.rights();
    let found = find(store, settings, request, now).await?;
    if rights.as_slice().iter().any(|r| r.is_opt_out()) {
        apply_opt_outs(store, request, actor, now).await?;
    }
    let mut outcome = request.outcome.clone().unwrap_or_default();
    let erasing = rights.contains(Right::Erasure);
    // Read before the erasure, when access is asked too: afterwards there is nothing left to show.
    let frozen = if rights.contains(Right::Access) && erasing {
        Some(package(store, settings, request, &found, now).await?)
    } else {
        None
    };
    let mut download = None;
    if rights.contains(Right::Access) && !erasing {
        let until = now.plus_days(settings.download_ttl_days);
        outcome.download_until = Some(until);
        download = Some(mail::download_url(settings, request, until));
    }
    if erasing {
        let erased = erase(store, settings, request, &found, actor, now).await?;
        outcome.erased = erased.erased;
        outcome.kept = erased.kept;
        // An approval retried after a failure erases what was left: the ids of both runs are told.
        for record in erased.records {
            if !outcome.records.contains(&record) {
                outcome.records.push(record);
            }
        }
    }
    let mut mail = mail::completion(settings, request, &outcome, download.as_deref())?;
    if let Some(package) = frozen {
        mail.text_body.push_str(&format!(
            "\nA copy of everything we held about you, made just before it was erased (JSON):\n\n{}\n",
            serde_json::to_string_pretty(&package).unwrap_or_default()
        ));
    }
    if erasing {
        enqueue_then_erase(store, mail, now).await?;
    } else {
        enqueue(store, mail, now).await?;
    }
    let event = Event::by(
        actor.clone(),
        Log::Requests,
        Action::Updated,
        Some(format!(
            "{} erased={} kept={}",
            notes::FULFILLED,
            outcome.erased.iter().map(|(_, n)| n).sum::<u64>(),
            outcome.kept.len()
        )),
        now,
    );
    let updated = store
        .update(
            RecordKind::DataRequest,
            &request.id,
            event,
            |r: &mut DataRequest| {
                r.fulfilled_at = Some(now);
                r.outcome = Some(outcome.clone());
                r.step(Step::Fulfilled, now, by, None);
                if erasing {
                    r.forget_person();
                }
                true
            },
        )
        .await?;
    match updated {
        crate::store::Updated::Changed(r) | crate::store::Updated::Unchanged(r) => Ok(r),
        crate::store::Updated::Missing => Err(crate::http::ApiError::NotFound),
    }
}

/// The access package (GDPR Art. 15 and 20): every record held about the person, their consent history
/// (when they gave the banner's id), the processing-register entries about their records (who captured,
/// changed, read or exported them, and when) and the Art. 15(1) facts. JSON; the privacy page renders it.
pub async fn package<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    request: &DataRequest,
    found: &Found,
    now: Timestamp,
) -> Result<Value, StoreError> {
    let mut records: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    let mut by_kind: BTreeMap<RecordKind, Vec<&str>> = BTreeMap::new();
    for (kind, id) in found.records() {
        by_kind.entry(kind).or_default().push(id);
    }
    for (kind, ids) in &by_kind {
        let values: Vec<Option<Value>> = store.records(*kind, ids).await?;
        let name = collection_name(*kind);
        let list = records.entry(name).or_default();
        for mut value in values.into_iter().flatten() {
            if *kind == RecordKind::Outbox {
                value = mail_view(value);
            }
            list.push(value);
        }
    }
    if let Some(consent_id) = &request.consent_id {
        let history: Vec<ConsentDecision> = store.consent_history(consent_id).await?;
        records.insert(
            "consent_decisions",
            history
                .into_iter()
                .filter_map(|d| serde_json::to_value(d).ok())
                .collect(),
        );
    }
    Ok(json!({
        "request": {
            "id": request.id,
            "rights": request.rights,
            "received_at": request.received_at,
            "due_at": request.due_at,
        },
        "generated_at": now,
        "person": {
            "email": request.email,
            "phone": request.phone,
        },
        "records": records,
        "processing": processing(store, found, now).await?,
        "about_this_processing": settings.facts.of(mail::language(settings, request)),
    }))
}

/// The name a record kind has in the package.
fn collection_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Submission => "submissions",
        RecordKind::Subscriber => "newsletter",
        RecordKind::DemoRequest => "demo_requests",
        RecordKind::OptOut => "opt_outs",
        RecordKind::Outbox => "mail_sent_to_you",
        RecordKind::DataRequest => "privacy_requests",
        RecordKind::Consent => "consent_decisions",
        RecordKind::ApiKey => "api_keys",
        RecordKind::Contact => "contacts_from_other_sources",
        RecordKind::Webhook => "webhook_endpoints",
        RecordKind::WebhookEvent => "events_sent_to_other_systems",
    }
}

/// A mail as the person sees it: what was sent when, without delivery internals.
fn mail_view(value: Value) -> Value {
    let Ok(mail) = serde_json::from_value::<OutboxMessage>(value) else {
        return Value::Null;
    };
    json!({
        "subject": mail.message.subject,
        "to": mail.message.to,
        "from": mail.message.from,
        "queued_at": mail.created_at,
        "sent_at": mail.sent_at,
        "text": mail.message.text_body,
    })
}

/// The register entries about the person's records: every entry that names one (from the person index)
/// and every staff read whose range covered one of them (pulls and exports name a collection and a
/// cursor range). The `access` log is walked whole: O(staff activity), not O(store).
async fn processing<B: Backend>(
    store: &Store<B>,
    found: &Found,
    now: Timestamp,
) -> Result<Vec<Value>, StoreError> {
    let mut by_log: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for r in found.references() {
        by_log.entry(r.log.as_str()).or_default().push(r.seq);
    }
    let mut out = Vec::new();
    for (log_name, seqs) in &by_log {
        let Some(log) = Log::parse(log_name) else {
            continue;
        };
        let reader = store.reader(log, now);
        for (entry, _) in reader.at(seqs).await?.into_iter().flatten() {
            out.push(register_view(log, &entry));
        }
    }
    let ids: BTreeSet<&str> = found.records().into_iter().map(|(_, id)| id).collect();
    let reader = store.reader(Log::Access, now);
    let head = reader.head().await?;
    let mut pos = 0;
    // The whole log a page at a time, young holes and pending entries too: every read so far.
    while pos < head {
        let want = ACCESS_PAGE.min(head - pos);
        for (_, slot) in reader.slots(pos, want, head).await? {
            let Some(entry) = slot.entry() else { continue };
            let named = entry.record.as_deref().is_some_and(|id| ids.contains(id));
            let covered = entry.detail.as_deref().and_then(read_range).is_some_and(
                |(collection, after, to)| {
                    by_log
                        .get(collection)
                        .is_some_and(|seqs| seqs.iter().any(|s| *s > after && *s <= to))
                },
            );
            if (named || covered) && entry.action == Action::Read {
                out.push(register_view(Log::Access, entry));
            }
        }
        pos += want;
    }
    out.sort_by(|a, b| a["at"].as_str().cmp(&b["at"].as_str()));
    Ok(out)
}

/// `collection=X after=A to=B` in a pull's or an export's register entry.
fn read_range(detail: &str) -> Option<(&str, u64, u64)> {
    let mut collection = None;
    let (mut after, mut to) = (None, None);
    for part in detail.split_whitespace() {
        match part.split_once('=') {
            Some(("collection", v)) => collection = Some(v),
            Some(("after", v)) => after = v.parse().ok(),
            Some(("to", v)) => to = v.parse().ok(),
            _ => {}
        }
    }
    Some((collection?, after?, to?))
}

fn register_view(log: Log, entry: &LogEntry) -> Value {
    json!({
        "log": log.as_str(),
        "seq": entry.seq,
        "at": entry.at,
        "action": entry.action,
        "record": entry.record,
        "by": entry.actor,
        "detail": entry.detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_names_the_range_it_read() {
        assert_eq!(
            read_range("collection=submissions after=3 to=10 count=7"),
            Some(("submissions", 3, 10))
        );
        assert_eq!(read_range("api-key revoked"), None);
    }
}
