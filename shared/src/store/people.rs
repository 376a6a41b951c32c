//! The person index's storage: references from a person (a pseudonym) to the log entries that name their
//! records, the marks of how far the index job has read each log, and the lookup of one person (the
//! index plus the tail the job has not reached). Design and key layout in [`super::keys`] ("The person
//! index"); it is built by `people_index`.

use super::backend::Backend;
use super::core::{Store, StoreError};
use super::keys::Key;
use super::reader::PAGE;
use crate::records::{Log, LogEntry, RecordKind, SCHEMA_VERSION, described};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The logs whose entries name records that belong to a person, with the kind of record they name.
pub const INDEXED: [(Log, RecordKind); 7] = [
    (Log::Submissions, RecordKind::Submission),
    (Log::Subscribers, RecordKind::Subscriber),
    (Log::DemoRequests, RecordKind::DemoRequest),
    (Log::OptOuts, RecordKind::OptOut),
    (Log::Outbox, RecordKind::Outbox),
    (Log::Requests, RecordKind::DataRequest),
    (Log::Contacts, RecordKind::Contact),
];

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

impl<B: Backend> Store<B> {
    /// The (person, reference) pairs for entries of `log` (records of `kind`): the records they name are
    /// read in one `get-many`, and each says whom it names; erased records belong to nobody any more.
    pub async fn person_refs(
        &self,
        log: Log,
        kind: RecordKind,
        entries: &[(u64, &LogEntry)],
        pseudonymise: Pseudonymise<'_>,
    ) -> Result<Vec<(String, PersonRef)>, StoreError> {
        let ids: BTreeSet<&str> = entries
            .iter()
            .filter_map(|(_, e)| e.record.as_deref())
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
                let record = described(kind, &bytes).map_err(|source| StoreError::Corrupt {
                    key: key.clone(),
                    source,
                })?;
                let named = record
                    .people()
                    .iter()
                    .filter_map(|p| p.pseudonym(pseudonymise))
                    .collect();
                people.insert(id, named);
            }
        }
        let mut out = Vec::new();
        for (seq, entry) in entries {
            let Some(id) = entry.record.as_deref() else {
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
    pub async fn people_mark(&self, log: Log) -> Result<u64, StoreError> {
        self.mark(&Key::PeopleMark(log).to_string()).await
    }

    /// Appends `refs` to their people's references and moves `log`'s mark to `mark`: one `increment` per
    /// person, then one `set-many` for the references and the mark together.
    pub async fn add_person_refs(
        &self,
        log: Log,
        refs: &[(String, PersonRef)],
        mark: u64,
    ) -> Result<(), StoreError> {
        let mut by_person: BTreeMap<&str, Vec<&PersonRef>> = BTreeMap::new();
        for (person, reference) in refs {
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
        let mark = serde_json::to_vec(&mark).map_err(StoreError::Encode)?;
        writes.push((Key::PeopleMark(log).to_string(), mark));
        Ok(self.backend.set_many(writes).await?)
    }

    /// Every log entry that names a record of the people `pseudonyms` (one person's email and phone
    /// pseudonyms), oldest log first, without duplicates: the index plus the tail past its marks. The
    /// marks are read first, so an entry the job indexes meanwhile is found in the tail.
    pub async fn person_references(
        &self,
        pseudonyms: &[&str],
        pseudonymise: Pseudonymise<'_>,
        now: Timestamp,
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
            let reader = self.reader(log, now);
            let head = reader.head().await?;
            let mut pos = mark;
            while pos < head {
                let want = PAGE.min(head - pos);
                // The whole tail, young holes and pending entries too: a record captured a moment ago
                // is the person's already.
                let slots = reader.slots(pos, want, head).await?;
                let entries: Vec<(u64, &LogEntry)> = slots
                    .iter()
                    .filter_map(|(seq, slot)| Some((*seq, slot.entry()?)))
                    .collect();
                let refs = self.person_refs(log, kind, &entries, pseudonymise).await?;
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
