//! The contact fields a form may ask for, and reading them into a [`Contact`].

use super::fields::FieldReader;
use crate::domain::{
    self, CompanyName, CountryCode, EmailAddress, JobTitle, PersonName, PhoneNumber,
};
use crate::records::Contact;
use serde::Deserialize;

/// A contact field, named as in the post and in configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactField {
    Name,
    Email,
    Company,
    Title,
    Phone,
    Country,
    Message,
}

impl ContactField {
    /// The field's name in a post and in configuration.
    pub fn name(self) -> &'static str {
        match self {
            ContactField::Name => "name",
            ContactField::Email => "email",
            ContactField::Company => "company",
            ContactField::Title => "title",
            ContactField::Phone => "phone",
            ContactField::Country => "country",
            ContactField::Message => "message",
        }
    }
}

/// Which contact fields a form takes and which of those it requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFields {
    offered: Vec<ContactField>,
    required: Vec<ContactField>,
}

impl ContactFields {
    /// `required` must be among `offered`.
    pub fn new(
        offered: Vec<ContactField>,
        required: Vec<ContactField>,
    ) -> Result<Self, ContactField> {
        if let Some(stray) = required.iter().find(|f| !offered.contains(f)) {
            return Err(*stray);
        }
        Ok(Self { offered, required })
    }

    pub fn offered(&self) -> &[ContactField] {
        &self.offered
    }

    pub fn requires(&self, field: ContactField) -> bool {
        self.required.contains(&field)
    }

    /// Reads the offered fields; fields not offered are left for [`FieldReader::finish`] to refuse.
    pub fn read(&self, reader: &mut FieldReader) -> Contact {
        let wanted = |f| self.offered.contains(&f);
        let required = |f| self.required.contains(&f);
        use ContactField::*;
        Contact {
            name: reader.field("name", wanted(Name), required(Name), PersonName::parse),
            email: reader.field("email", wanted(Email), required(Email), EmailAddress::parse),
            company: reader.field(
                "company",
                wanted(Company),
                required(Company),
                CompanyName::parse,
            ),
            title: reader.field("title", wanted(Title), required(Title), JobTitle::parse),
            phone: reader.field("phone", wanted(Phone), required(Phone), PhoneNumber::parse),
            country: reader.field(
                "country",
                wanted(Country),
                required(Country),
                CountryCode::parse,
            ),
            message: reader.field(
                "message",
                wanted(Message),
                required(Message),
                domain::Message::parse,
            ),
        }
    }
}
