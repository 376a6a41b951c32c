//! Bounces and spam complaints coming back from the mail provider (Postmark's Bounce and SpamComplaint
//! webhooks, as Postmark sends them): a hard bounce puts the address on the do-not-contact registry as
//! undeliverable (no more mail but the privacy centre's answers, until a confirmed signup proves it
//! works), soft bounces are counted and become a hard one at the limit, a spam complaint unsubscribes the
//! address and puts it on the registry. A bounced Art. 14 notice makes its contact undeliverable. Only
//! `RecordType` and `Email` are read; the event need not name a mail sent here.

use crate::domain::EmailAddress;
use crate::http::{ApiError, FieldError};
use crate::records::{
    Action, Actor, Channel, Event, ImportedContact, Log, OptOutSource, RecordKind, Subscriber,
    notes,
};
use crate::store::{Backend, Store, StoreError};
use crate::time::Timestamp;
use serde::Serialize;
use serde_json::Value;

/// What the provider reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailEvent {
    HardBounce(EmailAddress),
    SoftBounce(EmailAddress),
    SpamComplaint(EmailAddress),
    /// A record type or bounce type that changes nothing here (a delivery, an auto-responder).
    Ignored(String),
}

/// Postmark's bounce types that mean the address does not take mail.
const HARD: [&str; 3] = ["HardBounce", "BadEmailAddress", "ManuallyDeactivated"];
/// Postmark's bounce types that may pass.
const SOFT: [&str; 3] = ["SoftBounce", "Transient", "DnsError"];

impl MailEvent {
    /// Reads a Postmark webhook body: 400 for no JSON object, 422 naming `RecordType` or `Email`.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| ApiError::BadRequest {
            code: "malformed_json",
            message: format!("Send the provider's event as JSON: {e}"),
        })?;
        // A field the provider always sends as a string is refused as any other type, not ignored.
        let wrong: Vec<FieldError> = ["RecordType", "Type", "Email", "MessageID"]
            .into_iter()
            .filter(|name| value.get(name).is_some_and(|v| !v.is_string()))
            .map(|name| FieldError::new(name, "invalid_type", "must be a string"))
            .collect();
        if !value.is_object() || !wrong.is_empty() {
            return Err(ApiError::Invalid(if wrong.is_empty() {
                vec![FieldError::new(
                    "body",
                    "invalid_type",
                    "must be a JSON object",
                )]
            } else {
                wrong
            }));
        }
        let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::trim);
        let Some(record_type) = field("RecordType").filter(|t| !t.is_empty()) else {
            return Err(ApiError::Invalid(vec![FieldError::new(
                "RecordType",
                "required",
                "must name the event's record type (Bounce, SpamComplaint)",
            )]));
        };
        let kind = field("Type").unwrap_or_default();
        let complaint = record_type == "SpamComplaint" || kind == "SpamComplaint";
        let bounce = record_type == "Bounce";
        if !complaint && !(bounce && (HARD.contains(&kind) || SOFT.contains(&kind))) {
            return Ok(Self::Ignored(
                format!("{record_type} {kind}").trim().to_owned(),
            ));
        }
        let email = EmailAddress::parse(field("Email").unwrap_or_default())
            .map_err(|e| ApiError::Invalid(vec![FieldError::new("Email", e.code, e.message)]))?;
        Ok(if complaint {
            Self::SpamComplaint(email)
        } else if HARD.contains(&kind) {
            Self::HardBounce(email)
        } else {
            Self::SoftBounce(email)
        })
    }
}

/// What an event did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// `undeliverable`, `soft_bounce_counted`, `complaint` or `ignored`.
    pub outcome: &'static str,
    /// Soft bounces of the address so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_bounces: Option<u64>,
}

/// Carries `event` out; `pseudonymise` keys an address as the registry does, `soft_limit` soft bounces
/// make a hard one.
pub async fn apply<B: Backend>(
    store: &Store<B>,
    pseudonymise: &dyn Fn(&str) -> String,
    soft_limit: u64,
    event: &MailEvent,
    now: Timestamp,
) -> Result<Applied, StoreError> {
    let applied = |outcome, soft_bounces| Applied {
        outcome,
        soft_bounces,
    };
    match event {
        MailEvent::Ignored(_) => Ok(applied("ignored", None)),
        MailEvent::HardBounce(email) => {
            undeliverable(store, &pseudonymise(&email.normalized()), now).await?;
            Ok(applied("undeliverable", None))
        }
        MailEvent::SoftBounce(email) => {
            let pseudonym = pseudonymise(&email.normalized());
            let n = store.count_soft_bounce(&pseudonym).await?;
            if n >= soft_limit {
                undeliverable(store, &pseudonym, now).await?;
                store.reset_soft_bounces(&pseudonym).await?;
                return Ok(applied("undeliverable", Some(n)));
            }
            Ok(applied("soft_bounce_counted", Some(n)))
        }
        MailEvent::SpamComplaint(email) => {
            let pseudonym = pseudonymise(&email.normalized());
            let event = Event::system(
                Log::Subscribers,
                Action::Updated,
                notes::SPAM_COMPLAINT.into(),
                now,
            );
            store
                .update(
                    RecordKind::Subscriber,
                    &pseudonym,
                    event,
                    |s: &mut Subscriber| s.unsubscribe(None, now),
                )
                .await?;
            store
                .opt_out(
                    Channel::Email,
                    &pseudonym,
                    OptOutSource::SpamComplaint,
                    provider(),
                    now,
                )
                .await?;
            Ok(applied("complaint", None))
        }
    }
}

/// Who the register names for what the provider reported.
fn provider() -> Actor {
    Actor::System
}

/// The mailbox `pseudonym` takes no mail: on the registry as a hard bounce, and its contact's notice
/// undeliverable.
async fn undeliverable<B: Backend>(
    store: &Store<B>,
    pseudonym: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    store
        .opt_out(
            Channel::Email,
            pseudonym,
            OptOutSource::HardBounce,
            provider(),
            now,
        )
        .await?;
    let contact: Option<ImportedContact> = store.get(RecordKind::Contact, pseudonym).await?;
    if contact.is_some() {
        store.notice_bounced(pseudonym, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<MailEvent, ApiError> {
        MailEvent::parse(body.as_bytes())
    }

    #[test]
    fn postmark_events_are_read_by_record_type_and_email_only() {
        let hard = parse(
            r#"{"RecordType":"Bounce","Type":"HardBounce","Email":"Ada@Example.com","MessageID":"x"}"#,
        );
        assert!(
            matches!(hard, Ok(MailEvent::HardBounce(e)) if e.normalized() == "ada@example.com")
        );
        assert!(matches!(
            parse(r#"{"RecordType":"Bounce","Type":"Transient","Email":"a@example.com"}"#),
            Ok(MailEvent::SoftBounce(_))
        ));
        assert!(matches!(
            parse(r#"{"RecordType":"SpamComplaint","Email":"a@example.com"}"#),
            Ok(MailEvent::SpamComplaint(_))
        ));
        assert!(matches!(
            parse(r#"{"RecordType":"Bounce","Type":"AutoResponder","Email":"a@example.com"}"#),
            Ok(MailEvent::Ignored(_))
        ));
        assert!(matches!(
            parse(r#"{"RecordType":"Delivery","Email":"a@example.com"}"#),
            Ok(MailEvent::Ignored(_))
        ));
        assert!(matches!(
            parse(r#"{"RecordType":"0","Type":{},"Email":""}"#),
            Err(ApiError::Invalid(errors)) if errors[0].field == "Type"
        ));
        assert!(matches!(parse("[]"), Err(ApiError::Invalid(_))));
        let fields = |r: Result<MailEvent, ApiError>| match r {
            Err(ApiError::Invalid(fields)) => {
                fields.into_iter().map(|f| f.field).collect::<Vec<_>>()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            fields(parse(r#"{"Email":"a@example.com"}"#)),
            ["RecordType"]
        );
        assert_eq!(
            fields(parse(r#"{"RecordType":"SpamComplaint","Email":"nope"}"#)),
            ["Email"]
        );
        assert!(matches!(parse("[1"), Err(ApiError::BadRequest { .. })));
    }
}
