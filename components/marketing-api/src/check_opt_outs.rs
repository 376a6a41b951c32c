//! `POST /api/v1/opt-outs/check` (`opt-outs:read`): `{"emails": [...], "phones": [...]}` → which of them
//! are on the do-not-contact registry, so marketing can clean a list before a campaign. Each input is
//! normalised as capture normalises it (email domain lower-cased, phone to E.164) and looked up by its
//! pseudonym in one batch read (an email's sale/share opt-out too, as `sale_share`); an input that is no email or phone number is answered with an `error`,
//! not refused, so one typo does not fail a list. The check is registered with its counts.

use crate::auth::{OPT_OUTS_READ, actor, require};
use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;
use shared::body::{BodyRules, FieldReader, RawFields};
use shared::domain::{EmailAddress, Invalid, PhoneNumber};
use shared::http::{ApiError, json_response};
use shared::records::{Action, ApiKey, OptOut, OptOutSource};
use shared::store::{Backend, Channel, Event, Log, RecordKind, Store};
use shared::time::Timestamp;
use shared::tokens::SigningKey;

/// The most addresses, and the most numbers, one check may hold.
pub const MAX_INPUTS: usize = 1000;

/// The longest input, in characters (an email address is at most 254).
pub const MAX_INPUT_CHARS: usize = 254;

/// The answer for one input.
#[derive(Debug, Serialize)]
struct Checked {
    /// The input as sent.
    input: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    normalized: Option<String>,
    opted_out: bool,
    /// When the opt-out was made (present only when `opted_out`).
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<Timestamp>,
    /// Why (present only when `opted_out`): `unsubscribe_link`, `do_not_call_request`,
    /// `privacy_request`, `erasure`, `notice_objection`, `hard_bounce` (the address takes no mail) or
    /// `spam_complaint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<OptOutSource>,
    /// For an email: whether the person opted out of the sale and sharing of their personal
    /// information (a privacy request, or their browser's Global Privacy Control); absent for a phone
    /// number and an input that could not be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    sale_share: Option<bool>,
    /// Why the input could not be checked (`invalid_email`, `invalid_phone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
}

#[derive(Serialize)]
struct Answer {
    emails: Vec<Checked>,
    phones: Vec<Checked>,
}

/// The largest body read: both lists full, every character sent as a surrogate pair of `\uXXXX`
/// escapes (12 bytes), each input quoted and followed by a comma; so any body the OpenAPI document
/// allows is read.
const MAX_BODY: usize = 2 * MAX_INPUTS * (MAX_INPUT_CHARS * 12 + 3) + 1024;

/// Checks the scope before reading the body, so a key without it costs no parse.
pub async fn check_opt_outs<B: Backend>(
    headers: &HeaderMap,
    body: Full<Bytes>,
    key: &ApiKey,
    suppression_key: &SigningKey,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    require(key, OPT_OUTS_READ)?;
    let (fields, _) = RawFields::read(headers, body, MAX_BODY, &rules()).await?;
    let (emails, phones) = parse(FieldReader::new(fields))?;
    let mut inputs: Vec<(Channel, String, Option<String>)> = Vec::new();
    for email in emails {
        let normalized = EmailAddress::parse(&email).ok().map(|e| e.normalized());
        inputs.push((Channel::Email, email, normalized));
    }
    for phone in phones {
        let normalized = PhoneNumber::parse(&phone)
            .ok()
            .map(|p| p.as_str().to_owned());
        inputs.push((Channel::Phone, phone, normalized));
    }
    // Per checkable input its channel's entry, and for an email its sale/share entry after it.
    let ids: Vec<String> = inputs
        .iter()
        .filter_map(|(channel, _, normalized)| {
            let pseudonym = suppression_key.pseudonym(normalized.as_deref()?);
            let sale_share =
                (*channel == Channel::Email).then(|| Channel::SaleShare.opt_out_id(&pseudonym));
            Some(std::iter::once(channel.opt_out_id(&pseudonym)).chain(sale_share))
        })
        .flatten()
        .collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut entries = store
        .records::<OptOut>(RecordKind::OptOut, &ids)
        .await?
        .into_iter();
    let mut answer = Answer {
        emails: Vec::new(),
        phones: Vec::new(),
    };
    for (channel, input, normalized) in inputs {
        let in_force = match &normalized {
            Some(_) => entries.next().flatten().filter(OptOut::in_force),
            None => None,
        };
        let sale_share = match (&normalized, channel) {
            (Some(_), Channel::Email) => {
                Some(entries.next().flatten().filter(OptOut::in_force).is_some())
            }
            _ => None,
        };
        let checked = Checked {
            input,
            opted_out: in_force.is_some(),
            since: in_force.as_ref().map(|entry| entry.at),
            reason: in_force.as_ref().map(|entry| entry.source),
            sale_share,
            error: match (&normalized, channel) {
                (Some(_), _) => None,
                (None, Channel::Email | Channel::SaleShare) => Some("invalid_email"),
                (None, Channel::Phone) => Some("invalid_phone"),
            },
            normalized,
        };
        match channel {
            Channel::Email | Channel::SaleShare => answer.emails.push(checked),
            Channel::Phone => answer.phones.push(checked),
        }
    }
    let matched = answer
        .emails
        .iter()
        .chain(&answer.phones)
        .filter(|c| c.opted_out)
        .count();
    let event = Event::by(
        actor(key),
        Log::Access,
        Action::Read,
        Some(format!(
            "opt-outs check emails={} phones={} matched={matched}",
            answer.emails.len(),
            answer.phones.len()
        )),
        now,
    );
    store.note_many(event).await?;
    Ok(json_response(StatusCode::OK, &answer))
}

/// The body: JSON only, two lists of strings.
fn rules() -> BodyRules<'static> {
    BodyRules::json().lists(&["emails", "phones"])
}

/// The two lists, or a 422 naming each field that is unknown, not a list of strings, too long, or
/// holding too long an input.
fn parse(mut fields: FieldReader) -> Result<(Vec<String>, Vec<String>), ApiError> {
    // Each input is judged in the answer, not refused: one typo does not fail a list.
    let input = |raw: &str| match raw.chars().count() > MAX_INPUT_CHARS {
        true => Err(Invalid::new(
            "too_long",
            format!("an input is at most {MAX_INPUT_CHARS} characters"),
        )),
        false => Ok(raw.to_owned()),
    };
    let (emails, phones) = (fields.list("emails", input), fields.list("phones", input));
    for (name, list) in [("emails", &emails), ("phones", &phones)] {
        if list.len() > MAX_INPUTS {
            fields.reject(
                name,
                "too_many",
                &format!("At most {MAX_INPUTS} entries per list."),
            );
        }
    }
    fields.finish_with("Send emails and phones only.")?;
    Ok((emails, phones))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse_json(value: Value) -> Result<(Vec<String>, Vec<String>), ApiError> {
        let body = value.to_string();
        let (fields, _) = RawFields::parse_as(Some("application/json"), body.as_bytes(), &rules())?;
        parse(FieldReader::new(fields))
    }

    fn fields(value: Value) -> Vec<String> {
        match parse_json(value) {
            Err(ApiError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn lists_of_strings_are_taken_and_anything_else_is_named() {
        let (emails, phones) = parse_json(json!({"emails": ["a@b.co", ""]})).unwrap();
        assert_eq!((emails.len(), phones.len()), (2, 0));
        assert_eq!(
            parse_json(json!({"phones": null})).unwrap(),
            (vec![], vec![])
        );
        assert_eq!(fields(json!({"emails": "a@b.co"})), ["emails"]);
        assert_eq!(fields(json!({"phones": [1, 2]})), ["phones"]);
        assert_eq!(fields(json!({"names": []})), ["names"]);
        let many: Vec<String> = (0..=MAX_INPUTS).map(|n| format!("p{n}@b.co")).collect();
        assert_eq!(fields(json!({"emails": many})), ["emails"]);
        let full: Vec<String> = (0..MAX_INPUTS).map(|n| format!("p{n}@b.co")).collect();
        assert!(parse_json(json!({"emails": full, "phones": full})).is_ok());
        let long = "x".repeat(MAX_INPUT_CHARS + 1);
        assert_eq!(fields(json!({"phones": ["+4930123456", long]})), ["phones"]);
        assert!(parse_json(json!({"phones": [&long[1..]]})).is_ok());
    }
}
