//! One email: addresses, subject, bodies and extra headers, each header value checked to be one line.

use serde::{Deserialize, Serialize};

/// Why a message could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// A header value or the subject contains CR, LF or another control character (header injection).
    #[error("{0} must be one line without control characters")]
    NotOneLine(String),
    /// A header name that is not an RFC 5322 field name, or one the provider sets itself.
    #[error("header name {0:?} is not allowed")]
    HeaderName(String),
    /// An address field that is empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// An unsubscribe target of the wrong scheme.
    #[error("{0}")]
    Unsubscribe(&'static str),
}

/// The header that carries the unsubscribe targets (RFC 2369).
pub const LIST_UNSUBSCRIBE: &str = "List-Unsubscribe";
/// The header that makes the https target a one-click unsubscribe (RFC 8058).
pub const LIST_UNSUBSCRIBE_POST: &str = "List-Unsubscribe-Post";
/// The only value RFC 8058 allows for [`LIST_UNSUBSCRIBE_POST`].
pub const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

/// Header names the provider derives from the message's own fields; setting them as extra headers
/// would contradict those fields.
const RESERVED: [&str; 8] = [
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "reply-to",
    "content-type",
    "content-transfer-encoding",
];

/// An email to send. Built only through [`Message::new`] and its `with_*` methods, which refuse CR/LF
/// in every header value, so a stored message cannot smuggle in a header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub to: String,
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    pub subject: String,
    pub text_body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_body: Option<String>,
    /// Extra headers in the order they are sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    /// The provider's message stream (Postmark: `outbound` for transactional mail, `broadcast` for
    /// bulk); `None` is the provider's default stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
}

/// `value` if it is one line without control characters (tabs allowed), else why not.
fn one_line(what: &str, value: &str) -> Result<String, MailError> {
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(MailError::NotOneLine(what.to_owned()));
    }
    Ok(value.to_owned())
}

fn address(what: &'static str, value: &str) -> Result<String, MailError> {
    let value = one_line(what, value.trim())?;
    if value.is_empty() {
        return Err(MailError::Empty(what));
    }
    Ok(value)
}

impl Message {
    /// A plain-text message. `to`, `from` are addresses (`name@example.com` or `Name <name@example.com>`).
    pub fn new(to: &str, from: &str, subject: &str, text_body: &str) -> Result<Self, MailError> {
        Ok(Self {
            to: address("to", to)?,
            from: address("from", from)?,
            reply_to: None,
            subject: one_line("subject", subject)?,
            text_body: text_body.to_owned(),
            html_body: None,
            headers: Vec::new(),
            stream: None,
        })
    }

    pub fn with_reply_to(mut self, reply_to: &str) -> Result<Self, MailError> {
        self.reply_to = Some(address("reply-to", reply_to)?);
        Ok(self)
    }

    pub fn with_html(mut self, html_body: &str) -> Self {
        self.html_body = Some(html_body.to_owned());
        self
    }

    pub fn with_stream(mut self, stream: &str) -> Result<Self, MailError> {
        self.stream = Some(one_line("stream", stream)?);
        Ok(self)
    }

    /// Adds an extra header (after those already added). Refuses CR/LF and other control characters in
    /// the value, names that are not RFC 5322 field names, and names the message's own fields set.
    pub fn with_header(mut self, name: &str, value: &str) -> Result<Self, MailError> {
        let name_ok = !name.is_empty()
            && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
            && !RESERVED.contains(&name.to_ascii_lowercase().as_str());
        if !name_ok {
            return Err(MailError::HeaderName(name.to_owned()));
        }
        let value = one_line(name, value)?;
        self.headers.push((name.to_owned(), value));
        Ok(self)
    }

    /// Adds `List-Unsubscribe: <https_url>, <mailto>` and `List-Unsubscribe-Post:
    /// List-Unsubscribe=One-Click` (RFC 2369, RFC 8058), each on one line. `https_url` must be an
    /// `https://` URL (RFC 8058 requires one; `http://127.0.0.1` and `http://localhost` pass for local
    /// runs) and `mailto` a `mailto:` URI; neither may contain `<`, `>`,
    /// `,` or whitespace, which would end the angle-bracketed target early.
    pub fn with_unsubscribe(self, https_url: &str, mailto: &str) -> Result<Self, MailError> {
        let target_ok = |t: &str| !t.chars().any(|c| c.is_whitespace() || "<>,".contains(c));
        // RFC 8058 wants https; plain http is accepted for the local run's loopback address only.
        let local = [
            "http://127.0.0.1:",
            "http://127.0.0.1/",
            "http://localhost:",
            "http://localhost/",
        ]
        .iter()
        .any(|p| https_url.starts_with(p));
        if !(https_url.starts_with("https://") && https_url.len() > 8 || local)
            || !target_ok(https_url)
        {
            return Err(MailError::Unsubscribe(
                "the one-click unsubscribe target must be an https:// URL",
            ));
        }
        if !mailto.starts_with("mailto:") || mailto.len() <= 7 || !target_ok(mailto) {
            return Err(MailError::Unsubscribe(
                "the unsubscribe address must be a mailto: URI",
            ));
        }
        self.with_header(LIST_UNSUBSCRIBE, &format!("<{https_url}>, <{mailto}>"))?
            .with_header(LIST_UNSUBSCRIBE_POST, ONE_CLICK)
    }

    /// The value of the first extra header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message::new(
            "ada@example.com",
            "News <news@example.com>",
            "Please confirm",
            "Hi",
        )
        .unwrap()
    }

    #[test]
    fn header_injection_is_refused_in_every_header_value_and_the_subject() {
        for bad in [
            "a\r\nBcc: x@evil.test",
            "a\nb",
            "a\rb",
            "a\u{0}b",
            "a\u{85}b",
        ] {
            assert!(matches!(
                Message::new("ada@example.com", "n@example.com", bad, "body"),
                Err(MailError::NotOneLine(_))
            ));
            assert!(message().with_header("X-Campaign", bad).is_err());
            assert!(message().with_reply_to(bad).is_err());
            assert!(Message::new(bad, "n@example.com", "s", "b").is_err());
            assert!(Message::new("ada@example.com", bad, "s", "b").is_err());
            let url = format!("https://example.com/u/{bad}");
            assert!(
                message()
                    .with_unsubscribe(&url, "mailto:u@example.com")
                    .is_err()
            );
        }
        // Bodies are bodies: new lines are fine there.
        assert!(Message::new("ada@example.com", "n@example.com", "s", "line 1\r\nline 2").is_ok());
    }

    #[test]
    fn header_names_must_be_field_names_the_message_does_not_set_itself() {
        for bad in ["", "X Bad", "X:Bad", "Bcc", "subject", "From"] {
            assert!(
                matches!(
                    message().with_header(bad, "v"),
                    Err(MailError::HeaderName(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn unsubscribe_headers_are_each_one_line_in_rfc_8058_form() {
        let m = message()
            .with_unsubscribe(
                "https://example.com/u/tok",
                "mailto:unsubscribe@example.com?subject=tok",
            )
            .unwrap();
        assert_eq!(
            m.headers,
            vec![
                (
                    "List-Unsubscribe".to_owned(),
                    "<https://example.com/u/tok>, <mailto:unsubscribe@example.com?subject=tok>"
                        .to_owned()
                ),
                (
                    "List-Unsubscribe-Post".to_owned(),
                    "List-Unsubscribe=One-Click".to_owned()
                ),
            ]
        );
        assert_eq!(m.header("list-unsubscribe-post"), Some(ONE_CLICK));
    }

    #[test]
    fn unsubscribe_targets_must_be_https_and_mailto() {
        let ok_mailto = "mailto:u@example.com";
        assert!(
            message()
                .with_unsubscribe("http://127.0.0.1:3000/u/t", ok_mailto)
                .is_ok()
        );
        for url in [
            "http://example.com/u",
            "http://localhost.evil.test/u",
            "https://",
            "https://e.com/a b",
            "https://e.com/>x",
        ] {
            assert!(message().with_unsubscribe(url, ok_mailto).is_err(), "{url}");
        }
        for mailto in ["u@example.com", "mailto:", "mailto:a@b.c>, <https://evil"] {
            assert!(
                message()
                    .with_unsubscribe("https://example.com/u", mailto)
                    .is_err(),
                "{mailto}"
            );
        }
    }
}
