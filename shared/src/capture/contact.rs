//! The contact fields a form may ask for, and reading them into a [`Contact`].

use crate::body::FieldReader;
use crate::domain::{
    self, CompanyName, CountryCode, EmailAddress, Invalid, JobTitle, PersonName, PhoneNumber,
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
        use ContactField::*;
        Contact {
            name: self.field(reader, Name, PersonName::parse),
            email: self.field(reader, Email, EmailAddress::parse),
            company: self.field(reader, Company, CompanyName::parse),
            title: self.field(reader, Title, JobTitle::parse),
            phone: self.field(reader, Phone, PhoneNumber::parse),
            country: self.field(reader, Country, CountryCode::parse),
            message: self.field(reader, Message, domain::Message::parse),
        }
    }

    /// Reads `field` if the form offers it, else leaves it to be refused as unknown.
    fn field<T>(
        &self,
        reader: &mut FieldReader,
        field: ContactField,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        reader.field(
            field.name(),
            self.offered.contains(&field),
            self.required.contains(&field),
            parse,
        )
    }
}
