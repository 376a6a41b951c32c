//! An ISO 3166-1 alpha-2 country code, and whether the country is an EU member state.

use super::invalid::Invalid;
use super::shape::Shape;

/// Every officially assigned ISO 3166-1 alpha-2 code, concatenated.
const ASSIGNED: &str = "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

/// The 27 member states of the European Union.
const EU: &str = "ATBEBGCYCZDEDKEEESFIFRGRHRHUIEITLTLULVMTNLPLPTROSESISK";

/// Outside the EU, where the ePrivacy rules on cookies apply as well: the rest of the EEA (Iceland,
/// Liechtenstein, Norway), the United Kingdom (PECR) and Switzerland (revFADP).
const CONSENT_BEFORE_COOKIES: &str = "ISLINOGBCH";

fn listed(list: &str, code: &[u8; 2]) -> bool {
    list.as_bytes().chunks_exact(2).any(|c| c == code)
}

/// An upper-case ISO 3166-1 alpha-2 code such as `NL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "invalid_country",
                "must be a two-letter ISO 3166 country code",
            )
        };
        let value = raw.trim().as_bytes();
        let [a, b] = value else { return Err(bad()) };
        let code = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
        if !listed(ASSIGNED, &code) {
            return Err(bad());
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// What [`Self::parse`] accepts: an assigned code in either case, grouped by its first letter
    /// (`[Aa][DdEe...]|...`).
    pub fn shape() -> Shape {
        let mut groups: Vec<(u8, String)> = Vec::new();
        for code in ASSIGNED.as_bytes().chunks_exact(2) {
            let second = format!(
                "{}{}",
                code[1] as char,
                code[1].to_ascii_lowercase() as char
            );
            match groups.last_mut() {
                Some((first, seconds)) if *first == code[0] => seconds.push_str(&second),
                _ => groups.push((code[0], second)),
            }
        }
        let body = groups
            .iter()
            .map(|(first, seconds)| {
                let first = *first as char;
                format!("[{first}{}][{seconds}]", first.to_ascii_lowercase())
            })
            .collect::<Vec<_>>()
            .join("|");
        Shape::trimmed(&body, None)
    }

    pub fn is_eu_member(&self) -> bool {
        listed(EU, &self.0)
    }

    /// Whether cookies beyond the strictly necessary need consent before they are set: the EEA, the
    /// United Kingdom and Switzerland.
    pub fn needs_prior_consent(&self) -> bool {
        self.is_eu_member() || listed(CONSENT_BEFORE_COOKIES, &self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::shape::testing::parser_fits_shape;

    parser_fits_shape!(
        the_parser_accepts_exactly_the_documented_shape,
        CountryCode::shape(),
        CountryCode::parse
    );

    #[test]
    fn codes_are_upper_cased_and_checked_against_the_iso_list() {
        assert_eq!(CountryCode::parse("nl").unwrap().as_str(), "NL");
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("NLD").is_err());
        for code in ["DE", "NO", "GB", "CH"] {
            assert!(
                CountryCode::parse(code).unwrap().needs_prior_consent(),
                "{code}"
            );
        }
        assert!(!CountryCode::parse("US").unwrap().needs_prior_consent());
        assert!(CountryCode::parse("").is_err());
    }

    #[test]
    fn eu_membership_follows_the_27_member_states() {
        assert!(CountryCode::parse("DE").unwrap().is_eu_member());
        assert!(!CountryCode::parse("GB").unwrap().is_eu_member());
        assert!(!CountryCode::parse("CH").unwrap().is_eu_member());
        assert_eq!(EU.len(), 27 * 2);
    }
}
