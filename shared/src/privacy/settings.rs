//! The privacy centre's settings, read from Spin variables by both components that answer requests
//! (`privacy` for the person, `marketing-api` for staff).

use super::facts::Facts;
use crate::config::{mail_from, positive_number, public_base_url};
use crate::domain::Language;
use crate::store::RecordKind;
use crate::texts::MailTexts;
use crate::tokens::{Keyring, SigningKey};
use anyhow::{Context, bail};

/// A record kind the law requires to be kept despite an erasure request, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalHold {
    pub kind: RecordKind,
    pub reason: String,
}

/// The record kinds an erasure removes (opt-out entries stay: they hold only a pseudonym, and keep
/// the person from being mailed again).
pub const ERASABLE: [RecordKind; 5] = [
    RecordKind::Submission,
    RecordKind::Subscriber,
    RecordKind::DemoRequest,
    RecordKind::Outbox,
    RecordKind::Contact,
];

#[derive(Debug)]
pub struct PrivacySettings {
    /// Signs verification and download links (rotates with `signing_key`).
    pub keys: Keyring,
    suppression_key: SigningKey,
    /// Where links in mails point.
    pub public_base_url: String,
    pub mail_from: String,
    pub verify_ttl_minutes: i64,
    pub download_ttl_days: i64,
    pub legal_hold: Vec<LegalHold>,
    /// The facts about the processing in every language (the access package's, the notice's).
    pub facts: Facts,
    /// Every mail's words in every language.
    pub texts: MailTexts,
}

impl PrivacySettings {
    pub const VARIABLES: [&'static str; 9] = [
        "signing_key",
        "suppression_key",
        "public_base_url",
        "privacy_mail_from",
        "mail_texts",
        "privacy_verify_ttl_minutes",
        "privacy_download_ttl_days",
        "privacy_legal_hold",
        "privacy_facts",
    ];

    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |name: &str| get(name).unwrap_or_default();
        let number = |name: &str| positive_number(name, &var(name));
        Ok(Self {
            keys: Keyring::parse(&var("signing_key"))
                .map_err(|e| anyhow::anyhow!("variable signing_key: {}", e.message))?,
            suppression_key: SigningKey::parse(&var("suppression_key"))
                .map_err(|e| anyhow::anyhow!("variable suppression_key: {}", e.message))?,
            public_base_url: public_base_url(&var("public_base_url"))?,
            mail_from: mail_from(&var("privacy_mail_from"))
                .context("variable privacy_mail_from")?,
            verify_ttl_minutes: number("privacy_verify_ttl_minutes")?,
            download_ttl_days: number("privacy_download_ttl_days")?,
            legal_hold: legal_hold(&var("privacy_legal_hold"))?,
            facts: Facts::parse(&var("privacy_facts"))?,
            texts: MailTexts::parse(&var("mail_texts"))?,
        })
    }

    /// The pseudonym of a normalised email address or E.164 phone number (the suppression key's).
    pub fn pseudonym(&self, value: &str) -> String {
        self.suppression_key.pseudonym(value)
    }

    /// The language a person's mails are written in: `wanted` if the texts offer it, else English.
    pub fn language(&self, wanted: Option<Language>) -> Language {
        wanted
            .filter(|l| self.texts.offers(*l))
            .unwrap_or(Language::ENGLISH)
    }

    /// The hold on `kind`, if any.
    pub fn hold(&self, kind: RecordKind) -> Option<&LegalHold> {
        self.legal_hold.iter().find(|h| h.kind == kind)
    }
}

/// `kind=reason` pairs separated by `;` (`submission=Commercial records, HGB §257; ...`); the kinds
/// are those an erasure removes.
fn legal_hold(raw: &str) -> anyhow::Result<Vec<LegalHold>> {
    raw.split(';')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            let (kind, reason) = item.split_once('=').with_context(|| {
                format!("variable privacy_legal_hold: {item:?} is not kind=reason")
            })?;
            let kind = RecordKind::parse(kind.trim())
                .filter(|k| ERASABLE.contains(k))
                .with_context(|| {
                    format!(
                        "variable privacy_legal_hold: {:?} is not one of submission, subscriber, demo-request, outbox, contact",
                        kind.trim()
                    )
                })?;
            let reason = reason.trim();
            if reason.is_empty() {
                bail!("variable privacy_legal_hold: the hold on {} needs a reason", kind.as_str());
            }
            Ok(LegalHold {
                kind,
                reason: reason.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_legal_hold_names_an_erasable_kind_and_a_reason() {
        let holds =
            legal_hold("submission = Commercial records (HGB §257); outbox=Proof of mail").unwrap();
        assert_eq!(holds.len(), 2);
        assert_eq!(holds[0].kind, RecordKind::Submission);
        assert_eq!(holds[0].reason, "Commercial records (HGB §257)");
        assert!(legal_hold("").unwrap().is_empty());
        assert!(legal_hold("api-key=x").is_err());
        assert!(legal_hold("submission=").is_err());
        assert!(legal_hold("submission").is_err());
    }
}
