//! The import of contacts from another source: each row parsed by the forms' own domain parsers, rows on
//! the do-not-contact registry left out (an import never brings back a person who left), new addresses
//! stored in batches, known ones given the new source without a second notice, and the import itself
//! registered without any personal data.

use crate::domain::{
    CompanyName, ContactSource, CountryCode, EmailAddress, ExternalId, Invalid, JobTitle, Language,
    LegalBasis, ObtainedOn, PersonName, PhoneNumber, SourceKind, SourceName, parse_bool,
};
use crate::http::FieldError;
use crate::ids::new_id;
use crate::privacy::PrivacySettings;
use crate::records::{
    Action, Actor, ContactDetails, Event, ImportedContact, Log, RecordKind, SCHEMA_VERSION,
    SourceRecord,
};
use crate::store::{Backend, Channel, Store, StoreError, Updated};
use crate::time::Timestamp;
use serde::Serialize;
use std::collections::HashSet;

/// Contacts one call takes at most.
pub const MAX_CONTACTS: usize = 10_000;
/// The fields a contact row may hold.
pub const FIELDS: [&str; 8] = [
    "email",
    "name",
    "company",
    "title",
    "phone",
    "country",
    "language",
    "external_id",
];
/// New contacts written per `set-many`.
const BATCH: usize = 1_000;

/// One contact row, parsed.
#[derive(Debug, Clone)]
pub struct Row {
    /// Its place in the call, from 0.
    index: usize,
    email: EmailAddress,
    name: Option<PersonName>,
    company: Option<CompanyName>,
    title: Option<JobTitle>,
    phone: Option<PhoneNumber>,
    country: Option<CountryCode>,
    language: Option<Language>,
    external_id: Option<ExternalId>,
}

/// A row that was refused: where, which field, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub index: usize,
    pub field: String,
    pub code: &'static str,
}

impl Row {
    /// Row `index` from its `(field, value)` cells; an empty cell is an absent field. The first field
    /// that is unknown or invalid refuses the row.
    pub fn parse<'a>(
        index: usize,
        cells: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, Rejection> {
        let reject = |field: &str, code: &'static str| Rejection {
            index,
            field: field.to_owned(),
            code,
        };
        let mut values: [Option<&str>; 8] = [None; 8];
        for (field, cell) in cells {
            let slot = FIELDS
                .iter()
                .position(|f| *f == field)
                .ok_or_else(|| reject(field, "unknown_field"))?;
            if !cell.trim().is_empty() {
                values[slot] = Some(cell);
            }
        }
        fn field<T>(
            values: &[Option<&str>; 8],
            name: &str,
            parse: fn(&str) -> Result<T, Invalid>,
        ) -> Result<Option<T>, (String, &'static str)> {
            let slot = FIELDS.iter().position(|f| *f == name).unwrap_or_default();
            values[slot]
                .map(parse)
                .transpose()
                .map_err(|e| (name.to_owned(), e.code))
        }
        let parsed = (|| {
            Ok(Row {
                index,
                email: field(&values, "email", EmailAddress::parse)?
                    .ok_or_else(|| ("email".to_owned(), "required"))?,
                name: field(&values, "name", PersonName::parse)?,
                company: field(&values, "company", CompanyName::parse)?,
                title: field(&values, "title", JobTitle::parse)?,
                phone: field(&values, "phone", PhoneNumber::parse)?,
                country: field(&values, "country", CountryCode::parse)?,
                language: field(&values, "language", Language::parse)?,
                external_id: field(&values, "external_id", ExternalId::parse)?,
            })
        })();
        parsed.map_err(|(field, code): (String, &'static str)| reject(&field, code))
    }
}

/// A source's parts as sent, each named as the client named it (`source.name`, or `source_name` in a
/// query), `None` when absent.
pub struct RawSource<'a> {
    pub name: (&'a str, Option<&'a str>),
    pub kind: (&'a str, Option<&'a str>),
    pub obtained_at: (&'a str, Option<&'a str>),
    pub public: (&'a str, Option<&'a str>),
    pub legal_basis: (&'a str, Option<&'a str>),
}

/// The source, or every part of it that is missing or invalid.
pub fn parse_source(raw: RawSource<'_>, now: Timestamp) -> Result<ContactSource, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut take = |(field, value): (&str, Option<&str>),
                    parse: &dyn Fn(&str) -> Result<(), Invalid>| {
        match value {
            None => errors.push(FieldError::new(field, "required", "is required")),
            Some(v) => {
                if let Err(e) = parse(v) {
                    errors.push(FieldError::new(field, e.code, e.message));
                }
            }
        }
    };
    fn value<'a>((_, v): (&str, Option<&'a str>)) -> &'a str {
        v.unwrap_or_default()
    }
    take(raw.name, &|v| SourceName::parse(v).map(drop));
    take(raw.kind, &|v| SourceKind::parse(v).map(drop));
    take(raw.obtained_at, &|v| ObtainedOn::parse(v, now).map(drop));
    take(raw.public, &|v| parse_bool(v.trim()).map(drop));
    take(raw.legal_basis, &|v| LegalBasis::parse(v).map(drop));
    if !errors.is_empty() {
        return Err(errors);
    }
    let ok = "checked above";
    Ok(ContactSource {
        name: SourceName::parse(value(raw.name)).expect(ok),
        kind: SourceKind::parse(value(raw.kind)).expect(ok),
        obtained_on: ObtainedOn::parse(value(raw.obtained_at), now).expect(ok),
        public: parse_bool(value(raw.public).trim()).expect(ok),
        legal_basis: LegalBasis::parse(value(raw.legal_basis)).expect(ok),
    })
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub import_id: String,
    /// New contacts stored.
    pub accepted: usize,
    /// Known contacts given this source.
    pub updated: usize,
    /// Rows left out because their email or phone is on the do-not-contact registry.
    pub suppressed: usize,
    pub rejected: Vec<Rejection>,
}

/// Imports `rows` (parsed, or refused) from `source` for API key `key_id`.
pub async fn import<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    source: &ContactSource,
    rows: Vec<Result<Row, Rejection>>,
    key_id: &str,
    now: Timestamp,
) -> Result<ImportReport, StoreError> {
    let import_id = new_id();
    let mut report = ImportReport {
        import_id: import_id.clone(),
        accepted: 0,
        updated: 0,
        suppressed: 0,
        rejected: Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut parsed = Vec::new();
    for row in rows {
        match row {
            Err(rejection) => report.rejected.push(rejection),
            Ok(row) => {
                let id = settings.pseudonym(&row.email.normalized());
                if seen.insert(id.clone()) {
                    parsed.push((id, row));
                } else {
                    report.rejected.push(Rejection {
                        index: row.index,
                        field: "email".into(),
                        code: "duplicate_in_import",
                    });
                }
            }
        }
    }
    report.rejected.sort_by_key(|r| r.index);

    let pairs: Vec<(&str, &Row)> = parsed.iter().map(|(id, row)| (id.as_str(), row)).collect();
    let out = suppressed(store, settings, &pairs).await?;
    let mut kept = Vec::with_capacity(parsed.len());
    for ((id, row), out) in parsed.into_iter().zip(out) {
        if out {
            report.suppressed += 1;
        } else {
            kept.push((id, row));
        }
    }

    let ids: Vec<&str> = kept.iter().map(|(id, _)| id.as_str()).collect();
    let known: Vec<Option<ImportedContact>> = store.records(RecordKind::Contact, &ids).await?;
    let added = SourceRecord {
        name: source.name.as_str().to_owned(),
        kind: source.kind.as_str().to_owned(),
        obtained_at: source.obtained_on.at(),
        public: source.public,
        legal_basis: source.legal_basis.as_str().to_owned(),
        import_id: import_id.clone(),
        imported_at: now,
        external_id: None,
    };
    let actor = Actor::ApiKey {
        key_id: key_id.to_owned(),
    };
    let event = |action| {
        Event::by(
            actor.clone(),
            Log::Contacts,
            action,
            Some(format!("import {import_id}")),
            now,
        )
    };
    let mut fresh: Vec<(&str, &Row, SourceRecord)> = Vec::new();
    for ((id, row), known) in kept.iter().zip(known) {
        let source = SourceRecord {
            external_id: row.external_id.as_ref().map(|e| e.as_str().to_owned()),
            ..added.clone()
        };
        match known {
            None => fresh.push((id.as_str(), row, source)),
            Some(_) => {
                let event = event(Action::Updated);
                merge_known(store, settings, (id, row, &source), event, &mut report).await?;
            }
        }
    }
    for batch in fresh.chunks(BATCH) {
        // Read again just before writing: an address created since the first read (a concurrent
        // import) is merged, not overwritten; one put on the registry since (an objection) stays out.
        let ids: Vec<&str> = batch.iter().map(|(id, _, _)| *id).collect();
        let known: Vec<Option<ImportedContact>> = store.records(RecordKind::Contact, &ids).await?;
        let pairs: Vec<(&str, &Row)> = batch.iter().map(|(id, row, _)| (*id, *row)).collect();
        let out = suppressed(store, settings, &pairs).await?;
        let mut writes = Vec::with_capacity(batch.len());
        for (((id, row, source), known), out) in batch.iter().zip(known).zip(out) {
            if out {
                report.suppressed += 1;
            } else if known.is_some() {
                let event = event(Action::Updated);
                merge_known(store, settings, (id, row, source), event, &mut report).await?;
            } else {
                writes.push((*id, new_contact(settings, id, row, source.clone(), now)));
            }
        }
        report.accepted += writes.len();
        store
            .append_many(RecordKind::Contact, &writes, event(Action::Captured))
            .await?;
    }
    let public = if source.public {
        "public"
    } else {
        "not public"
    };
    let summary = format!(
        "import {import_id}: source {:?} ({}, {public}, obtained {}); accepted {}, updated {}, suppressed {}, rejected {}",
        source.name.as_str(),
        source.kind.as_str(),
        &source.obtained_on.at().to_rfc3339()[..10],
        report.accepted,
        report.updated,
        report.suppressed,
        report.rejected.len()
    );
    store
        .note_many(Event::by(
            actor,
            Log::Contacts,
            Action::Captured,
            Some(summary),
            now,
        ))
        .await?;
    Ok(report)
}

/// Which rows are on the do-not-contact registry (email, or phone where the row has one), in one batch
/// read.
async fn suppressed<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    rows: &[(&str, &Row)],
) -> Result<Vec<bool>, StoreError> {
    let mut wanted = Vec::with_capacity(rows.len() * 2);
    for (id, row) in rows {
        wanted.push((Channel::Email, (*id).to_owned()));
        if let Some(phone) = &row.phone {
            wanted.push((Channel::Phone, settings.pseudonym(phone.as_str())));
        }
    }
    let mut in_force = store.in_force(&wanted).await?.into_iter();
    Ok(rows
        .iter()
        .map(|(_, row)| {
            let email = in_force.next().unwrap_or(false);
            let phone = row.phone.is_some() && in_force.next().unwrap_or(false);
            email || phone
        })
        .collect())
}

/// A known contact given this row's source and fields; counted as updated, or as suppressed when it was
/// erased meanwhile (an objection: it stays gone).
async fn merge_known<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    (id, row, source): (&str, &Row, &SourceRecord),
    event: Event,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let updated = store
        .update(RecordKind::Contact, id, event, |c: &mut ImportedContact| {
            merge(settings, c, row, source)
        })
        .await?;
    match updated {
        Updated::Missing => report.suppressed += 1,
        _ => report.updated += 1,
    }
    Ok(())
}

/// The language a row names for its mails, if the texts offer it: its own, else its country's.
fn language(settings: &PrivacySettings, row: &Row) -> Option<Language> {
    let offered = |l: &Language| settings.texts.offers(*l);
    row.language.filter(offered).or_else(|| {
        row.country
            .as_ref()
            .and_then(Language::of_country)
            .filter(offered)
    })
}

fn details(row: &Row) -> ContactDetails {
    let text = |v: Option<&str>| v.map(str::to_owned);
    ContactDetails {
        name: text(row.name.as_ref().map(PersonName::as_str)),
        email: None,
        company: text(row.company.as_ref().map(CompanyName::as_str)),
        title: text(row.title.as_ref().map(JobTitle::as_str)),
        phone: text(row.phone.as_ref().map(PhoneNumber::as_str)),
        country: text(row.country.as_ref().map(CountryCode::as_str)),
        message: None,
    }
}

fn new_contact(
    settings: &PrivacySettings,
    id: &str,
    row: &Row,
    source: SourceRecord,
    now: Timestamp,
) -> ImportedContact {
    ImportedContact {
        v: SCHEMA_VERSION,
        id: id.to_owned(),
        email: row.email.as_str().to_owned(),
        details: details(row),
        language: language(settings, row)
            .unwrap_or(Language::ENGLISH)
            .as_str()
            .to_owned(),
        notice_due_by: source.obtained_at.plus_months(1),
        sources: vec![source],
        imported_at: now,
        notices: Vec::new(),
    }
}

/// A known contact imported again: the source added (once), the fields this row holds updated, the
/// notice deadline the earliest; no second notice.
fn merge(
    settings: &PrivacySettings,
    contact: &mut ImportedContact,
    row: &Row,
    source: &SourceRecord,
) -> bool {
    let before = contact.clone();
    let new = details(row);
    let d = &mut contact.details;
    for (into, from) in [
        (&mut d.name, new.name),
        (&mut d.company, new.company),
        (&mut d.title, new.title),
        (&mut d.phone, new.phone),
        (&mut d.country, new.country),
    ] {
        if from.is_some() {
            *into = from;
        }
    }
    if let Some(language) = language(settings, row) {
        contact.language = language.as_str().to_owned();
    }
    let same = |s: &SourceRecord| {
        s.name == source.name && s.kind == source.kind && s.obtained_at == source.obtained_at
    };
    match contact.sources.iter_mut().find(|s| same(s)) {
        Some(known) => known.external_id = source.external_id.clone().or(known.external_id.take()),
        None => contact.sources.push(source.clone()),
    }
    contact.notice_due_by = contact.notice_due_by.min(source.obtained_at.plus_months(1));
    *contact != before
}
