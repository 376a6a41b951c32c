//! Bounded single-line and multi-line text values: names, company, job title, message, UTM values.

use super::invalid::Invalid;
use super::shape::{CONTROL, SPACE, Shape};

/// Free text: after trimming not empty, no control characters (but line breaks and tabs in
/// `multiline` text), none of `forbidden`; at most `max` characters as sent.
fn text_shape(max: usize, multiline: bool, forbidden: &[char]) -> Shape {
    let forbidden: String = forbidden
        .iter()
        .map(|c| match c {
            '\\' | ']' | '[' | '^' | '-' => format!("\\{c}"),
            c => c.to_string(),
        })
        .collect();
    // Controls allowed inside multiline text: \t (09), \n (0a), \r (0d).
    let control = if multiline {
        r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    } else {
        CONTROL
    };
    let inner = format!("[^{control}{forbidden}]");
    let visible = format!("[^{CONTROL}{SPACE}{forbidden}]");
    Shape::new(
        format!("[{SPACE}]*{visible}(?:{inner}*{visible})?[{SPACE}]*"),
        Some(max),
    )
}

/// Trims `raw` and checks it is non-empty, at most `max` characters and free of control characters
/// (line breaks allowed only when `multiline`).
fn clean(raw: &str, max: usize, multiline: bool) -> Result<String, Invalid> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Invalid::new("empty", "must not be empty"));
    }
    // The limit counts what was sent, spaces included, as the OpenAPI document's maxLength does.
    if raw.chars().count() > max {
        return Err(Invalid::new(
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    let allowed_control = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if value.chars().any(|c| c.is_control() && !allowed_control(c)) {
        return Err(Invalid::new(
            "control_characters",
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, max = $max:expr, multiline = $multi:expr, forbidden = $forbidden:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                let value = clean(raw, $max, $multi)?;
                let forbidden: &[char] = $forbidden;
                if value.chars().any(|c| forbidden.contains(&c)) {
                    return Err(Invalid::new(
                        "forbidden_characters",
                        "contains characters that are not allowed here",
                    ));
                }
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// What [`Self::parse`] accepts: see [`text_shape`].
            pub fn shape() -> Shape {
                text_shape($max, $multi, $forbidden)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_type!(
    /// A person's name as they typed it (no markup characters).
    PersonName, max = 200, multiline = false, forbidden = &['<', '>', '{', '}', '\\', '"']
);
text_type!(
    /// The name of the visitor's company or organisation.
    CompanyName, max = 200, multiline = false, forbidden = &['<', '>', '{', '}', '\\']
);
text_type!(
    /// The visitor's job title.
    JobTitle, max = 200, multiline = false, forbidden = &['<', '>', '{', '}', '\\']
);
text_type!(
    /// Free text a visitor writes in a form.
    Message, max = 5000, multiline = true, forbidden = &[]
);
text_type!(
    /// What a person writes with a data-subject request (what to correct, which data they mean).
    RequestDetails, max = 2000, multiline = true, forbidden = &[]
);
text_type!(
    /// The text a privacy officer writes to a person (a denial's explanation, an extension's reason).
    OfficerText, max = 2000, multiline = true, forbidden = &[]
);
text_type!(
    /// When a visitor would like to be called back, as they wrote it ("Tuesday mornings CET").
    PreferredTime, max = 200, multiline = false, forbidden = &['<', '>', '{', '}', '\\']
);
text_type!(
    /// The name of a source contacts were obtained from ("Hannover Messe 2026", "Acme licensed list").
    SourceName, max = 200, multiline = false, forbidden = &['<', '>', '{', '}', '\\']
);
text_type!(
    /// The id a contact has in the system it was imported from (a CRM's record id).
    ExternalId, max = 200, multiline = false, forbidden = &[]
);
text_type!(
    /// One UTM campaign parameter (`utm_source`, `utm_medium`, ...).
    UtmValue, max = 200, multiline = false, forbidden = &[]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::shape::testing::parser_fits_shape;

    parser_fits_shape!(
        a_name_fits_its_shape,
        PersonName::shape(),
        PersonName::parse
    );
    parser_fits_shape!(
        a_company_fits_its_shape,
        CompanyName::shape(),
        CompanyName::parse
    );
    parser_fits_shape!(a_message_fits_its_shape, Message::shape(), Message::parse);
    parser_fits_shape!(
        a_utm_value_fits_its_shape,
        UtmValue::shape(),
        UtmValue::parse
    );

    #[test]
    fn a_name_is_trimmed_and_kept_as_typed() {
        assert_eq!(
            PersonName::parse("  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
        assert_eq!(
            PersonName::parse("José Ñúñez-O'Brien").unwrap().as_str(),
            "José Ñúñez-O'Brien"
        );
    }

    #[test]
    fn empty_overlong_or_markup_names_are_refused() {
        assert_eq!(PersonName::parse("   ").unwrap_err().code, "empty");
        assert_eq!(
            PersonName::parse(&"a".repeat(201)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            PersonName::parse("<script>").unwrap_err().code,
            "forbidden_characters"
        );
        assert_eq!(
            PersonName::parse("a\u{0}b").unwrap_err().code,
            "control_characters"
        );
    }

    #[test]
    fn a_message_may_span_lines_but_a_title_may_not() {
        assert!(Message::parse("line one\nline two").is_ok());
        assert_eq!(
            JobTitle::parse("CTO\nCEO").unwrap_err().code,
            "control_characters"
        );
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert!(CompanyName::parse(&"é".repeat(200)).is_ok());
    }
}
