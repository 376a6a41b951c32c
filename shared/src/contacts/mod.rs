//! Contacts from other sources (fairs, licensed lists, the CRM, public sources, partners): their import,
//! the notice GDPR Art. 14 owes them within a month and the regular reminders that they can object,
//! each in the person's language, and the objection from a notice's link. The record is
//! [`crate::records::ImportedContact`]; the notices job is [`crate::jobs::notices`].
//!
//! | file | what |
//! |---|---|
//! | [`import`] | rows parsed by the forms' parsers, suppression, the batch write, the import's register entry |
//! | [`notice`] | the notice and reminder mail of one contact, with its objection link |
//! | [`object`] | an objection: do-not-contact entries, the contact erased, an erasure request if asked |

pub mod import;
pub mod notice;
pub mod object;

#[cfg(test)]
mod tests;
