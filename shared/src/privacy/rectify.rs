//! Rectification: corrections staff make to a person's records, each a new entry in its feed.

use super::answer::Found;
use crate::body::FieldReader;
use crate::domain::{CompanyName, CountryCode, Invalid, JobTitle, PersonName, PhoneNumber};
use crate::records::{
    Action, Actor, DemoRequest, Event, ImportedContact, RecordKind, Submission, Subscriber,
};
use crate::store::{Backend, Store, StoreError};
use crate::time::Timestamp;

/// Corrections staff make to a person's records (the fields capture stores; the email is not among
/// them: a new address is a new person, done as erasure and a new capture).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Corrections {
    name: Option<PersonName>,
    company: Option<CompanyName>,
    title: Option<JobTitle>,
    phone: Option<PhoneNumber>,
    country: Option<CountryCode>,
}

impl Corrections {
    /// Reads the map field `changes` (`{"changes": {"name": ..., "company": ...}}`, or `changes.name`
    /// in a form body; `null` leaves a field as it is); every refused entry is a field error in
    /// `fields`, and so is giving no value at all.
    pub fn read(fields: &mut FieldReader) -> Self {
        let mut out = Self::default();
        let mut valued = false;
        fields.map("changes", |name, raw| {
            valued |= raw.is_some();
            out.set(name, raw)
        });
        if !valued {
            fields.reject("changes", "required", "name at least one field to correct");
        }
        out
    }

    /// Sets field `name` to `raw`; `None` (sent as `null`) leaves it, once the name is known.
    fn set(&mut self, name: &str, raw: Option<&str>) -> Result<(), Invalid> {
        let Some(raw) = raw else {
            return match name {
                "name" | "company" | "title" | "phone" | "country" => Ok(()),
                _ => self.set(name, Some("")),
            };
        };
        match name {
            "name" => PersonName::parse(raw).map(|v| self.name = Some(v)),
            "company" => CompanyName::parse(raw).map(|v| self.company = Some(v)),
            "title" => JobTitle::parse(raw).map(|v| self.title = Some(v)),
            "phone" => PhoneNumber::parse(raw).map(|v| self.phone = Some(v)),
            "country" => CountryCode::parse(raw).map(|v| self.country = Some(v)),
            "email" => Err(Invalid::new(
                "not_rectifiable",
                "an address cannot be corrected: erase the old one and sign up with the new one",
            )),
            _ => Err(Invalid::new(
                "unknown_field",
                "is not a field that can be corrected (name, company, title, phone, country)",
            )),
        }
    }

    /// The corrected fields' names (for the register: never their values).
    pub fn fields(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("company", self.company.is_some()),
            ("title", self.title.is_some()),
            ("phone", self.phone.is_some()),
            ("country", self.country.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// Corrects the fields a stored contact holds; answers whether anything changed.
    fn apply(&self, contact: &mut crate::records::ContactDetails) -> bool {
        let before = contact.clone();
        let set = |slot: &mut Option<String>, value: Option<&str>| {
            if let (Some(old), Some(new)) = (slot.as_mut(), value) {
                *old = new.to_owned();
            }
        };
        set(
            &mut contact.name,
            self.name.as_ref().map(PersonName::as_str),
        );
        set(
            &mut contact.company,
            self.company.as_ref().map(CompanyName::as_str),
        );
        set(
            &mut contact.title,
            self.title.as_ref().map(JobTitle::as_str),
        );
        set(
            &mut contact.phone,
            self.phone.as_ref().map(PhoneNumber::as_str),
        );
        set(
            &mut contact.country,
            self.country.as_ref().map(CountryCode::as_str),
        );
        *contact != before
    }
}

/// Applies `corrections` to every record of the person that holds one of the fields; each change is a
/// new entry in its feed, so a syncing CRM receives the correction. Answers how many records changed.
pub async fn rectify<B: Backend>(
    store: &Store<B>,
    found: &Found,
    corrections: &Corrections,
    actor: &Actor,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let detail = format!("rectified: {}", corrections.fields().join(","));
    let mut changed = 0;
    for (kind, id) in found.records() {
        let event = Event::by(
            actor.clone(),
            kind.log(),
            Action::Updated,
            Some(detail.clone()),
            now,
        );
        let updated = match kind {
            RecordKind::Submission => store
                .update(kind, id, event, |r: &mut Submission| {
                    corrections.apply(&mut r.contact)
                })
                .await?
                .changed(),
            RecordKind::DemoRequest => store
                .update(kind, id, event, |r: &mut DemoRequest| {
                    corrections.apply(&mut r.contact)
                })
                .await?
                .changed(),
            RecordKind::Contact => store
                .update(kind, id, event, |r: &mut ImportedContact| {
                    corrections.apply(&mut r.details)
                })
                .await?
                .changed(),
            RecordKind::Subscriber => match &corrections.name {
                Some(name) => store
                    .update(kind, id, event, |r: &mut Subscriber| {
                        let changed = r.name.as_deref().is_some_and(|n| n != name.as_str());
                        if changed {
                            r.name = Some(name.as_str().to_owned());
                        }
                        changed
                    })
                    .await?
                    .changed(),
                None => false,
            },
            _ => false,
        };
        changed += u64::from(updated);
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{BodyRules, RawFields};
    use crate::http::ApiError;
    use serde_json::{Value, json};

    /// What [`Corrections::read`] makes of `body`: the corrections, or every field error.
    fn corrections(body: Value) -> Result<Corrections, Vec<(String, &'static str)>> {
        let rules = BodyRules::json().maps(&["changes"]);
        let (raw, _) = RawFields::parse_as(
            Some("application/json"),
            body.to_string().as_bytes(),
            &rules,
        )
        .unwrap();
        let mut fields = FieldReader::new(raw);
        let read = Corrections::read(&mut fields);
        match fields.finish() {
            Ok(()) => Ok(read),
            Err(ApiError::Invalid(errors)) => {
                Err(errors.into_iter().map(|e| (e.field, e.code)).collect())
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn corrections_name_every_bad_field_and_refuse_the_address() {
        let errors = corrections(json!({"changes": {
            "name": "Ada King", "email": "x@example.com", "shoe": "42", "phone": "call me"
        }}))
        .unwrap_err();
        let named: Vec<(&str, &str)> = errors.iter().map(|(f, c)| (f.as_str(), *c)).collect();
        assert_eq!(
            named,
            [
                ("changes.email", "not_rectifiable"),
                ("changes.phone", "invalid_phone"),
                ("changes.shoe", "unknown_field"),
            ]
        );
        let ok = corrections(json!({"changes": {"name": "Ada King"}})).unwrap();
        assert_eq!(ok.fields(), ["name"]);
    }

    #[test]
    fn corrections_that_name_no_field_are_refused_as_required() {
        for body in [json!({"changes": {}}), json!({})] {
            let errors = corrections(body.clone()).unwrap_err();
            assert_eq!(errors, [("changes".to_owned(), "required")], "{body}");
        }
    }
}
