//! Every mail's words in every language (`mail_texts`): the shipped texts (`mail.toml`: de, en, nl),
//! which an operator's TOML may change or extend by a language without a rebuild. Each language must
//! hold every mail kind and phrase, each with exactly its placeholders, so no mail falls back to
//! English by accident.
//!
//! ```toml
//! [de.confirmation]
//! subject = "Bitte bestätigen Sie Ihr Abonnement"
//! body = """Guten Tag, ... {confirm_url} ..."""
//!
//! [de.phrases]
//! salutation = "Guten Tag {name},"
//! ```

pub mod pages;

use crate::domain::Language;
use anyhow::{Context, bail};
use std::collections::BTreeMap;

/// The shipped texts.
const SHIPPED: &str = include_str!("mail.toml");

/// A mail the product sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MailKind {
    Confirmation,
    PrivacyVerify,
    PrivacyReceived,
    PrivacyAcknowledgement,
    PrivacyExtension,
    PrivacyDenial,
    PrivacyCompletion,
    Notice,
    Reminder,
}

/// The placeholders of the Art. 14 notice and its reminder.
const NOTICE: &[&str] = &[
    "salutation",
    "source",
    "source_kind",
    "source_public",
    "obtained",
    "categories",
    "controller",
    "dpo",
    "purposes",
    "legal_basis",
    "legitimate_interest",
    "recipients",
    "transfers",
    "automated_decisions",
    "retention",
    "object_url",
    "centre_url",
];

impl MailKind {
    pub const ALL: [MailKind; 9] = [
        Self::Confirmation,
        Self::PrivacyVerify,
        Self::PrivacyReceived,
        Self::PrivacyAcknowledgement,
        Self::PrivacyExtension,
        Self::PrivacyDenial,
        Self::PrivacyCompletion,
        Self::Notice,
        Self::Reminder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmation => "confirmation",
            Self::PrivacyVerify => "privacy_verify",
            Self::PrivacyReceived => "privacy_received",
            Self::PrivacyAcknowledgement => "privacy_acknowledgement",
            Self::PrivacyExtension => "privacy_extension",
            Self::PrivacyDenial => "privacy_denial",
            Self::PrivacyCompletion => "privacy_completion",
            Self::Notice => "notice",
            Self::Reminder => "reminder",
        }
    }

    /// The placeholders its body must hold, each at least once (and may hold no other).
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            Self::Confirmation => &["confirm_url", "hours", "unsubscribe_url"],
            Self::PrivacyVerify => &["rights", "in_effect", "url", "minutes"],
            Self::PrivacyReceived => &["rights", "in_effect", "url"],
            Self::PrivacyAcknowledgement => &["rights", "received", "due", "url"],
            Self::PrivacyExtension => &["due", "reason", "url"],
            Self::PrivacyDenial => &["reason", "text", "url"],
            Self::PrivacyCompletion => &["rights", "details", "url"],
            Self::Notice | Self::Reminder => NOTICE,
        }
    }
}

/// The short texts mails are assembled from, and their placeholders.
pub const PHRASES: [(&str, &[&str]); 32] = [
    ("salutation", &["name"]),
    ("salutation_anonymous", &[]),
    ("in_effect", &[]),
    ("completion_download", &["until", "download_url"]),
    ("completion_erased", &[]),
    ("completion_kept", &["kind", "reason"]),
    ("completion_rectified", &[]),
    ("right_access", &[]),
    ("right_rectification", &[]),
    ("right_erasure", &[]),
    ("right_objection", &[]),
    ("right_restriction", &[]),
    ("right_opt_out_sale_share", &[]),
    ("deny_identity_not_verified", &[]),
    ("deny_manifestly_unfounded", &[]),
    ("deny_excessive", &[]),
    ("deny_legal_obligation", &[]),
    ("deny_legal_claims", &[]),
    ("source_public", &[]),
    ("source_not_public", &[]),
    ("kind_event", &[]),
    ("kind_licensed", &[]),
    ("kind_public", &[]),
    ("kind_crm", &[]),
    ("kind_partner", &[]),
    ("category_email", &[]),
    ("category_name", &[]),
    ("category_company", &[]),
    ("category_title", &[]),
    ("category_phone", &[]),
    ("category_country", &[]),
    ("category_language", &[]),
];

/// One mail's subject and body, with `{placeholders}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Template {
    subject: String,
    body: String,
}

/// One language's mails and phrases.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
struct LanguageTexts {
    #[serde(default)]
    phrases: BTreeMap<String, String>,
    #[serde(flatten)]
    mails: BTreeMap<String, Template>,
}

/// A rendered mail: its subject and its plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub subject: String,
    pub body: String,
}

/// The texts of every language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailTexts {
    languages: BTreeMap<Language, LanguageTexts>,
}

impl MailTexts {
    /// The shipped texts.
    pub fn shipped() -> Self {
        Self::parse("").expect("the shipped mail texts are complete")
    }

    /// The shipped texts with the operator's `custom` TOML laid over them (a kind or phrase it names
    /// replaces the shipped one; a language it adds must be complete). Refuses an incomplete language,
    /// an unknown kind, phrase or placeholder, naming it.
    pub fn parse(custom: &str) -> anyhow::Result<Self> {
        let mut languages = read(SHIPPED).context("the shipped mail texts")?;
        for (language, texts) in read(custom).context("variable mail_texts")? {
            let into = languages.entry(language).or_default();
            into.phrases.extend(texts.phrases);
            into.mails.extend(texts.mails);
        }
        for (language, texts) in &languages {
            check(language.as_str(), texts).context("variable mail_texts")?;
        }
        Ok(Self { languages })
    }

    /// The languages mails can be written in.
    pub fn languages(&self) -> Vec<Language> {
        self.languages.keys().copied().collect()
    }

    /// `wanted` if mails can be written in it.
    pub fn offers(&self, wanted: Language) -> bool {
        self.languages.contains_key(&wanted)
    }

    /// Mail `kind` in `language` (English when it is not offered) with `values` in its placeholders.
    pub fn mail(&self, language: Language, kind: MailKind, values: &[(&str, &str)]) -> Mail {
        let template = &self.of(language).mails[kind.as_str()];
        Mail {
            subject: fill(&template.subject, values),
            body: fill(&template.body, values),
        }
    }

    /// Phrase `key` in `language` with `values` in its placeholders; empty for a key no language has.
    pub fn phrase(&self, language: Language, key: &str, values: &[(&str, &str)]) -> String {
        self.of(language)
            .phrases
            .get(key)
            .map(|p| fill(p, values))
            .unwrap_or_default()
    }

    fn of(&self, language: Language) -> &LanguageTexts {
        self.languages
            .get(&language)
            .or_else(|| self.languages.get(&Language::ENGLISH))
            .expect("English is shipped")
    }
}

fn read(raw: &str) -> anyhow::Result<BTreeMap<Language, LanguageTexts>> {
    let parsed: BTreeMap<String, LanguageTexts> = toml::from_str(raw).map_err(|e| {
        let line = e
            .span()
            .map(|s| raw[..s.start].lines().count().max(1))
            .unwrap_or(0);
        anyhow::anyhow!("line {line}: {}", e.message())
    })?;
    parsed
        .into_iter()
        .map(|(code, texts)| {
            let language = Language::parse(&code)
                .ok()
                .filter(|l| l.as_str() == code)
                .with_context(|| format!("{code:?} is not a two-letter language code"))?;
            Ok((language, texts))
        })
        .collect()
}

/// The placeholders `text` uses, or why it cannot be filled (an unclosed brace).
fn placeholders(text: &str) -> anyhow::Result<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        let after = &rest[open + 1..];
        if rest[open..].starts_with('}') {
            bail!("a lone }} in {:?}", excerpt(rest, open));
        }
        let close = after
            .find('}')
            .filter(|&c| !after[..c].contains('{'))
            .with_context(|| format!("an unclosed {{ in {:?}", excerpt(rest, open)))?;
        out.push(&after[..close]);
        rest = &after[close + 1..];
    }
    Ok(out)
}

fn excerpt(text: &str, at: usize) -> String {
    text[at..].chars().take(30).collect()
}

/// Holds one language to having every kind and phrase, each with its placeholders.
fn check(language: &str, texts: &LanguageTexts) -> anyhow::Result<()> {
    let known: Vec<&str> = MailKind::ALL.iter().map(|k| k.as_str()).collect();
    if let Some(unknown) = texts.mails.keys().find(|k| !known.contains(&k.as_str())) {
        bail!(
            "{language}.{unknown} is not a mail (the mails are {})",
            known.join(", ")
        );
    }
    for kind in MailKind::ALL {
        let name = kind.as_str();
        let template = texts
            .mails
            .get(name)
            .with_context(|| format!("{language} has no text for the {name} mail"))?;
        let wanted = kind.placeholders();
        let subject = placeholders(&template.subject)
            .with_context(|| format!("{language}.{name}.subject"))?;
        if let Some(p) = subject.first() {
            bail!("{language}.{name}.subject: {{{p}}} is not allowed in a subject");
        }
        let used =
            placeholders(&template.body).with_context(|| format!("{language}.{name}.body"))?;
        fits(&format!("{language}.{name}.body"), &used, wanted)?;
    }
    for (key, text) in &texts.phrases {
        let wanted = PHRASES
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, p)| *p)
            .with_context(|| format!("{language}.phrases.{key} is not a phrase"))?;
        let used = placeholders(text).with_context(|| format!("{language}.phrases.{key}"))?;
        fits(&format!("{language}.phrases.{key}"), &used, wanted)?;
    }
    if let Some((missing, _)) = PHRASES
        .iter()
        .find(|(k, _)| !texts.phrases.contains_key(*k))
    {
        bail!("{language} has no phrase {missing}");
    }
    Ok(())
}

/// Whether `used` are exactly the placeholders `wanted` (each at least once).
fn fits(what: &str, used: &[&str], wanted: &[&str]) -> anyhow::Result<()> {
    if let Some(unknown) = used.iter().find(|p| !wanted.contains(p)) {
        bail!(
            "{what}: {{{unknown}}} is not one of its placeholders ({})",
            wanted.join(", ")
        );
    }
    if let Some(missing) = wanted.iter().find(|p| !used.contains(p)) {
        bail!("{what} lacks {{{missing}}}");
    }
    Ok(())
}

/// `template` with each `{name}` replaced by its value, in one pass (a value's own braces stay as
/// they are).
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        match values.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
