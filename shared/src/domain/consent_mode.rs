//! Google Consent Mode v2: its seven consent types and their two states, and the consent regime of a
//! visitor's region (opt-in before cookies, or notice with opt-out).

use super::country::CountryCode;
use super::invalid::Invalid;
use serde::{Deserialize, Serialize};

/// One of the seven Consent Mode v2 consent types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentModeType {
    AdStorage,
    AdUserData,
    AdPersonalization,
    AnalyticsStorage,
    FunctionalityStorage,
    PersonalizationStorage,
    SecurityStorage,
}

impl ConsentModeType {
    pub const ALL: [Self; 7] = [
        Self::AdStorage,
        Self::AdUserData,
        Self::AdPersonalization,
        Self::AnalyticsStorage,
        Self::FunctionalityStorage,
        Self::PersonalizationStorage,
        Self::SecurityStorage,
    ];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == raw)
            .ok_or_else(|| {
                Invalid::new(
                    "unknown_consent_mode_type",
                    "is not a Consent Mode v2 type (ad_storage, ad_user_data, ad_personalization, \
                     analytics_storage, functionality_storage, personalization_storage, security_storage)",
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AdStorage => "ad_storage",
            Self::AdUserData => "ad_user_data",
            Self::AdPersonalization => "ad_personalization",
            Self::AnalyticsStorage => "analytics_storage",
            Self::FunctionalityStorage => "functionality_storage",
            Self::PersonalizationStorage => "personalization_storage",
            Self::SecurityStorage => "security_storage",
        }
    }
}

/// A Consent Mode type's state, as `gtag('consent', ...)` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    Granted,
    Denied,
}

impl Grant {
    pub fn of(granted: bool) -> Self {
        if granted { Self::Granted } else { Self::Denied }
    }
}

/// Which rule the banner follows for a visitor, from the country of their address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Nothing but the strictly necessary before the visitor agrees (EEA, UK, Switzerland, any country
    /// not configured otherwise, and an unknown one).
    OptIn,
    /// A notice with a "Do not sell or share" choice; nothing blocked before it (CCPA and the like).
    OptOut,
}

impl Regime {
    pub const ALL: [Self; 2] = [Self::OptIn, Self::OptOut];

    /// The regime for a visitor from `country` (`None`: unknown), given the opt-out countries.
    pub fn for_country(country: Option<CountryCode>, opt_out: &[CountryCode]) -> Self {
        match country {
            Some(c) if opt_out.contains(&c) && !c.needs_prior_consent() => Self::OptOut,
            _ => Self::OptIn,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OptIn => "opt_in",
            Self::OptOut => "opt_out",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_consent_mode_type_parses_from_its_gtag_name_and_nothing_else() {
        for t in ConsentModeType::ALL {
            assert_eq!(ConsentModeType::parse(t.as_str()), Ok(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(
            ConsentModeType::parse("ads_storage").unwrap_err().code,
            "unknown_consent_mode_type"
        );
    }

    #[test]
    fn only_a_configured_country_outside_the_eea_uk_and_switzerland_is_opt_out() {
        let us = CountryCode::parse("US").unwrap();
        let de = CountryCode::parse("DE").unwrap();
        let list = [us, de];
        assert_eq!(Regime::for_country(Some(us), &list), Regime::OptOut);
        assert_eq!(Regime::for_country(Some(de), &list), Regime::OptIn);
        assert_eq!(
            Regime::for_country(Some(CountryCode::parse("BR").unwrap()), &list),
            Regime::OptIn
        );
        assert_eq!(Regime::for_country(None, &list), Regime::OptIn);
    }
}
