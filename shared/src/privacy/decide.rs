//! A privacy officer's decision on a data-subject request, whoever asks for it (the marketing API's
//! `PATCH /api/v1/privacy-requests/{id}` with JSON, the privacy desk's form posts): approve answers the
//! request at once (package, erasure, opt-outs, completion mail); deny refuses it, and the person is told
//! why and that they may complain; extend moves the deadline once (GDPR: two more months; CCPA: 45 more
//! days) and tells the person why; rectify corrects the person's records (each change re-enters its
//! feed). The change is conditional on the request's `ETag`: a stale one changes nothing, so an approval
//! racing a denial has exactly one winner; a transition the request's state does not allow is refused
//! naming that state. Every step is an entry in the `requests` log under the deciding key.

use crate::body::FieldReader;
use crate::domain::{Invalid, OfficerText, Right};
use crate::http::ApiError;
use crate::mailer::enqueue;
use crate::privacy::answer::{carry_out, find};
use crate::privacy::rectify::{Corrections, rectify};
use crate::privacy::{
    DENY_REASONS, DataRequest, Deadlines, Decision, Extension, Outcome, PrivacySettings,
    RequestStatus, Step, mail,
};
use crate::records::{Action, ApiKey};
use crate::staff::keys::actor;
use crate::store::{Backend, Conditional, Event, Log, RecordKind, Store};
use crate::time::Timestamp;

/// One staff action, parsed.
#[derive(Debug)]
pub enum Act {
    Approve,
    Deny {
        reason: &'static str,
        text: Option<OfficerText>,
    },
    Extend {
        reason: OfficerText,
    },
    Rectify(Corrections),
}

impl Act {
    fn name(&self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Deny { .. } => "denied",
            Self::Extend { .. } => "extended",
            Self::Rectify(_) => "rectified",
        }
    }

    /// The action in `fields` (`action`, and the fields it takes), or a 422 naming each field that is
    /// missing, unknown or invalid.
    pub fn read(mut fields: FieldReader) -> Result<Act, ApiError> {
        let action = fields.required("action", |raw| match raw {
            "approve" | "deny" | "extend" | "rectify" => Ok(raw.to_owned()),
            _ => Err(Invalid::new(
                "unknown_action",
                "must be approve, deny, extend or rectify",
            )),
        });
        // Each action reads its own fields; any other is refused as unknown.
        let act = match action.as_deref() {
            Some("approve") => Some(Act::Approve),
            Some("deny") => {
                let reason = fields.required("reason", deny_reason);
                let text = fields.optional("text", OfficerText::parse);
                reason.map(|reason| Act::Deny { reason, text })
            }
            Some("extend") => fields
                .required("reason", OfficerText::parse)
                .map(|reason| Act::Extend { reason }),
            Some("rectify") => Some(Act::Rectify(Corrections::read(&mut fields))),
            _ => None,
        };
        fields.finish_with("is not a field of this action")?;
        act.ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!("a decision passed without its action"))
        })
    }
}

/// Carries out `act` on request `id` for `key`, if the request's `ETag` is still `if_match` (`None`:
/// the caller sent none, answered 428 for a request that exists): 404 for no such request, 412 for a
/// stale `ETag`, 409 naming the state that refuses it. Answers the request as it is afterwards.
pub async fn decide<B: Backend>(
    store: &Store<B>,
    settings: &PrivacySettings,
    id: &str,
    if_match: Option<&str>,
    act: &Act,
    key: &ApiKey,
    now: Timestamp,
) -> Result<DataRequest, ApiError> {
    let by = key.id.clone();
    let event = Event {
        log: Log::Requests,
        action: Action::Updated,
        actor: actor(key),
        detail: Some(match act {
            Act::Deny { reason, .. } => format!("denied reason={reason}"),
            Act::Rectify(c) => format!("rectified fields={}", c.fields().join(",")),
            other => other.name().to_owned(),
        }),
        at: now,
    };
    let mut refused: Option<(RequestStatus, &'static str)> = None;
    // Without an If-Match the change is tried with an ETag no record has.
    let outcome = store
        .update_if(
            RecordKind::DataRequest,
            id,
            if_match.unwrap_or_default(),
            event,
            |r: &mut DataRequest| {
                let status = r.status_at(now);
                match transition(r, act, status, now, &by) {
                    Ok(changed) => changed,
                    Err(why) => {
                        refused = Some((status, why));
                        false
                    }
                }
            },
        )
        .await?;
    let request = match outcome {
        Conditional::Missing => return Err(ApiError::NotFound),
        Conditional::Stale => return Err(ApiError::stale(if_match)),
        Conditional::Unchanged(r, _) => match refused {
            Some((status, why)) => {
                return Err(ApiError::Conflict {
                    status: status.as_str(),
                    message: format!("This request is {}: {why}", status.as_str()),
                });
            }
            // An approval whose work failed midway: carried out again below.
            None => r,
        },
        Conditional::Changed(r, _) => r,
    };
    let actor = actor(key);
    match act {
        Act::Approve => {
            carry_out(store, settings, &request, &actor, &by, now).await?;
        }
        Act::Deny { .. } => {
            enqueue(store, mail::denial(settings, &request)?, now).await?;
        }
        Act::Extend { .. } => {
            enqueue(store, mail::extension(settings, &request)?, now).await?;
        }
        Act::Rectify(corrections) => {
            let found = find(store, settings, &request, now).await?;
            let changed = rectify(store, &found, corrections, &actor, now).await?;
            let event = Event::by(
                actor.clone(),
                Log::Requests,
                Action::Updated,
                Some(format!("rectified records={changed}")),
                now,
            );
            store
                .update(RecordKind::DataRequest, id, event, |r: &mut DataRequest| {
                    let outcome = r.outcome.get_or_insert_with(Outcome::default);
                    outcome.rectified = Some(outcome.rectified.unwrap_or_default() + changed);
                    true
                })
                .await?;
        }
    }
    store
        .get(RecordKind::DataRequest, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Applies `act` to the request in state `status`: `Ok(true)` changed, `Ok(false)` nothing to change
/// (an approval whose work is to be carried out again), `Err` the reason the state refuses it.
fn transition(
    r: &mut DataRequest,
    act: &Act,
    status: RequestStatus,
    now: Timestamp,
    by: &str,
) -> Result<bool, &'static str> {
    let decision = |action: &str, reason: Option<&str>, text: Option<&OfficerText>| Decision {
        action: action.to_owned(),
        at: now,
        by: by.to_owned(),
        reason: reason.map(str::to_owned),
        text: text.map(|t| t.as_str().to_owned()),
    };
    match act {
        Act::Approve => match status {
            RequestStatus::Open | RequestStatus::Extended => {
                r.status = RequestStatus::Completed;
                r.decision = Some(decision("approve", None, None));
                r.step(Step::Approved, now, by, None);
                Ok(true)
            }
            // Approved, but its work failed midway: carry it out again.
            RequestStatus::Completed
                if r.fulfilled_at.is_none()
                    && r.decision.as_ref().is_some_and(|d| d.action == "approve") =>
            {
                Ok(false)
            }
            RequestStatus::Unverified => Err("it must be confirmed by the person first"),
            _ => Err("it was decided already"),
        },
        Act::Deny { reason, text } => match status {
            RequestStatus::Open | RequestStatus::Extended => {
                r.status = RequestStatus::Denied;
                r.decision = Some(decision("deny", Some(reason), text.as_ref()));
                r.step(Step::Denied, now, by, Some((*reason).to_owned()));
                Ok(true)
            }
            RequestStatus::Unverified => Err("it must be confirmed by the person first"),
            _ => Err("it was decided already"),
        },
        Act::Extend { reason } => match (status, r.due_at) {
            (RequestStatus::Open, Some(due)) => {
                r.status = RequestStatus::Extended;
                r.due_at = Some(Deadlines::extended(due, r.california_resident));
                r.extension = Some(Extension {
                    at: now,
                    by: by.to_owned(),
                    reason: reason.as_str().to_owned(),
                    previous_due_at: due,
                });
                r.step(Step::Extended, now, by, None);
                Ok(true)
            }
            (RequestStatus::Extended, _) => Err("a deadline may be extended only once"),
            (RequestStatus::Unverified, _) => Err("it must be confirmed by the person first"),
            _ => Err("it was decided already"),
        },
        Act::Rectify(corrections) => match status {
            RequestStatus::Open | RequestStatus::Extended
                if r.rights.contains(&Right::Rectification) =>
            {
                r.step(
                    Step::Rectified,
                    now,
                    by,
                    Some(corrections.fields().join(",")),
                );
                Ok(true)
            }
            RequestStatus::Open | RequestStatus::Extended => {
                Err("it does not ask for rectification")
            }
            RequestStatus::Unverified => Err("it must be confirmed by the person first"),
            _ => Err("it was decided already"),
        },
    }
}

/// A denial's reason: one of [`DENY_REASONS`]' codes, surrounding spaces aside (as the OpenAPI
/// document's pattern says).
fn deny_reason(raw: &str) -> Result<&'static str, Invalid> {
    let code = OfficerText::parse(raw)?;
    DENY_REASONS
        .iter()
        .map(|(c, _)| *c)
        .find(|c| *c == code.as_str())
        .ok_or_else(|| {
            let known: Vec<&str> = DENY_REASONS.iter().map(|(c, _)| *c).collect();
            Invalid::new(
                "unknown_reason",
                format!("must be one of {}", known.join(", ")),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::{BodyRules, RawFields};
    use serde_json::{Value, json};

    fn parse_json(value: Value) -> Result<Act, ApiError> {
        let body = value.to_string();
        let (fields, _) = RawFields::parse_as(
            Some("application/json"),
            body.as_bytes(),
            &BodyRules::any_json().maps(&["changes"]),
        )?;
        Act::read(FieldReader::new(fields))
    }

    fn fields(value: Value) -> Vec<(String, &'static str)> {
        match parse_json(value) {
            Err(ApiError::Invalid(errors)) => {
                errors.into_iter().map(|e| (e.field, e.code)).collect()
            }
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn each_action_takes_its_fields_and_every_mistake_is_named() {
        assert!(matches!(
            parse_json(json!({"action": "approve"})),
            Ok(Act::Approve)
        ));
        assert!(matches!(
            parse_json(
                json!({"action": "deny", "reason": "excessive", "text": "Third time this week."})
            ),
            Ok(Act::Deny {
                reason: "excessive",
                ..
            })
        ));
        // Padded, as the document's pattern allows (a space typed in a staff tool).
        assert!(matches!(
            parse_json(json!({"action": "deny", "reason": "\u{2007} legal_obligation\n"})),
            Ok(Act::Deny {
                reason: "legal_obligation",
                ..
            })
        ));
        assert!(matches!(
            parse_json(json!({"action": "rectify", "changes": {"name": "Ada King"}})),
            Ok(Act::Rectify(c)) if c.fields() == ["name"]
        ));
        assert_eq!(fields(json!({})), [("action".to_owned(), "required")]);
        assert_eq!(
            fields(json!({"action": "fulfil"})),
            [("action".to_owned(), "unknown_action")]
        );
        assert_eq!(
            fields(json!({"action": "deny", "reason": "bored"})),
            [("reason".to_owned(), "unknown_reason")]
        );
        assert_eq!(
            fields(json!({"action": "extend"})),
            [("reason".to_owned(), "required")]
        );
        assert_eq!(
            fields(json!({"action": "rectify", "changes": {"shoe": "42"}})),
            [("changes.shoe".to_owned(), "unknown_field")]
        );
        // `null` leaves a field as it is; an unknown name is refused all the same.
        assert!(matches!(
            parse_json(json!({"action": "rectify", "changes": {"name": null, "title": "CTO"}})),
            Ok(Act::Rectify(c)) if c.fields() == ["title"]
        ));
        assert_eq!(
            fields(json!({"action": "rectify", "changes": {"name": null}})),
            [("changes".to_owned(), "required")]
        );
        assert_eq!(
            fields(json!({"action": "rectify", "changes": {"shoe": null, "title": "CTO"}})),
            [("changes.shoe".to_owned(), "unknown_field")]
        );
        assert_eq!(
            fields(json!({"action": "rectify"})),
            [("changes".to_owned(), "required")]
        );
        assert_eq!(
            fields(json!({"action": "approve", "note": "x"})),
            [("note".to_owned(), "unknown_field")]
        );
    }
}
