//! The signed links people click in emails: confirming a newsletter signup and unsubscribing / opting
//! out. Their payloads are authenticated, not secret, and never carry an email address in clear.

use crate::time::Timestamp;
use crate::tokens::{Keyring, Purpose, TokenError};

/// Why a link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Forged, truncated, tampered, or signed with a key that is no longer (or never was) ours.
    Invalid(TokenError),
    /// Past its expiry.
    Expired,
}

impl From<LinkError> for crate::http::ApiError {
    fn from(e: LinkError) -> Self {
        match e {
            LinkError::Invalid(_) => Self::BadRequest {
                code: "invalid_link",
                message: "This link is not valid. Copy the whole link from the email, or ask for a new one.".into(),
            },
            LinkError::Expired => Self::Gone {
                message: "This link has expired. Sign up again to get a new one.".into(),
            },
        }
    }
}

/// A newsletter confirmation link's content: which subscriber, which signup, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmLink {
    pub subscriber: String,
    /// The signup the link was sent for; a later signup supersedes it.
    pub signed_up_at: Timestamp,
    pub expires_at: Timestamp,
}

impl ConfirmLink {
    pub fn seal(&self, keys: &Keyring) -> String {
        let payload = format!(
            "{}|{}|{}",
            self.subscriber,
            self.signed_up_at.unix_millis(),
            self.expires_at.unix_millis()
        );
        keys.seal(Purpose::Confirm, payload.as_bytes())
    }

    pub fn open(keys: &Keyring, token: &str, now: Timestamp) -> Result<Self, LinkError> {
        let payload = keys
            .open(Purpose::Confirm, token)
            .map_err(LinkError::Invalid)?;
        let malformed = LinkError::Invalid(TokenError::Malformed);
        let payload = String::from_utf8(payload).map_err(|_| malformed)?;
        let mut parts = payload.split('|');
        let (Some(subscriber), Some(signed_up), Some(expires), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed);
        };
        let millis = |raw: &str| {
            raw.parse::<i64>()
                .map(Timestamp::from_unix_millis)
                .map_err(|_| malformed)
        };
        let link = Self {
            subscriber: subscriber.to_owned(),
            signed_up_at: millis(signed_up)?,
            expires_at: millis(expires)?,
        };
        if now > link.expires_at {
            return Err(LinkError::Expired);
        }
        Ok(link)
    }
}

/// What an unsubscribe link stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsubscribeScope {
    /// One newsletter list.
    List(String),
    /// All marketing email to this address.
    AllEmail,
}

/// An unsubscribe link's content: whose mailbox (by pseudonym) and what to stop. It does not expire:
/// the link in an old email must still work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubscribeLink {
    pub pseudonym: String,
    pub scope: UnsubscribeScope,
}

impl UnsubscribeLink {
    pub fn seal(&self, keys: &Keyring) -> String {
        let scope = match &self.scope {
            UnsubscribeScope::AllEmail => "*",
            UnsubscribeScope::List(list) => list.as_str(),
        };
        keys.seal(
            Purpose::Unsubscribe,
            format!("{}|{scope}", self.pseudonym).as_bytes(),
        )
    }

    pub fn open(keys: &Keyring, token: &str) -> Result<Self, LinkError> {
        let payload = keys
            .open(Purpose::Unsubscribe, token)
            .map_err(LinkError::Invalid)?;
        let malformed = LinkError::Invalid(TokenError::Malformed);
        let payload = String::from_utf8(payload).map_err(|_| malformed)?;
        let (pseudonym, scope) = payload.split_once('|').ok_or(malformed)?;
        if pseudonym.is_empty() || scope.is_empty() {
            return Err(malformed);
        }
        Ok(Self {
            pseudonym: pseudonym.to_owned(),
            scope: match scope {
                "*" => UnsubscribeScope::AllEmail,
                list => UnsubscribeScope::List(list.to_owned()),
            },
        })
    }
}

/// What a privacy-centre link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivacyLinkKind {
    /// Verifies the request (POST), and later shows its status (GET).
    Verify,
    /// Downloads the access package.
    Download,
}

impl PrivacyLinkKind {
    fn purpose(self) -> Purpose {
        match self {
            Self::Verify => Purpose::PrivacyVerify,
            Self::Download => Purpose::PrivacyDownload,
        }
    }
}

/// A privacy-centre link's content: which request, until when. The request's id is random and the
/// link signed, so it names nobody and cannot be guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivacyLink {
    pub request: String,
    pub expires_at: Timestamp,
}

impl PrivacyLink {
    pub fn seal(&self, keys: &Keyring, kind: PrivacyLinkKind) -> String {
        let payload = format!("{}|{}", self.request, self.expires_at.unix_millis());
        keys.seal(kind.purpose(), payload.as_bytes())
    }

    /// Opens `token`; an expired link is still opened (`Err` is only for forged ones), so that the
    /// caller can tell "expired" from "already done" by the request's state.
    pub fn open(keys: &Keyring, token: &str, kind: PrivacyLinkKind) -> Result<Self, LinkError> {
        let payload = keys
            .open(kind.purpose(), token)
            .map_err(LinkError::Invalid)?;
        let malformed = LinkError::Invalid(TokenError::Malformed);
        let payload = String::from_utf8(payload).map_err(|_| malformed)?;
        let (request, expires) = payload.split_once('|').ok_or(malformed)?;
        let expires = expires.parse::<i64>().map_err(|_| malformed)?;
        if request.is_empty() {
            return Err(malformed);
        }
        Ok(Self {
            request: request.to_owned(),
            expires_at: Timestamp::from_unix_millis(expires),
        })
    }

    pub fn expired(&self, now: Timestamp) -> bool {
        now > self.expires_at
    }
}

/// The objection link of an Art. 14 notice: which contact (the pseudonym of its address). It does not
/// expire: the link in an old notice must still work, and it only ever reduces processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectLink {
    pub contact: String,
}

impl ObjectLink {
    pub fn seal(&self, keys: &Keyring) -> String {
        keys.seal(Purpose::Object, self.contact.as_bytes())
    }

    pub fn open(keys: &Keyring, token: &str) -> Result<Self, LinkError> {
        let payload = keys
            .open(Purpose::Object, token)
            .map_err(LinkError::Invalid)?;
        let malformed = LinkError::Invalid(TokenError::Malformed);
        let contact = String::from_utf8(payload).map_err(|_| malformed)?;
        if contact.is_empty() {
            return Err(malformed);
        }
        Ok(Self { contact })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keyring {
        Keyring::parse("k1:0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_confirm_link_opens_until_it_expires() {
        let link = ConfirmLink {
            subscriber: "abc".into(),
            signed_up_at: Timestamp::from_unix_millis(1_000),
            expires_at: Timestamp::from_unix_millis(10_000),
        };
        let token = link.seal(&keys());
        assert_eq!(
            ConfirmLink::open(&keys(), &token, Timestamp::from_unix_millis(9_999)),
            Ok(link)
        );
        assert_eq!(
            ConfirmLink::open(&keys(), &token, Timestamp::from_unix_millis(10_001)),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn a_privacy_link_opens_only_for_its_own_kind() {
        let link = PrivacyLink {
            request: "r1".into(),
            expires_at: Timestamp::from_unix_millis(5_000),
        };
        let token = link.seal(&keys(), PrivacyLinkKind::Verify);
        let opened = PrivacyLink::open(&keys(), &token, PrivacyLinkKind::Verify).unwrap();
        assert_eq!(opened, link);
        assert!(opened.expired(Timestamp::from_unix_millis(5_001)));
        assert!(PrivacyLink::open(&keys(), &token, PrivacyLinkKind::Download).is_err());
        assert!(
            PrivacyLink::open(&keys(), &token[..token.len() - 2], PrivacyLinkKind::Verify).is_err()
        );
    }

    #[test]
    fn an_unsubscribe_link_is_not_a_confirm_link_and_holds_no_address() {
        let link = UnsubscribeLink {
            pseudonym: "p".into(),
            scope: UnsubscribeScope::List("news".into()),
        };
        let token = link.seal(&keys());
        assert_eq!(UnsubscribeLink::open(&keys(), &token), Ok(link));
        assert!(ConfirmLink::open(&keys(), &token, Timestamp::from_unix_millis(0)).is_err());
        assert!(!token.contains('@'));
    }

    #[test]
    fn an_objection_link_opens_only_as_one() {
        let link = ObjectLink {
            contact: "p".into(),
        };
        let token = link.seal(&keys());
        assert_eq!(ObjectLink::open(&keys(), &token), Ok(link));
        assert!(UnsubscribeLink::open(&keys(), &token).is_err());
        assert!(ObjectLink::open(&keys(), &token[..token.len() - 2]).is_err());
    }
}
