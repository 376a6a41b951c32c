//! The facts about the processing (`privacy_facts`), in every language mails and pages are written in:
//! the access package's Art. 15(1) facts and the Art. 14 notice's. English at the top level, each other
//! language a table (`[de]`, `[nl]`) holding every key the English does, so a German notice never falls
//! back to English facts. Empty: the shipped example (`facts.toml`).

use crate::domain::Language;
use anyhow::{Context, bail};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const SHIPPED: &str = include_str!("facts.toml");

/// The keys a notice needs besides the access package's own.
pub const NOTICE_KEYS: [&str; 8] = [
    "controller",
    "dpo",
    "contact_purposes",
    "contact_legal_basis",
    "legitimate_interest",
    "recipients",
    "transfers",
    "contact_retention",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    by_language: BTreeMap<Language, Map<String, Value>>,
}

impl Facts {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = if raw.trim().is_empty() { SHIPPED } else { raw };
        let table: toml::Table = toml::from_str(raw).map_err(|e| {
            anyhow::anyhow!("variable privacy_facts is not valid TOML: {}", e.message())
        })?;
        let Value::Object(all) = serde_json::to_value(table).context("variable privacy_facts")?
        else {
            bail!("variable privacy_facts must be a table");
        };
        let mut english = Map::new();
        let mut by_language = BTreeMap::new();
        for (key, value) in all {
            match (Language::parse(&key), value) {
                (Ok(language), Value::Object(facts)) if language.as_str() == key => {
                    by_language.insert(language, facts);
                }
                (_, value) => {
                    english.insert(key, value);
                }
            }
        }
        for key in NOTICE_KEYS {
            if !english.contains_key(key) {
                bail!("variable privacy_facts lacks {key} (the Art. 14 notice states it)");
            }
        }
        for (language, facts) in &by_language {
            if let Some(missing) = english.keys().find(|k| !facts.contains_key(*k)) {
                bail!(
                    "variable privacy_facts: [{}] lacks {missing}",
                    language.as_str()
                );
            }
        }
        by_language.insert(Language::ENGLISH, english);
        Ok(Self { by_language })
    }

    /// Every fact in `language` (English when the facts are not written in it).
    pub fn of(&self, language: Language) -> &Map<String, Value> {
        self.by_language
            .get(&language)
            .or_else(|| self.by_language.get(&Language::ENGLISH))
            .expect("English facts are always there")
    }

    /// Fact `key` in `language` as text: a string as it is, a list one item a line (`  - item`).
    pub fn text(&self, language: Language, key: &str) -> String {
        match self.of(language).get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| format!("  - {}", i.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("\n"),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(code: &str) -> Language {
        Language::parse(code).unwrap()
    }

    #[test]
    fn the_shipped_facts_are_written_in_german_and_dutch_not_only_english() {
        let facts = Facts::parse("").unwrap();
        for key in NOTICE_KEYS {
            let en = facts.text(lang("en"), key);
            assert!(!en.is_empty(), "{key}");
            assert_ne!(facts.text(lang("de"), key), en, "de {key}");
            assert_ne!(facts.text(lang("nl"), key), en, "nl {key}");
        }
    }

    #[test]
    fn a_language_that_lacks_a_fact_is_refused_naming_it() {
        let mut raw = String::new();
        for key in NOTICE_KEYS {
            raw.push_str(&format!("{key} = \"x\"\n"));
        }
        assert!(Facts::parse(&raw).is_ok());
        let error = Facts::parse(&format!("{raw}[de]\ncontroller = \"y\"\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("[de] lacks"), "{error}");
        let error = Facts::parse("controller = \"x\"").unwrap_err().to_string();
        assert!(error.contains("lacks dpo"), "{error}");
    }
}
