//! The cookie banner (the `consent` variable, TOML): its categories, texts per locale and version, and
//! the hash of exactly what it shows, which each decision cites as proof.

use crate::domain::{ConsentId, PolicyVersion, TextHash};
use crate::time::Timestamp;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One cookie category as the banner shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    /// Strictly necessary: always granted, cannot be refused.
    #[serde(default)]
    pub required: bool,
    /// Counts as selling or sharing under CCPA: `Sec-GPC: 1` refuses it.
    #[serde(default)]
    pub sale_or_share: bool,
    pub label: BTreeMap<String, String>,
    pub description: BTreeMap<String, String>,
}

/// An earlier banner version whose decisions are still accepted until `valid_until`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Previous {
    version: String,
    text_hash: String,
    valid_until: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBanner {
    banner_version: String,
    lifetime_days: i64,
    refusal_lifetime_days: i64,
    locales: Vec<String>,
    categories: Vec<Category>,
    texts: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    previous: Vec<Previous>,
}

/// What the banner renders, exactly as hashed: the hash proves which texts a visitor was shown.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub banner_version: String,
    pub categories: Vec<Category>,
    pub texts: BTreeMap<String, BTreeMap<String, String>>,
}

/// The banner configuration.
#[derive(Debug)]
pub struct Banner {
    pub shown: Shown,
    /// `sha256:` of the canonical JSON of [`Shown`], computed here so that the proof matches what was shown.
    pub text_hash: TextHash,
    pub lifetime_days: i64,
    pub refusal_lifetime_days: i64,
    pub locales: Vec<String>,
    previous: Vec<(PolicyVersion, TextHash, Timestamp)>,
}

impl Banner {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw: RawBanner = toml::from_str(raw).context("variable consent is not valid TOML")?;
        PolicyVersion::parse(&raw.banner_version)
            .map_err(|e| anyhow::anyhow!("banner_version {}", e.message))?;
        if raw.lifetime_days <= 0 || raw.refusal_lifetime_days <= 0 {
            bail!("lifetime_days and refusal_lifetime_days must be above 0");
        }
        if raw.locales.is_empty() {
            bail!("locales must name at least one locale");
        }
        for category in &raw.categories {
            ConsentId::parse(&category.id)
                .map_err(|e| anyhow::anyhow!("category {:?} {}", category.id, e.message))?;
            for locale in &raw.locales {
                if !category.label.contains_key(locale)
                    || !category.description.contains_key(locale)
                {
                    bail!(
                        "category {:?} has no label or description in {locale:?}",
                        category.id
                    );
                }
            }
        }
        if !raw.categories.iter().any(|c| c.required) {
            bail!("at least one category must be required (strictly necessary)");
        }
        for locale in &raw.locales {
            if !raw.texts.contains_key(locale) {
                bail!("texts has no {locale:?} section");
            }
        }
        let previous = raw
            .previous
            .iter()
            .map(|p| {
                let version = PolicyVersion::parse(&p.version)
                    .map_err(|e| anyhow::anyhow!("previous version {}", e.message))?;
                let hash = TextHash::parse(&p.text_hash)
                    .map_err(|e| anyhow::anyhow!("previous text_hash {}", e.message))?;
                let until = Timestamp::parse_rfc3339(&p.valid_until)
                    .context("previous valid_until must be an RFC 3339 UTC time")?;
                Ok((version, hash, until))
            })
            .collect::<anyhow::Result<_>>()?;
        let shown = Shown {
            banner_version: raw.banner_version,
            categories: raw.categories,
            texts: raw.texts,
        };
        let canonical = serde_json::to_vec(&shown).context("encoding the banner")?;
        let hex: String = Sha256::digest(&canonical)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let text_hash = TextHash::parse(&hex).expect("a SHA-256 is 64 hex digits");
        Ok(Self {
            shown,
            text_hash,
            lifetime_days: raw.lifetime_days,
            refusal_lifetime_days: raw.refusal_lifetime_days,
            locales: raw.locales,
            previous,
        })
    }

    /// Whether a decision citing `version` and `hash` refers to a banner that is still valid at `now`.
    pub fn accepts(&self, version: &PolicyVersion, hash: &TextHash, now: Timestamp) -> bool {
        (version.as_str() == self.shown.banner_version && *hash == self.text_hash)
            || self
                .previous
                .iter()
                .any(|(v, h, until)| v == version && h == hash && now <= *until)
    }

    /// The versions a decision may cite at `now`, with their text hashes: the current one first.
    pub fn accepted(&self, now: Timestamp) -> Vec<(PolicyVersion, TextHash)> {
        let current = PolicyVersion::parse(&self.shown.banner_version)
            .expect("the banner version was checked when the banner was read");
        std::iter::once((current, self.text_hash.clone()))
            .chain(
                self.previous
                    .iter()
                    .filter(|(_, _, until)| now <= *until)
                    .map(|(v, h, _)| (v.clone(), h.clone())),
            )
            .collect()
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.shown.categories.iter().find(|c| c.id == id)
    }
}
