//! What a visitor was shown and what they chose: policy version, text hash, one choice per checkbox.

use super::invalid::Invalid;
use super::shape::{Shape, any_case, literal};
use std::collections::BTreeMap;

/// The version label of the privacy policy or banner shown, e.g. `2024-05` or `v3.1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion(String);

impl PolicyVersion {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim();
        let ok = !value.is_empty()
            && value.len() <= 64
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_".contains(&b));
        if !ok {
            return Err(Invalid::new(
                "invalid_version",
                "must be a version label of letters, digits, '.', '-' and '_' (at most 64)",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What [`Self::parse`] accepts.
    pub fn shape() -> Shape {
        Shape::trimmed("[A-Za-z0-9._-]{1,64}", None)
    }

    /// The shape of exactly this version, as sent (trimmed).
    pub fn shape_of(&self) -> Shape {
        Shape::trimmed(&literal(&self.0), None)
    }
}

/// The SHA-256 of the consent text shown, as `sha256:` and 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextHash(String);

impl TextHash {
    /// Accepts `sha256:<hex>` or bare hex, any case.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let value = raw.trim();
        let hex = value.strip_prefix("sha256:").unwrap_or(value);
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Invalid::new(
                "invalid_hash",
                "must be the SHA-256 of the text shown: 'sha256:' and 64 hex digits",
            ));
        }
        Ok(Self(format!("sha256:{}", hex.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What [`Self::parse`] accepts.
    pub fn shape() -> Shape {
        Shape::trimmed("(?:sha256:)?[0-9A-Fa-f]{64}", None)
    }

    /// The shape of exactly this hash, in any of the ways [`Self::parse`] reads it.
    pub fn shape_of(&self) -> Shape {
        let hex = self.0.trim_start_matches("sha256:");
        Shape::trimmed(&format!("(?:sha256:)?{}", any_case(hex)), None)
    }
}

/// The id of one checkbox (`privacy_policy`, `marketing_email`, a newsletter list such as `product-news`):
/// `[a-z0-9_-]`, 1 to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsentId(String);

impl ConsentId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok = !raw.is_empty()
            && raw.len() <= 40
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !ok {
            return Err(Invalid::new(
                "invalid_consent_id",
                "must be of a-z, 0-9, '_' and '-'",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The cookie banner's consent id (its `mc_consent` cookie's `id`) as a post carries it.
pub fn parse_banner_id(raw: &str) -> Result<String, Invalid> {
    let raw = raw.trim();
    if crate::ids::is_id(raw) {
        Ok(raw.to_owned())
    } else {
        Err(Invalid::new(
            "invalid_consent_id",
            "must be the cookie banner's consent id",
        ))
    }
}

/// The state of every checkbox a form offered: present means it was ticked. A checkbox the
/// visitor did not tick is recorded as `false`, never assumed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsentChoices(BTreeMap<ConsentId, bool>);

impl ConsentChoices {
    /// One entry per offered checkbox, `true` only for those in `ticked`.
    pub fn from_ticked<'a>(
        offered: &[ConsentId],
        ticked: impl Fn(&ConsentId) -> bool + 'a,
    ) -> Self {
        Self(offered.iter().map(|id| (id.clone(), ticked(id))).collect())
    }

    pub fn granted(&self, id: &ConsentId) -> bool {
        self.0.get(id).copied().unwrap_or(false)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&ConsentId, bool)> {
        self.0.iter().map(|(k, v)| (k, *v))
    }
}

/// Reads an HTML checkbox or JSON boolean value: `on`, `true`, `1`, `yes` tick it; `false`, `0`, `no`,
/// `off` and the empty string leave it unticked; anything else is refused.
/// What [`parse_tick`] accepts; with `ticked`, only the values that mean a ticked box.
pub fn tick_shape(ticked: bool) -> Shape {
    let on = ["on", "true", "1", "yes"];
    let off = ["off", "false", "0", "no"];
    let words: Vec<String> = on
        .iter()
        .chain(if ticked { &[][..] } else { &off[..] })
        .map(|w| any_case(w))
        .collect();
    Shape::trimmed(&words.join("|"), None)
}

pub fn parse_tick(raw: &str) -> Result<bool, Invalid> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "" | "off" | "false" | "0" | "no" => Ok(false),
        _ => Err(Invalid::new(
            "invalid_checkbox",
            "must be a checkbox value (on/true or off/false)",
        )),
    }
}

/// Reads a JSON boolean (or its spelling in a form body): exactly `true` or `false`. Unlike a checkbox,
/// a value that must be a boolean has no "left out" spelling.
pub fn parse_bool(raw: &str) -> Result<bool, Invalid> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Invalid::new("invalid_type", "must be true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::shape::testing::parser_fits_shape;

    parser_fits_shape!(
        a_version_fits_its_shape,
        PolicyVersion::shape(),
        PolicyVersion::parse
    );
    parser_fits_shape!(a_hash_fits_its_shape, TextHash::shape(), TextHash::parse);
    parser_fits_shape!(a_tick_fits_its_shape, tick_shape(false), |raw: &str| {
        // A blank box is the field left out, which the field reader handles before this parser.
        if raw.trim().is_empty() {
            Err(Invalid::new("blank", ""))
        } else {
            parse_tick(raw)
        }
    });
    parser_fits_shape!(
        a_ticked_box_fits_its_shape,
        tick_shape(true),
        |raw: &str| {
            match parse_tick(raw) {
                Ok(true) => Ok(()),
                _ => Err(Invalid::new("unticked", "")),
            }
        }
    );

    #[test]
    fn a_boolean_is_true_or_false_and_nothing_else() {
        assert_eq!(parse_bool("true"), Ok(true));
        assert_eq!(parse_bool("false"), Ok(false));
        for raw in ["yes", "on", "1", "", "True"] {
            assert_eq!(parse_bool(raw).unwrap_err().code, "invalid_type", "{raw:?}");
        }
    }

    #[test]
    fn text_hashes_are_normalised_to_prefixed_lower_case_hex() {
        let hex = "AB".repeat(32);
        assert_eq!(
            TextHash::parse(&hex).unwrap().as_str(),
            format!("sha256:{}", "ab".repeat(32))
        );
        assert!(TextHash::parse("sha256:1234").is_err());
        assert!(TextHash::parse(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn an_unticked_checkbox_is_recorded_as_refused() {
        let offered = vec![
            ConsentId::parse("privacy_policy").unwrap(),
            ConsentId::parse("marketing_email").unwrap(),
        ];
        let choices = ConsentChoices::from_ticked(&offered, |id| id.as_str() == "privacy_policy");
        assert!(choices.granted(&offered[0]));
        assert!(!choices.granted(&offered[1]));
        assert_eq!(choices.iter().count(), 2);
    }

    #[test]
    fn checkbox_values_are_read_strictly() {
        assert!(parse_tick("on").unwrap());
        assert!(!parse_tick("false").unwrap());
        assert!(parse_tick("maybe").is_err());
    }

    #[test]
    fn policy_versions_are_short_labels() {
        assert!(PolicyVersion::parse("2024-05.v2").is_ok());
        assert!(PolicyVersion::parse("a b").is_err());
    }
}
