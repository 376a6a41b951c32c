//! A person's language for mails and pages: an ISO 639-1 code (`de`, `en`, `nl`), from a form field, an
//! `Accept-Language` header or a country.

use super::country::CountryCode;
use super::invalid::Invalid;
use super::shape::Shape;

/// A lower-case two-letter ISO 639-1 language code such as `de`. Region subtags (`de-AT`) are dropped:
/// the texts are written per language, not per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language([u8; 2]);

impl Language {
    /// The language every text exists in, and the one used when nothing else is known.
    pub const ENGLISH: Language = Language(*b"en");

    /// The longest tag taken, in characters.
    pub const MAX_CHARS: usize = 35;

    /// `de`, `DE`, `de-AT`, `de_AT` are all `de`: a two-letter primary subtag, then subtags of one to
    /// eight letters or digits.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "invalid_language",
                "must be a language tag such as de, en, nl or de-AT",
            )
        };
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(bad());
        }
        let mut subtags = raw.trim().split(['-', '_']);
        let primary = subtags.next().unwrap_or_default();
        let [a, b] = primary.as_bytes() else {
            return Err(bad());
        };
        let subtag_ok =
            |t: &str| (1..=8).contains(&t.len()) && t.bytes().all(|c| c.is_ascii_alphanumeric());
        if !(a.is_ascii_alphabetic() && b.is_ascii_alphabetic() && subtags.all(subtag_ok)) {
            return Err(bad());
        }
        Ok(Self([a.to_ascii_lowercase(), b.to_ascii_lowercase()]))
    }

    /// What [`Self::parse`] accepts.
    pub fn shape() -> Shape {
        Shape::trimmed(
            "[A-Za-z]{2}(?:[-_][A-Za-z0-9]{1,8})*",
            Some(Self::MAX_CHARS),
        )
    }

    /// The language an `Accept-Language` header puts first (highest `q`, ties in order), whatever it is.
    pub fn preferred(header: &str) -> Option<Self> {
        let mut best: Option<(Language, u16)> = None;
        for (language, q) in Self::weighted(header) {
            if q > 0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((language, q));
            }
        }
        best.map(|(language, _)| language)
    }

    /// The languages of an `Accept-Language` header with their weights (`q` × 1000).
    fn weighted(header: &str) -> impl Iterator<Item = (Language, u16)> + '_ {
        header.split(',').filter_map(|item| {
            let mut parts = item.split(';');
            let language = Language::parse(parts.next().unwrap_or_default()).ok()?;
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(1000, |q| {
                    (q.trim().parse::<f32>().unwrap_or(0.0) * 1000.0) as u16
                });
            Some((language, q))
        })
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
    use crate::domain::shape::testing::parser_fits_shape;

    parser_fits_shape!(
        a_language_fits_its_shape,
        Language::shape(),
        Language::parse
    );

    fn lang(raw: &str) -> Language {
        Language::parse(raw).unwrap()
    }

    #[test]
    fn a_language_is_its_primary_subtag_in_lower_case() {
        assert_eq!(lang("DE").as_str(), "de");
        assert_eq!(lang(" de-AT ").as_str(), "de");
        assert_eq!(lang("nl_BE").as_str(), "nl");
        assert_eq!(
            Language::preferred("fr-CH, de;q=0.9")
                .map(|l| l.as_str().to_owned())
                .as_deref(),
            Some("fr")
        );
        for bad in [
            "",
            "d",
            "deu",
            "d1",
            "-de",
            "ü",
            "de-",
            "de-toolongsubtag",
            "de-a!",
        ] {
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
