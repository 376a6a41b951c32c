//! Endpoints as the API makes and changes them: a new endpoint (its URL held to the allowed origins, its
//! events to its scopes, a fresh secret), a second secret for a rotation, a secret removed, a deletion,
//! a replay. Each change is a register entry in the `webhooks` log, naming no URL (a receiver may keep a
//! token in it) and no secret.

use super::rules::{IP_READ, SCOPES, scope_of, sends};
use crate::domain::{AllowedOrigin, EventType, WebhookSecret, WebhookUrl};
use crate::http::{ApiError, FieldError};
use crate::ids::new_id;
use crate::records::{
    Action, Actor, EndpointSecret, EndpointStatus, Event, InFlight, Log, SCHEMA_VERSION,
    WebhookEndpoint, WebhookEvent, WebhookProgress,
};
use crate::store::{Backend, RecordKind, Store, StoreError, Updated};
use crate::time::Timestamp;

/// The most secrets an endpoint holds at once (a rotation under way).
pub const MAX_SECRETS: usize = 3;

/// The longest description.
const MAX_DESCRIPTION: usize = 500;

/// A new endpoint as asked for, raw.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    pub url: String,
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

/// A new endpoint, checked: its URL, events and scopes.
#[derive(Debug, Clone)]
pub struct EndpointSpec {
    url: WebhookUrl,
    events: Vec<String>,
    description: Option<String>,
    scopes: Vec<String>,
}

impl EndpointSpec {
    /// Checks `raw` against the allowed origins and what the caller may grant (`granting`: the scopes of
    /// the key asking; `None` for the admin key, which may grant any). Every bad field is named.
    pub fn parse(
        raw: NewEndpoint,
        allowed: &[AllowedOrigin],
        granting: Option<&[String]>,
    ) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let url = WebhookUrl::parse(&raw.url, allowed)
            .map_err(|e| errors.push(FieldError::new("url", e.code, e.message)))
            .ok();
        let may_grant = |s: &str| granting.is_none_or(|held| held.iter().any(|h| h == s));
        let scopes: Vec<String> = match raw.scopes {
            Some(scopes) => {
                for scope in &scopes {
                    if !SCOPES.contains(&scope.as_str()) {
                        errors.push(FieldError::new(
                            "scopes",
                            "unknown_scope",
                            format!("{scope:?} is not one of {}", SCOPES.join(", ")),
                        ));
                    } else if !may_grant(scope) {
                        errors.push(FieldError::new(
                            "scopes",
                            "scope_not_held",
                            format!("the key asking does not hold {scope}"),
                        ));
                    }
                }
                scopes
            }
            // What the caller reads itself, full IPs only when asked for.
            None => SCOPES
                .iter()
                .filter(|s| **s != IP_READ && may_grant(s))
                .map(|s| (*s).to_owned())
                .collect(),
        };
        let held = |s: &str| scopes.iter().any(|h| h == s);
        let mut events = Vec::new();
        if raw.events.is_empty() {
            errors.push(FieldError::new(
                "events",
                "empty",
                "name at least one event type, or [\"*\"] for all",
            ));
        }
        for name in &raw.events {
            if name == "*" {
                events.push(name.clone());
                continue;
            }
            match EventType::parse(name) {
                None => errors.push(FieldError::new(
                    "events",
                    "unknown_event",
                    format!(
                        "{name:?} is not an event type: {}",
                        EventType::ALL.map(EventType::as_str).join(", ")
                    ),
                )),
                Some(t) if scope_of(t).is_some_and(|s| !held(s)) => errors.push(FieldError::new(
                    "events",
                    "scope_missing",
                    format!("{name} needs the scope {}", scope_of(t).unwrap_or_default()),
                )),
                Some(_) => events.push(name.clone()),
            }
        }
        if events.iter().any(|e| e == "*") && events.len() > 1 {
            errors.push(FieldError::new(
                "events",
                "ambiguous",
                "[\"*\"] stands alone",
            ));
        }
        events.dedup();
        let description = raw
            .description
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        if description
            .as_deref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION || d.chars().any(char::is_control))
        {
            errors.push(FieldError::new(
                "description",
                "invalid_description",
                "at most 500 characters on one line",
            ));
        }
        match url {
            Some(url) if errors.is_empty() => Ok(Self {
                url,
                events,
                description,
                scopes,
            }),
            _ => Err(ApiError::Invalid(errors)),
        }
    }

    /// Whether `event` would be sent (a `*` endpoint gets what its scopes allow).
    pub fn wants(&self, event: EventType) -> bool {
        self.events.iter().any(|e| e == "*" || e == event.as_str())
    }
}

/// A fresh secret: 32 random bytes.
fn new_secret(now: Timestamp) -> (EndpointSecret, String) {
    let mut bytes = vec![0u8; 32];
    getrandom::fill(&mut bytes).expect("the host provides randomness");
    let secret = WebhookSecret::from_bytes(bytes)
        .expect("32 bytes make a secret")
        .expose();
    let stored = EndpointSecret {
        id: new_id(),
        secret: secret.clone(),
        created_at: now,
    };
    (stored, secret)
}

fn event(actor: &Actor, detail: String, now: Timestamp) -> Event {
    Event::by(
        actor.clone(),
        Log::Webhooks,
        Action::Updated,
        Some(detail),
        now,
    )
}

/// Makes endpoint `spec` for `created_by`: sent the events that happen from now on. Answers it and its
/// secret (shown this once).
pub async fn create<B: Backend>(
    store: &Store<B>,
    spec: EndpointSpec,
    actor: &Actor,
    created_by: &str,
    now: Timestamp,
) -> Result<(WebhookEndpoint, String), StoreError> {
    let (secret, shown) = new_secret(now);
    let endpoint = WebhookEndpoint {
        v: SCHEMA_VERSION,
        id: new_id(),
        url: spec.url.as_str().to_owned(),
        events: spec.events,
        description: spec.description,
        scopes: spec.scopes,
        secrets: vec![secret],
        status: EndpointStatus::Active,
        disabled_reason: None,
        created_at: now,
        created_by: created_by.to_owned(),
    };
    let progress = WebhookProgress {
        v: SCHEMA_VERSION,
        cursor: store.log_head(Log::Events).await?,
        ..WebhookProgress::default()
    };
    let detail = format!(
        "webhook created for {} (scopes {})",
        endpoint.events.join(" "),
        endpoint.scopes.join(" ")
    );
    store
        .create_webhook(&endpoint, &progress, event(actor, detail, now))
        .await?;
    Ok((endpoint, shown))
}

/// Adds a secret to endpoint `id` (a rotation): messages are signed with every secret until the old
/// one is removed. Answers the endpoint and the new secret, shown this once; 404 for no such endpoint,
/// 409 when it holds [`MAX_SECRETS`] already.
pub async fn rotate<B: Backend>(
    store: &Store<B>,
    id: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<(WebhookEndpoint, String), ApiError> {
    let (secret, shown) = new_secret(now);
    let detail = format!("secret {} added", secret.id);
    let mut full = false;
    let updated = store
        .update(
            RecordKind::Webhook,
            id,
            event(actor, detail, now),
            |e: &mut WebhookEndpoint| {
                full = e.secrets.len() >= MAX_SECRETS;
                if !full {
                    e.secrets.push(secret.clone());
                }
                !full
            },
        )
        .await?;
    match updated {
        Updated::Missing => Err(ApiError::NotFound),
        Updated::Changed(e) => Ok((e, shown)),
        Updated::Unchanged(_) => Err(ApiError::Conflict {
            status: "rotating",
            message: format!("the endpoint holds {MAX_SECRETS} secrets: remove an old one first"),
        }),
    }
}

/// Removes secret `secret` from endpoint `id`; 404 for no such endpoint or secret, 409 for its last.
pub async fn remove_secret<B: Backend>(
    store: &Store<B>,
    id: &str,
    secret: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<WebhookEndpoint, ApiError> {
    let mut known = false;
    let updated = store
        .update(
            RecordKind::Webhook,
            id,
            event(actor, format!("secret {secret} removed"), now),
            |e: &mut WebhookEndpoint| {
                known = e.secrets.iter().any(|s| s.id == secret);
                if !known || e.secrets.len() < 2 {
                    return false;
                }
                e.secrets.retain(|s| s.id != secret);
                true
            },
        )
        .await?;
    match updated {
        Updated::Changed(e) => Ok(e),
        Updated::Unchanged(_) if known => Err(ApiError::Conflict {
            status: "last_secret",
            message: "an endpoint keeps at least one secret: rotate first".into(),
        }),
        _ => Err(ApiError::NotFound),
    }
}

/// Deletes endpoint `id` with its progress and delivery log; false when there is none.
pub async fn delete<B: Backend>(
    store: &Store<B>,
    id: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let Some(progress) = store.webhook_progress(id).await? else {
        return Ok(false);
    };
    store
        .delete_webhook(
            id,
            progress.deliveries,
            event(actor, "webhook deleted".into(), now),
        )
        .await?;
    Ok(true)
}

/// What a replay asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// One event, by its `webhook-id`.
    Event(String),
    /// Every event since then.
    Since(Timestamp),
}

/// Queues a replay for endpoint `id`, sent on the next job run ahead of the endpoint's backoff with the
/// events' original `webhook-id`s. Answers how many events it covers; 404 for no such endpoint, 422
/// naming `event_id` for an event the endpoint was never to be sent.
pub async fn replay<B: Backend>(
    store: &Store<B>,
    endpoint: &WebhookEndpoint,
    replay: Replay,
    actor: &Actor,
    now: Timestamp,
) -> Result<u64, ApiError> {
    let (detail, covered) = match &replay {
        Replay::Event(event_id) => {
            let event: Option<WebhookEvent> = store.get(RecordKind::WebhookEvent, event_id).await?;
            let event = event
                .filter(|e| sends(endpoint, &e.event_type))
                .ok_or_else(|| {
                    ApiError::Invalid(vec![FieldError::new(
                        "event_id",
                        "unknown_event",
                        "no event with this id was ever to be sent to this endpoint",
                    )])
                })?;
            let seq = event.seq;
            let mut full = false;
            let changed = store
                .change_webhook_progress(&endpoint.id, |p| {
                    full = p.replays.len() >= MAX_REPLAYS;
                    if full {
                        return false;
                    }
                    let delivery = p.deliveries + 1;
                    p.deliveries = delivery;
                    p.replays.push(InFlight {
                        event: seq,
                        delivery,
                        attempts: 0,
                        next_attempt_at: now,
                        replay: true,
                    });
                    true
                })
                .await?;
            changed.ok_or(ApiError::NotFound)?;
            if full {
                return Err(ApiError::Conflict {
                    status: "replaying",
                    message: format!(
                        "{MAX_REPLAYS} replays are waiting: replay since a time, or wait for the next run"
                    ),
                });
            }
            (format!("replay of event {event_id}"), 1)
        }
        Replay::Since(since) => {
            let from = first_since(store, *since, now).await?;
            let head = store.log_head(Log::Events).await?;
            let changed = store
                .change_webhook_progress(&endpoint.id, |p| {
                    if from < p.cursor {
                        p.cursor = from;
                        p.in_flight = None;
                    } else if let Some(flight) = &mut p.in_flight {
                        // The event being retried is the first asked for: sent now, its attempts kept.
                        flight.next_attempt_at = now;
                    } else {
                        return false;
                    }
                    true
                })
                .await?;
            changed.ok_or(ApiError::NotFound)?;
            (
                format!("replay since {}", since.to_rfc3339()),
                head.saturating_sub(from),
            )
        }
    };
    let event = Event::by(
        actor.clone(),
        Log::Webhooks,
        Action::Updated,
        Some(detail),
        now,
    );
    store.note(&endpoint.id, event).await?;
    Ok(covered)
}

/// Replays of single events an endpoint may have waiting (they live in its progress record).
const MAX_REPLAYS: usize = 100;

/// The number before the first event at or after `since` in the events log: looked for backwards from
/// the head, a page at a time, so a replay of the last hour reads the last hour's events. A run merges
/// its logs by time but runs may overlap in time, so the search ends only at a page wholly older.
async fn first_since<B: Backend>(
    store: &Store<B>,
    since: Timestamp,
    now: Timestamp,
) -> Result<u64, StoreError> {
    const PAGE: u64 = 256;
    let reader = store.reader(Log::Events, now);
    let mut top = reader.head().await?;
    let mut first = top;
    while top > 0 {
        let from = top.saturating_sub(PAGE);
        let seqs: Vec<u64> = (from + 1..=top).collect();
        let entries = reader.at(&seqs).await?;
        let newer = seqs
            .iter()
            .zip(entries)
            .filter(|(_, entry)| entry.as_ref().is_some_and(|(e, _)| e.at >= since))
            .map(|(seq, _)| seq - 1)
            .min();
        let Some(newer) = newer else { break };
        first = first.min(newer);
        top = from;
    }
    Ok(first)
}
