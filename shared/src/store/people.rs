//! The person index: a person's records found by pseudonym in O(their records), never by listing keys.
//! Built by a job that walks the logs from a mark per log; a lookup reads the index plus the tail the
//! job has not reached. Design and key layout in [`super::keys`] ("The person index").

use super::{Backend, Key, Log, RecordKind, Store, StoreError, decode};
use crate::domain::EmailAddress;
use crate::mailer::OutboxMessage;
use crate::privacy::DataRequest;
use crate::records::{DemoRequest, LogEntry, OptOut, SCHEMA_VERSION, Submission, Subscriber};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The logs whose entries name records that belong to a person, with the kind of record they name.
pub const INDEXED: [(Log, RecordKind); 6] = [
    (Log::Submissions, RecordKind::Submission),
    (Log::Subscribers, RecordKind::Subscriber),
    (Log::DemoRequests, RecordKind::DemoRequest),
    (Log::OptOuts, RecordKind::OptOut),
    (Log::Outbox, RecordKind::Outbox),
    (Log::Requests, RecordKind::DataRequest),
];

/// Entries read per `get-many`.
const PAGE: u64 = 256;
/// A hole (a writer died between numbering and writing its entry, or is still writing) is stepped
/// over once an entry after it was written this long ago; before that a slower writer may fill it.
const HOLE_GRACE_MS: i64 = 60_000;

/// One log entry that names one of a person's records (`idx:person:{pseudonym}:{n}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PersonRef {
    pub v: u32,
    /// The log's name (`submissions`, `outbox`, ...).
    pub log: String,
    pub seq: u64,
    /// The record's kind (`submission`, `outbox`, ...) and id.
    pub kind: String,
    pub id: String,
}

impl PersonRef {
    pub fn record_kind(&self) -> Option<RecordKind> {
        RecordKind::parse(&self.kind)
    }

    pub fn log(&self) -> Option<Log> {
        Log::parse(&self.log)
    }
}

/// The pseudonym function of the app (the suppression key's keyed hash), passed in so the store holds
/// no key.
pub type Pseudonymise<'a> = &'a dyn Fn(&str) -> String;

/// What one run of the index job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IndexRun {
    /// Log entries read and indexed.
    pub entries: u64,
    /// References written.
    pub references: u64,
    /// Entries left past the marks when the run stopped (its budget ran out, or a young hole).
    pub behind: u64,
}

/// The email pseudonym of a stored address (normalised as capture normalises it).
fn email_pseudonym(raw: &str, pseudonymise: Pseudonymise) -> Option<String> {
    EmailAddress::parse(raw)
        .ok()
        .map(|e| pseudonymise(&e.normalized()))
}

/// The people (pseudonyms) a stored record of `kind` belongs to.
fn people_of(
    kind: RecordKind,
    key: &str,
    bytes: &[u8],
    pseudonymise: Pseudonymise,
) -> Result<Vec<String>, StoreError> {
    let contact = |email: Option<&str>, phone: Option<&str>| {
        let mut people: Vec<String> = email
            .and_then(|e| email_pseudonym(e, pseudonymise))
            .into_iter()
            .collect();
        // Phones are stored in E.164, the form the registry hashes.
        people.extend(phone.map(pseudonymise));
        people
    };
    Ok(match kind {
        RecordKind::Submission => {
            let r: Submission = decode(key, bytes)?;
            contact(r.contact.email.as_deref(), r.contact.phone.as_deref())
        }
        RecordKind::DemoRequest => {
            let r: DemoRequest = decode(key, bytes)?;
            contact(r.contact.email.as_deref(), r.contact.phone.as_deref())
        }
        RecordKind::Subscriber => vec![decode::<Subscriber>(key, bytes)?.id],
        RecordKind::OptOut => {
            let r: OptOut = decode(key, bytes)?;
            r.id.split_once(':')
                .map(|(_, p)| p.to_owned())
                .into_iter()
                .collect()
        }
        RecordKind::Outbox => {
            let r: OutboxMessage = decode(key, bytes)?;
            email_pseudonym(&r.message.to, pseudonymise)
                .into_iter()
                .collect()
        }
        RecordKind::DataRequest => {
            let r: DataRequest = decode(key, bytes)?;
            std::iter::once(r.email_pseudonym)
                .chain(r.phone_pseudonym)
                .collect()
        }
        RecordKind::Consent | RecordKind::ApiKey => Vec::new(),
    })
}

/// How many leading entries of a page may be indexed: all up to the first hole that a slower writer may
/// still fill (no entry after it was written more than [`HOLE_GRACE_MS`] ago).
fn settled_prefix(entries: &[(u64, Option<LogEntry>)], now: Timestamp) -> usize {
    for (at, (_, entry)) in entries.iter().enumerate() {
        if entry.is_none() {
            let old = entries[at + 1..].iter().any(|(_, later)| {
                later
                    .as_ref()
                    .is_some_and(|e| now.unix_millis() - e.written().unix_millis() > HOLE_GRACE_MS)
            });
            if !old {
                return at;
            }
        }
    }
    entries.len()
}

impl<B: Backend> Store<B> {
    /// The (person, reference) pairs for a page of `log`'s entries: the records they name are read in one
    /// `get-many`; erased records belong to nobody any more.
    async fn references(
        &self,
        log: Log,
        kind: RecordKind,
        entries: &[(u64, Option<LogEntry>)],
        pseudonymise: Pseudonymise<'_>,
    ) -> Result<Vec<(String, PersonRef)>, StoreError> {
        let ids: BTreeSet<&str> = entries
            .iter()
            .filter_map(|(_, e)| e.as_ref()?.record.as_deref())
            .collect();
        let ids: Vec<&str> = ids.into_iter().collect();
        let keys: Vec<String> = ids
            .iter()
            .map(|id| Key::Record(kind, id).to_string())
            .collect();
        let values = self.read_many(keys.clone()).await?;
        let mut people: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for ((id, key), value) in ids.iter().zip(&keys).zip(values) {
            if let Some(bytes) = value {
                people.insert(id, people_of(kind, key, &bytes, pseudonymise)?);
            }
        }
        let mut out = Vec::new();
        for (seq, entry) in entries {
            let Some(id) = entry.as_ref().and_then(|e| e.record.as_deref()) else {
                continue;
            };
            for person in people.get(id).into_iter().flatten() {
                out.push((
                    person.clone(),
                    PersonRef {
                        v: SCHEMA_VERSION,
                        log: log.as_str().to_owned(),
                        seq: *seq,
                        kind: kind.as_str().to_owned(),
                        id: id.to_owned(),
                    },
                ));
            }
        }
        Ok(out)
    }

    /// How far the index has read `log`.
    async fn people_mark(&self, log: Log) -> Result<u64, StoreError> {
        let key = Key::PeopleMark(log).to_string();
        match self.backend.get(&key).await? {
            Some(bytes) => decode(&key, &bytes),
            None => Ok(0),
        }
    }

    /// The index job: reads up to `budget` entries past the marks, log by log, and appends a reference
    /// per (person, entry). Each page's references and its new mark go in one `set-many`, after one
    /// `increment` per person in the page. Idempotent apart from duplicates (which readers drop), so
    /// a crashed or concurrent run loses nothing. Records captured before the index existed are
    /// indexed by the first run, which starts every mark at 0.
    pub async fn index_people(
        &self,
        pseudonymise: Pseudonymise<'_>,
        budget: u64,
        now: Timestamp,
    ) -> Result<IndexRun, StoreError> {
        let mut run = IndexRun::default();
        for (log, kind) in INDEXED {
            let mut pos = self.people_mark(log).await?;
            let head = self.log_head(log).await?;
            while pos < head && run.entries < budget {
                let want = PAGE.min(head - pos);
                let entries = self.log_entries(log, pos, want).await?;
                let settled = settled_prefix(&entries, now);
                if settled == 0 {
                    break;
                }
                let refs = self
                    .references(log, kind, &entries[..settled], pseudonymise)
                    .await?;
                let mut by_person: BTreeMap<&str, Vec<&PersonRef>> = BTreeMap::new();
                for (person, reference) in &refs {
                    by_person.entry(person).or_default().push(reference);
                }
                let mut writes = Vec::with_capacity(refs.len() + 1);
                for (person, references) in by_person {
                    let count = references.len() as i64;
                    let last = self
                        .backend
                        .increment(&Key::PersonIndexHead(person).to_string(), count)
                        .await?;
                    let first = u64::try_from(last - count + 1).unwrap_or_default();
                    for (n, reference) in (first..).zip(references) {
                        let bytes = serde_json::to_vec(reference).map_err(StoreError::Encode)?;
                        writes.push((Key::PersonIndexEntry(person, n).to_string(), bytes));
                    }
                }
                pos += settled as u64;
                let mark = serde_json::to_vec(&pos).map_err(StoreError::Encode)?;
                writes.push((Key::PeopleMark(log).to_string(), mark));
                self.backend.set_many(writes).await?;
                run.entries += settled as u64;
                run.references += refs.len() as u64;
                if settled < entries.len() {
                    break;
                }
            }
            run.behind += head.saturating_sub(pos);
        }
        Ok(run)
    }

    /// How many log entries the index has not read yet (its marks against the logs' heads).
    pub async fn people_behind(&self) -> Result<u64, StoreError> {
        let mut behind = 0;
        for (log, _) in INDEXED {
            let head = self.log_head(log).await?;
            behind += head.saturating_sub(self.people_mark(log).await?);
        }
        Ok(behind)
    }

    /// Every log entry that names a record of the people `pseudonyms` (one person's email and phone
    /// pseudonyms), oldest log first, without duplicates: the index plus the tail past its marks. The
    /// marks are read first, so an entry the job indexes meanwhile is found in the tail.
    pub async fn person_references(
        &self,
        pseudonyms: &[&str],
        pseudonymise: Pseudonymise<'_>,
    ) -> Result<Vec<PersonRef>, StoreError> {
        let mut marks = Vec::with_capacity(INDEXED.len());
        for (log, kind) in INDEXED {
            marks.push((log, kind, self.people_mark(log).await?));
        }
        let mut found: BTreeSet<PersonRef> = BTreeSet::new();
        for person in pseudonyms {
            let head = self
                .backend
                .increment(&Key::PersonIndexHead(person).to_string(), 0)
                .await?;
            let head = u64::try_from(head).unwrap_or_default();
            let keys: Vec<String> = (1..=head)
                .map(|n| Key::PersonIndexEntry(person, n).to_string())
                .collect();
            // A number with no reference is a run that died between its increment and its write.
            let refs: Vec<Option<PersonRef>> = self.get_decoded(keys).await?;
            found.extend(refs.into_iter().flatten());
        }
        for (log, kind, mark) in marks {
            let head = self.log_head(log).await?;
            let mut pos = mark;
            while pos < head {
                let want = PAGE.min(head - pos);
                let entries = self.log_entries(log, pos, want).await?;
                let refs = self.references(log, kind, &entries, pseudonymise).await?;
                found.extend(
                    refs.into_iter()
                        .filter(|(p, _)| pseudonyms.contains(&p.as_str()))
                        .map(|(_, r)| r),
                );
                pos += want;
            }
        }
        Ok(found.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Action, Actor};

    fn entry(seq: u64, written_ms: i64) -> (u64, Option<LogEntry>) {
        let at = Timestamp::from_unix_millis(written_ms);
        (
            seq,
            Some(LogEntry {
                v: 1,
                seq,
                at,
                action: Action::Captured,
                record: Some("r".into()),
                actor: Actor::System,
                detail: None,
                revision: None,
                pending: false,
                written_at: Some(at),
            }),
        )
    }

    #[test]
    fn the_index_stops_at_a_young_hole_and_steps_over_an_old_one() {
        let now = Timestamp::from_unix_millis(1_000_000);
        let young = vec![entry(1, 990_000), (2, None), entry(3, 995_000)];
        assert_eq!(settled_prefix(&young, now), 1);
        let old = vec![entry(1, 0), (2, None), entry(3, 1_000)];
        assert_eq!(settled_prefix(&old, now), 3);
        let trailing = vec![entry(1, 0), (2, None)];
        assert_eq!(settled_prefix(&trailing, now), 1);
    }
}
