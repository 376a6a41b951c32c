//! A business email address, checked for shape and normalised (domain lower-cased).

use super::Invalid;

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
        if value.len() > 254 {
            return Err(Invalid::new("too_long", "must be at most 254 characters"));
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
        if !local_ok || !domain_ok {
            return Err(bad());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
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
