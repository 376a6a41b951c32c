//! A business email address, checked for shape and normalised (domain lower-cased).

use super::invalid::Invalid;
use super::shape::Shape;

/// The longest address, as sent (RFC 5321's path limit).
const MAX_CHARS: usize = 254;

/// Characters beyond ASCII taken as letters in addresses (RFC 6532 `UTF8-non-ascii`), without
/// spaces and control characters.
fn wide(c: char) -> bool {
    !c.is_ascii() && !c.is_whitespace() && !c.is_control()
}

/// The spaces beyond U+00A0 (which [`wide`] leaves out), for the negated classes of [`EmailAddress::shape`].
const WIDE_SPACES: &str = r"\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// A character of a dot-atom's atom (RFC 5322 `atext`, RFC 6532 `UTF8-non-ascii`).
fn atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c) || wide(c)
}

/// A domain label: letters and digits, inner hyphens, at most 63 characters.
fn label(label: &str) -> bool {
    let letter_digit = |c: char| c.is_ascii_alphanumeric() || wide(c);
    let n = label.chars().count();
    (1..=63).contains(&n)
        && label.chars().all(|c| letter_digit(c) || c == '-')
        && label.chars().next().is_some_and(letter_digit)
        && label.chars().last().is_some_and(letter_digit)
}

/// A top-level domain: letters only, or an internationalised one in its `xn--` form.
fn top_level(tld: &str) -> bool {
    let n = tld.chars().count();
    let letters = (2..=63).contains(&n) && tld.chars().all(|c| c.is_ascii_alphabetic() || wide(c));
    let punycode = tld.is_ascii()
        && tld.len() >= 5
        && tld[..4].eq_ignore_ascii_case("xn--")
        && label(&tld[4..])
        && tld.len() <= 63;
    letters || punycode
}

/// An email address of the shape `local@domain.tld`; the domain is lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "invalid_email",
                "must be an email address like name@company.com",
            )
        };
        let value = raw.trim();
        if value.is_empty() {
            return Err(Invalid::new("empty", "must not be empty"));
        }
        if raw.chars().count() > MAX_CHARS {
            return Err(Invalid::new("too_long", "must be at most 254 characters"));
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(bad)?;
        let local_ok = local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext));
        let labels: Vec<&str> = domain.split('.').collect();
        let (tld, labels) = labels.split_last().ok_or_else(bad)?;
        let domain_ok = !labels.is_empty() && labels.iter().all(|l| label(l)) && top_level(tld);
        if !local_ok || !domain_ok {
            return Err(bad());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// What [`Self::parse`] accepts: a dot-atom local part (RFC 5322, with non-ASCII letters as RFC
    /// 6532 allows), domain labels of letters, digits and inner hyphens, and a top-level domain of
    /// letters or an `xn--` label.
    pub fn shape() -> Shape {
        // Negated classes: "not ASCII other than these, not a control or space character".
        let w = WIDE_SPACES;
        let atext = format!("[^\\u0000-\\u0020\\u007f-\\u00a0\"(),.:;<>@\\[\\\\\\]{w}]");
        let letter_digit =
            format!("[^\\u0000-\\u002f\\u003a-\\u0040\\u005b-\\u0060\\u007b-\\u00a0{w}]");
        let inner = format!(
            "[^\\u0000-\\u002c\\u002e\\u002f\\u003a-\\u0040\\u005b-\\u0060\\u007b-\\u00a0{w}]"
        );
        let letter = format!("[^\\u0000-\\u0040\\u005b-\\u0060\\u007b-\\u00a0{w}]");
        let label = format!("{letter_digit}(?:{inner}{{0,61}}{letter_digit})?");
        let tld =
            format!("{letter}{{2,63}}|[Xx][Nn]--[A-Za-z0-9](?:[A-Za-z0-9-]{{0,57}}[A-Za-z0-9])?");
        Shape::trimmed(
            &format!("{atext}+(?:\\.{atext}+)*@(?:{label}\\.)+(?:{tld})"),
            Some(MAX_CHARS),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part, lower-case (used to flag free-mail providers).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }

    /// The form used to recognise the same mailbox again (suppression, data-subject requests).
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::shape::testing::parser_fits_shape;

    parser_fits_shape!(
        the_parser_accepts_exactly_the_documented_shape,
        EmailAddress::shape(),
        EmailAddress::parse
    );

    #[test]
    fn a_valid_address_keeps_its_local_part_and_lowercases_its_domain() {
        let email = EmailAddress::parse(" Jane.Doe+news@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Jane.Doe+news@example.com");
        assert_eq!(email.domain(), "example.com");
        assert_eq!(email.normalized(), "jane.doe+news@example.com");
    }

    #[test]
    fn addresses_without_a_proper_domain_or_local_part_are_refused() {
        for raw in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a@b.c",
            "a..b@example.com",
            "a@-example.com",
            "a b@example.com",
            "a@example.123",
            "<a>@example.com",
        ] {
            assert!(
                EmailAddress::parse(raw).is_err(),
                "{raw:?} should be refused"
            );
        }
    }

    #[test]
    fn internationalised_domains_are_accepted() {
        assert!(EmailAddress::parse("info@bücher.de").is_ok());
    }
}
