//! A person's language for mails and pages: an ISO 639-1 code (`de`, `en`, `nl`), from a form field, an
//! `Accept-Language` header or a country.

use super::country::CountryCode;
use super::invalid::Invalid;

/// A lower-case two-letter ISO 639-1 language code such as `de`. Region subtags (`de-AT`) are dropped:
/// the texts are written per language, not per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language([u8; 2]);

impl Language {
    /// The language every text exists in, and the one used when nothing else is known.
    pub const ENGLISH: Language = Language(*b"en");

    /// `de`, `DE`, `de-AT`, `de_AT` are all `de`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "invalid_language",
                "must be a two-letter ISO 639-1 language code such as de, en or nl",
            )
        };
        let primary = raw.trim().split(['-', '_']).next().unwrap_or_default();
        let [a, b] = primary.as_bytes() else {
            return Err(bad());
        };
        if !(a.is_ascii_alphabetic() && b.is_ascii_alphabetic()) {
            return Err(bad());
        }
        Ok(Self([a.to_ascii_lowercase(), b.to_ascii_lowercase()]))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("en")
    }

    /// The language most people of `country` read business mail in, among those the product ships
    /// (DE/AT/CH and LI → German, NL/BE → Dutch); `None` elsewhere.
    pub fn of_country(country: &CountryCode) -> Option<Self> {
        match country.as_str() {
            "DE" | "AT" | "CH" | "LI" => Some(Self(*b"de")),
            "NL" | "BE" => Some(Self(*b"nl")),
            _ => None,
        }
    }

    /// The best of `offered` for an `Accept-Language` header (RFC 9110 §12.5.4): the highest `q` among
    /// the languages offered, ties in the header's order; `None` when the header names none of them.
    pub fn negotiate(header: &str, offered: &[Language]) -> Option<Self> {
        let mut best: Option<(Language, u16)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Ok(language) = Language::parse(parts.next().unwrap_or_default()) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(1000, |q| {
                    (q.trim().parse::<f32>().unwrap_or(0.0) * 1000.0) as u16
                });
            if q > 0 && offered.contains(&language) && best.is_none_or(|(_, b)| q > b) {
                best = Some((language, q));
            }
        }
        best.map(|(language, _)| language)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(raw: &str) -> Language {
        Language::parse(raw).unwrap()
    }

    #[test]
    fn a_language_is_its_primary_subtag_in_lower_case() {
        assert_eq!(lang("DE").as_str(), "de");
        assert_eq!(lang(" de-AT ").as_str(), "de");
        assert_eq!(lang("nl_BE").as_str(), "nl");
        for bad in ["", "d", "deu", "d1", "-de", "ü"] {
            assert_eq!(
                Language::parse(bad).unwrap_err().code,
                "invalid_language",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn german_and_dutch_speaking_countries_give_their_language_and_others_none() {
        let of = |c: &str| Language::of_country(&CountryCode::parse(c).unwrap());
        assert_eq!(of("AT"), Some(lang("de")));
        assert_eq!(of("ch"), Some(lang("de")));
        assert_eq!(of("BE"), Some(lang("nl")));
        assert_eq!(of("FR"), None);
    }

    #[test]
    fn accept_language_picks_the_highest_weight_among_the_languages_offered() {
        let offered = [lang("en"), lang("de"), lang("nl")];
        let pick = |h: &str| Language::negotiate(h, &offered).map(|l| l.as_str().to_owned());
        assert_eq!(pick("de-DE,de;q=0.9,en;q=0.8").as_deref(), Some("de"));
        assert_eq!(pick("fr-FR, nl;q=0.5, en;q=0.7").as_deref(), Some("en"));
        assert_eq!(pick("fr, es;q=0.9").as_deref(), None);
        assert_eq!(pick("de;q=0, nl").as_deref(), Some("nl"));
        assert_eq!(pick("").as_deref(), None);
    }
}
