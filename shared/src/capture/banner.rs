//! The cookie banner (the `consent` variable, TOML): its categories, texts per locale and version, its
//! Google Consent Mode mapping, the countries where it only gives notice (opt-out), and the hash of
//! exactly what it shows in each regime, which each decision cites as proof.

use crate::domain::{
    ConsentId, ConsentModeType, CountryCode, Grant, PolicyVersion, Regime, TextHash,
};
use crate::time::Timestamp;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The texts every locale must give: the opt-in banner and dialog, the opt-out notice, and what the
/// banner says when Global Privacy Control is on.
pub const TEXT_KEYS: [&str; 14] = [
    "title",
    "body",
    "accept_all",
    "reject_all",
    "preferences",
    "save",
    "close",
    "notice_title",
    "notice_body",
    "do_not_sell",
    "gpc_honored",
    "gpc_conflict",
    "keep_choice",
    "keep_opted_out",
];

/// Where the banner only gives notice unless configured otherwise.
const DEFAULT_OPT_OUT_COUNTRIES: [&str; 1] = ["US"];

/// How long Google tags wait for the banner's update before they act on the defaults.
const DEFAULT_WAIT_FOR_UPDATE_MS: u32 = 500;

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
    #[serde(default)]
    opt_out_countries: Option<Vec<String>>,
    #[serde(default)]
    consent_mode: RawConsentMode,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConsentMode {
    wait_for_update_ms: Option<u32>,
    /// Category id → Consent Mode types; absent: the shipped mapping by category.
    map: Option<BTreeMap<String, Vec<String>>>,
}

/// The banner's Google Consent Mode v2 settings: what each category grants, and how long tags wait.
#[derive(Debug, Clone, Serialize)]
pub struct ConsentMode {
    pub wait_for_update_ms: u32,
    pub map: BTreeMap<String, Vec<ConsentModeType>>,
}

impl ConsentMode {
    fn parse(raw: RawConsentMode, categories: &[Category]) -> anyhow::Result<Self> {
        let wait_for_update_ms = raw.wait_for_update_ms.unwrap_or(DEFAULT_WAIT_FOR_UPDATE_MS);
        if wait_for_update_ms > 10_000 {
            bail!("consent_mode.wait_for_update_ms must be at most 10000");
        }
        let map = match raw.map {
            Some(map) => map
                .into_iter()
                .map(|(id, types)| {
                    let Some(category) = categories.iter().find(|c| c.id == id) else {
                        bail!("consent_mode.map names {id:?}, which is not a category of the banner");
                    };
                    let types = types
                        .iter()
                        .map(|t| {
                            ConsentModeType::parse(t).map_err(|e| {
                                anyhow::anyhow!("consent_mode.map.{id}: {t:?} {}", e.message)
                            })
                        })
                        .collect::<anyhow::Result<Vec<_>>>()?;
                    if types.contains(&ConsentModeType::SecurityStorage) && !category.required {
                        bail!(
                            "consent_mode.map.{id}: security_storage is always granted, so only a required category may name it"
                        );
                    }
                    Ok((id, types))
                })
                .collect::<anyhow::Result<_>>()?,
            None => categories
                .iter()
                .map(|c| (c.id.clone(), shipped_mapping(c)))
                .filter(|(_, types)| !types.is_empty())
                .collect(),
        };
        Ok(Self {
            wait_for_update_ms,
            map,
        })
    }
}

/// The shipped mapping: the strictly necessary → `security_storage`; `analytics`; `marketing` → the
/// three `ad_*` types; `preferences` → functionality and personalisation. Anything else maps to nothing.
fn shipped_mapping(category: &Category) -> Vec<ConsentModeType> {
    use ConsentModeType::*;
    if category.required {
        return vec![SecurityStorage];
    }
    match category.id.as_str() {
        "analytics" => vec![AnalyticsStorage],
        "marketing" => vec![AdStorage, AdUserData, AdPersonalization],
        "preferences" => vec![FunctionalityStorage, PersonalizationStorage],
        _ => Vec::new(),
    }
}

/// How a decision's cited version and hash relate to the banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cited {
    /// The banner in force, as shown in this regime.
    Current(Regime),
    /// An earlier version still accepted.
    Previous,
}

/// What the banner renders, exactly as hashed: the hash proves which texts a visitor was shown.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub banner_version: String,
    pub categories: Vec<Category>,
    pub texts: BTreeMap<String, BTreeMap<String, String>>,
    pub consent_mode: ConsentMode,
}

/// What one regime's visitors are shown: the hash covers the regime too, so a decision proves whether
/// its visitor saw the opt-in banner or the opt-out notice.
#[derive(Serialize)]
struct Proof<'a> {
    #[serde(flatten)]
    shown: &'a Shown,
    regime: Regime,
}

/// The banner configuration.
#[derive(Debug)]
pub struct Banner {
    pub shown: Shown,
    /// Per regime, `sha256:` of the canonical JSON of [`Shown`] with the regime, computed here so that
    /// the proof matches what was shown.
    hashes: [(Regime, TextHash); 2],
    /// Countries whose visitors get the opt-out notice (never one that needs prior consent).
    pub opt_out_countries: Vec<CountryCode>,
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
            let Some(texts) = raw.texts.get(locale) else {
                bail!("texts has no {locale:?} section");
            };
            if let Some(missing) = TEXT_KEYS.iter().find(|k| !texts.contains_key(**k)) {
                bail!("texts.{locale} has no {missing:?}");
            }
        }
        let opt_out_countries = raw
            .opt_out_countries
            .unwrap_or_else(|| DEFAULT_OPT_OUT_COUNTRIES.map(str::to_owned).to_vec())
            .iter()
            .map(|raw| {
                let code = CountryCode::parse(raw)
                    .map_err(|e| anyhow::anyhow!("opt_out_countries: {raw:?} {}", e.message))?;
                if code.needs_prior_consent() {
                    bail!(
                        "opt_out_countries: {raw:?} is in the EEA, the UK or Switzerland, where cookies need consent first"
                    );
                }
                Ok(code)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let consent_mode = ConsentMode::parse(raw.consent_mode, &raw.categories)?;
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
            consent_mode,
        };
        let hash = |regime| -> anyhow::Result<(Regime, TextHash)> {
            let canonical = serde_json::to_vec(&Proof {
                shown: &shown,
                regime,
            })
            .context("encoding the banner")?;
            let hex: String = Sha256::digest(&canonical)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            Ok((
                regime,
                TextHash::parse(&hex).expect("a SHA-256 is 64 hex digits"),
            ))
        };
        let hashes = [hash(Regime::OptIn)?, hash(Regime::OptOut)?];
        Ok(Self {
            shown,
            hashes,
            opt_out_countries,
            lifetime_days: raw.lifetime_days,
            refusal_lifetime_days: raw.refusal_lifetime_days,
            locales: raw.locales,
            previous,
        })
    }

    /// The hash of what visitors under `regime` are shown.
    pub fn text_hash(&self, regime: Regime) -> &TextHash {
        &self
            .hashes
            .iter()
            .find(|(r, _)| *r == regime)
            .expect("a hash per regime")
            .1
    }

    /// The regime for a visitor at `ip`, by the offline country lookup.
    pub fn regime_for(&self, ip: IpAddr) -> Regime {
        let country = crate::geo::lookup(ip).and_then(|l| CountryCode::parse(l.country()).ok());
        Regime::for_country(country, &self.opt_out_countries)
    }

    /// Which banner a decision citing `version` and `hash` refers to, if one still valid at `now`.
    pub fn cited(&self, version: &PolicyVersion, hash: &TextHash, now: Timestamp) -> Option<Cited> {
        if version.as_str() == self.shown.banner_version
            && let Some((regime, _)) = self.hashes.iter().find(|(_, h)| h == hash)
        {
            return Some(Cited::Current(*regime));
        }
        self.previous
            .iter()
            .any(|(v, h, until)| v == version && h == hash && now <= *until)
            .then_some(Cited::Previous)
    }

    /// What Google was told for these effective decisions: a type is granted when every category
    /// mapped to it is; `security_storage` always; a type no category names stays denied.
    pub fn consent_mode(
        &self,
        decisions: &BTreeMap<String, bool>,
    ) -> BTreeMap<ConsentModeType, Grant> {
        ConsentModeType::ALL
            .into_iter()
            .map(|t| {
                let mut named = self
                    .shown
                    .consent_mode
                    .map
                    .iter()
                    .filter(|(_, types)| types.contains(&t))
                    .peekable();
                let granted = t == ConsentModeType::SecurityStorage
                    || (named.peek().is_some()
                        && named.all(|(id, _)| decisions.get(id).copied().unwrap_or(false)));
                (t, Grant::of(granted))
            })
            .collect()
    }

    /// The versions a decision may cite at `now`, with their text hashes: the current one first (once
    /// per regime).
    pub fn accepted(&self, now: Timestamp) -> Vec<(PolicyVersion, TextHash)> {
        let current = PolicyVersion::parse(&self.shown.banner_version)
            .expect("the banner version was checked when the banner was read");
        self.hashes
            .iter()
            .map(|(_, hash)| (current.clone(), hash.clone()))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The banner `spin.toml` ships.
    fn shipped() -> String {
        let manifest = include_str!("../../../spin.toml");
        let opening = "consent = { default = '''";
        let start = manifest.find(opening).expect("the consent variable") + opening.len();
        let end = start + manifest[start..].find("'''").expect("its end");
        manifest[start..end].to_owned()
    }

    fn parse_error(raw: &str) -> String {
        format!("{:#}", Banner::parse(raw).unwrap_err())
    }

    #[test]
    fn the_shipped_banner_maps_its_categories_as_consent_mode_expects() {
        use ConsentModeType::*;
        let banner = Banner::parse(&shipped()).unwrap();
        let map = &banner.shown.consent_mode.map;
        assert_eq!(map["necessary"], [SecurityStorage]);
        assert_eq!(map["analytics"], [AnalyticsStorage]);
        assert_eq!(map["marketing"], [AdStorage, AdUserData, AdPersonalization]);
        let all = |granted| {
            banner
                .shown
                .categories
                .iter()
                .map(|c| (c.id.clone(), c.required || granted))
                .collect::<BTreeMap<_, _>>()
        };
        let refused = banner.consent_mode(&all(false));
        assert_eq!(refused[&SecurityStorage], Grant::Granted);
        assert!(
            refused
                .iter()
                .all(|(t, g)| *t == SecurityStorage || *g == Grant::Denied)
        );
        let accepted = banner.consent_mode(&all(true));
        // No category of the shipped banner is about preferences: those two stay denied.
        for t in [FunctionalityStorage, PersonalizationStorage] {
            assert_eq!(accepted[&t], Grant::Denied);
        }
        for t in [AdStorage, AdUserData, AdPersonalization, AnalyticsStorage] {
            assert_eq!(accepted[&t], Grant::Granted);
        }
    }

    #[test]
    fn each_regime_has_its_own_hash_and_both_are_accepted() {
        let banner = Banner::parse(&shipped()).unwrap();
        let version = PolicyVersion::parse(&banner.shown.banner_version).unwrap();
        let now = Timestamp::now();
        let opt_in = banner.text_hash(Regime::OptIn);
        let opt_out = banner.text_hash(Regime::OptOut);
        assert_ne!(opt_in, opt_out);
        assert_eq!(
            banner.cited(&version, opt_out, now),
            Some(Cited::Current(Regime::OptOut))
        );
        assert_eq!(banner.accepted(now).len(), 2);
    }

    #[test]
    fn an_unknown_type_a_foreign_category_or_an_eea_opt_out_country_is_named() {
        let with = |extra: &str| format!("{}\n{extra}", shipped());
        let unknown = parse_error(&with("[consent_mode.map]\nanalytics = [\"ads_storage\"]"));
        assert!(unknown.contains("ads_storage"), "{unknown}");
        let foreign = parse_error(&with("[consent_mode.map]\nsocial = [\"ad_storage\"]"));
        assert!(foreign.contains("\"social\""), "{foreign}");
        let security = parse_error(&with(
            "[consent_mode.map]\nanalytics = [\"security_storage\"]",
        ));
        assert!(security.contains("security_storage"), "{security}");
        let eea = parse_error(&shipped().replace(
            "opt_out_countries = [\"US\"]",
            "opt_out_countries = [\"US\", \"FR\"]",
        ));
        assert!(eea.contains("\"FR\""), "{eea}");
        let text = parse_error(&shipped().replacen("do_not_sell = ", "do_not_sell_x = ", 1));
        assert!(text.contains("do_not_sell"), "{text}");
    }
}
