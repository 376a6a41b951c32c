//! Where contacts from other sources came from: the kind of source, the legal basis relied on, and the
//! day the data was obtained (never in the future).

use super::invalid::Invalid;
use super::text::SourceName;
use crate::time::Timestamp;

/// The kind of source an import names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A trade fair or event.
    Event,
    /// A licensed list of business contacts.
    Licensed,
    /// A publicly accessible source (a company's website, a register).
    Public,
    /// The company's own CRM.
    Crm,
    /// A business partner.
    Partner,
}

impl SourceKind {
    pub const ALL: [SourceKind; 5] = [
        Self::Event,
        Self::Licensed,
        Self::Public,
        Self::Crm,
        Self::Partner,
    ];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                Invalid::new(
                    "invalid_source_kind",
                    "must be event, licensed, public, crm or partner",
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Licensed => "licensed",
            Self::Public => "public",
            Self::Crm => "crm",
            Self::Partner => "partner",
        }
    }
}

/// The legal basis an import relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegalBasis {
    /// GDPR Art. 6(1)(f).
    LegitimateInterest,
    /// GDPR Art. 6(1)(a), given to the source.
    Consent,
}

impl LegalBasis {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw.trim() {
            "legitimate_interest" => Ok(Self::LegitimateInterest),
            "consent" => Ok(Self::Consent),
            _ => Err(Invalid::new(
                "invalid_legal_basis",
                "must be legitimate_interest or consent",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LegitimateInterest => "legitimate_interest",
            Self::Consent => "consent",
        }
    }
}

/// The day data was obtained: `YYYY-MM-DD`, not after today (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObtainedOn(Timestamp);

impl ObtainedOn {
    pub fn parse(raw: &str, now: Timestamp) -> Result<Self, Invalid> {
        let raw = raw.trim();
        let day = (raw.len() == 10)
            .then(|| Timestamp::parse_rfc3339(&format!("{raw}T00:00:00Z")))
            .flatten()
            .ok_or_else(|| Invalid::new("invalid_date", "must be a date YYYY-MM-DD"))?;
        if day > now {
            return Err(Invalid::new("in_the_future", "must not lie in the future"));
        }
        Ok(Self(day))
    }

    /// Midnight UTC of the day.
    pub fn at(self) -> Timestamp {
        self.0
    }
}

/// A source as an import names it, every part parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSource {
    pub name: SourceName,
    pub kind: SourceKind,
    pub obtained_on: ObtainedOn,
    pub public: bool,
    pub legal_basis: LegalBasis,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_obtained_date_is_a_calendar_day_not_after_today() {
        let now = Timestamp::parse_rfc3339("2026-12-07T10:00:00Z").unwrap();
        assert!(ObtainedOn::parse("2026-12-07", now).is_ok());
        assert_eq!(
            ObtainedOn::parse("2026-12-08", now).unwrap_err().code,
            "in_the_future"
        );
        for bad in ["2026-13-01", "07.12.2026", "2026-12-7", ""] {
            assert_eq!(
                ObtainedOn::parse(bad, now).unwrap_err().code,
                "invalid_date",
                "{bad}"
            );
        }
    }

    #[test]
    fn source_kinds_and_legal_bases_are_their_names() {
        for kind in SourceKind::ALL {
            assert_eq!(SourceKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(SourceKind::parse("fair").is_err());
        assert_eq!(
            LegalBasis::parse("consent").map(LegalBasis::as_str),
            Ok("consent")
        );
        assert!(LegalBasis::parse("contract").is_err());
    }
}
