//! The Art. 14 notice and its reminder, composed for one contact in its language: what is held of it
//! (the categories its record actually holds), its source by name and whether it is public, the facts
//! Art. 14(1) and (2) ask for, the right to object set apart (Art. 21(4)) with a signed one-click link,
//! and the privacy centre. Informational only: no advertising.

use crate::domain::Language;
use crate::links::ObjectLink;
use crate::mailer::{MailError, Message};
use crate::privacy::PrivacySettings;
use crate::records::{ImportedContact, NoticeKind};
use crate::texts::MailKind;

/// The link that lets the contact object (and, in one step, have its data erased).
pub fn object_url(settings: &PrivacySettings, contact: &str) -> String {
    let token = ObjectLink {
        contact: contact.to_owned(),
    }
    .seal(&settings.keys);
    format!("{}/privacy/object/{token}", settings.public_base_url)
}

/// The language `contact`'s mails are written in.
pub fn language(settings: &PrivacySettings, contact: &ImportedContact) -> Language {
    settings.language(Language::parse(&contact.language).ok())
}

/// The notice (or reminder) for `contact`.
pub fn compose(
    settings: &PrivacySettings,
    contact: &ImportedContact,
    kind: NoticeKind,
) -> Result<Message, MailError> {
    let language = language(settings, contact);
    let phrase = |key: &str| settings.texts.phrase(language, key, &[]);
    let fact = |key: &str| settings.facts.text(language, key);
    let salutation = match &contact.details.name {
        Some(name) => settings
            .texts
            .phrase(language, "salutation", &[("name", name)]),
        None => phrase("salutation_anonymous"),
    };
    // The notice names where the data came from first; every source is in the access package.
    let source = contact.sources.first();
    let (name, source_kind, obtained, public) = match source {
        Some(s) => (
            s.name.clone(),
            phrase(&format!("kind_{}", s.kind)),
            s.obtained_at.to_rfc3339()[..10].to_owned(),
            phrase(if s.public {
                "source_public"
            } else {
                "source_not_public"
            }),
        ),
        None => Default::default(),
    };
    let d = &contact.details;
    let held = [
        ("category_email", true),
        ("category_name", d.name.is_some()),
        ("category_company", d.company.is_some()),
        ("category_title", d.title.is_some()),
        ("category_phone", d.phone.is_some()),
        ("category_country", d.country.is_some()),
        ("category_language", true),
    ];
    let categories = held
        .iter()
        .filter(|(_, held)| *held)
        .map(|(key, _)| format!("  - {}", phrase(key)))
        .collect::<Vec<_>>()
        .join("\n");
    let object = object_url(settings, &contact.id);
    let centre = format!(
        "{}/privacy?lang={}",
        settings.public_base_url,
        language.as_str()
    );
    let facts = [
        ("controller", fact("controller")),
        ("dpo", fact("dpo")),
        ("purposes", fact("contact_purposes")),
        ("legal_basis", fact("contact_legal_basis")),
        ("legitimate_interest", fact("legitimate_interest")),
        ("recipients", fact("recipients")),
        ("transfers", fact("transfers")),
        ("automated_decisions", fact("automated_decisions")),
        ("retention", fact("contact_retention")),
    ];
    let mut values: Vec<(&str, &str)> = vec![
        ("salutation", &salutation),
        ("source", &name),
        ("source_kind", &source_kind),
        ("source_public", &public),
        ("obtained", &obtained),
        ("categories", &categories),
        ("object_url", &object),
        ("centre_url", &centre),
    ];
    values.extend(facts.iter().map(|(k, v)| (*k, v.as_str())));
    let mail_kind = match kind {
        NoticeKind::Notice => MailKind::Notice,
        NoticeKind::Reminder => MailKind::Reminder,
    };
    let mail = settings.texts.mail(language, mail_kind, &values);
    Message::new(
        &contact.email,
        &settings.mail_from,
        &mail.subject,
        &mail.body,
    )
}
