//! A phone number normalised to E.164 (`+` and 8 to 15 digits).

use super::Invalid;

/// A phone number in E.164 form, e.g. `+31201234567`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts international numbers written with `+` or `00` and the usual separators
    /// (spaces, dots, dashes, slashes, parentheses), e.g. `+31 (0)20 123 4567` or `0049 30 1234567`.
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
        if value.len() > 40 {
            return Err(bad());
        }
        let rest = if let Some(rest) = value.strip_prefix('+') {
            rest
        } else if let Some(rest) = value.strip_prefix("00") {
            rest
        } else {
            return Err(bad());
        };
        // "+31 (0)20 ..." is a common way to show the trunk prefix that is dropped when dialling from abroad.
        let rest = rest.replacen("(0)", "", 1);
        let mut digits = String::with_capacity(15);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '/' | '(' | ')' => {}
                _ => return Err(bad()),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(bad());
        }
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
