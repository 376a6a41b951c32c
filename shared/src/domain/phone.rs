//! A phone number normalised to E.164 (`+` and 8 to 15 digits).

use super::invalid::Invalid;
use super::shape::Shape;

/// The longest number accepted, as sent.
const MAX_CHARS: usize = 40;

/// What may stand between digits.
const SEPARATORS: &str = " .-/()";

/// `rest` (after `+`) split at a trunk `(0)` that follows the country code: `31 (0)20 1234` gives
/// `("31", "20 1234")`.
fn trunk(rest: &str) -> Option<(&str, &str)> {
    let code_len = rest.find(|c: char| !c.is_ascii_digit())?;
    let (code, after) = rest.split_at(code_len);
    let gap = after.trim_start_matches([' ', '.', '-', '/']);
    let tail = gap.strip_prefix("(0)")?;
    ((1..=3).contains(&code.len()) && after.len() - gap.len() <= 2).then_some((code, tail))
}

/// At most two separators in a row.
fn spaced(s: &str) -> bool {
    s.chars()
        .try_fold(0, |run, c| match SEPARATORS.contains(c) {
            true if run == 2 => None,
            true => Some(run + 1),
            false => Some(0),
        })
        .is_some()
}

/// A phone number in E.164 form, e.g. `+31201234567`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts international numbers written with `+` or `00` and the usual separators
    /// (spaces, dots, dashes, slashes, parentheses; at most two in a row), e.g. `+31 (0)20 123 4567` or `0049 30 1234567`.
    /// A `(0)` right after a country code of one to three digits is the trunk prefix and is dropped.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "invalid_phone",
                "must be an international phone number, e.g. +31 20 123 4567",
            )
        };
        let value = raw.trim();
        if value.is_empty() {
            return Err(Invalid::new("empty", "must not be empty"));
        }
        if raw.chars().count() > MAX_CHARS {
            return Err(bad());
        }
        let rest = value
            .strip_prefix('+')
            .or_else(|| value.strip_prefix("00"))
            .ok_or_else(bad)?;
        if !rest.starts_with(|c: char| matches!(c, '1'..='9'))
            || !rest
                .chars()
                .all(|c| c.is_ascii_digit() || SEPARATORS.contains(c))
        {
            return Err(bad());
        }
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        let fits = |d: &String| (8..=15).contains(&d.len());
        let with_trunk = trunk(rest)
            .filter(|(_, tail)| spaced(tail))
            .map(|(code, tail)| code.to_owned() + &digits(tail))
            .filter(fits);
        let plain = Some(digits(rest)).filter(|d| fits(d) && spaced(rest));
        match with_trunk.or(plain) {
            Some(number) => Ok(Self(format!("+{number}"))),
            None => Err(bad()),
        }
    }

    /// What [`Self::parse`] accepts: the number with all its digits, or with the trunk `(0)` after
    /// a country code of one, two or three digits.
    pub fn shape() -> Shape {
        let sep = r"[ .\-/()]{0,2}";
        let gap = r"[ .\-/]{0,2}\(0\)";
        Shape::trimmed(
            &format!(
                "(?:\\+|00)(?:[1-9](?:{sep}[0-9]){{7,14}}\
                 |[1-9]{gap}(?:{sep}[0-9]){{7,14}}\
                 |[1-9][0-9]{gap}(?:{sep}[0-9]){{6,13}}\
                 |[1-9][0-9]{{2}}{gap}(?:{sep}[0-9]){{5,12}}){sep}"
            ),
            Some(MAX_CHARS),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::shape::testing::parser_fits_shape;

    parser_fits_shape!(
        the_parser_accepts_exactly_the_documented_shape,
        PhoneNumber::shape(),
        PhoneNumber::parse
    );

    #[test]
    fn international_numbers_are_normalised_to_e164() {
        assert_eq!(
            PhoneNumber::parse("+31 (0)20 123 4567").unwrap().as_str(),
            "+31201234567"
        );
        assert_eq!(
            PhoneNumber::parse("0049 30-1234567").unwrap().as_str(),
            "+49301234567"
        );
        assert_eq!(
            PhoneNumber::parse("+1 (415) 555.0100").unwrap().as_str(),
            "+14155550100"
        );
    }

    #[test]
    fn national_short_long_or_lettered_numbers_are_refused() {
        for raw in [
            "020 123 4567",
            "+123",
            "+1234567890123456",
            "+31 20 CALL ME",
            "+0 20 123 4567",
            "",
        ] {
            assert!(
                PhoneNumber::parse(raw).is_err(),
                "{raw:?} should be refused"
            );
        }
    }
}
