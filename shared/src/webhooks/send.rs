//! Delivery: each active endpoint is sent its events in the order of the events log, one at a time; an
//! event that fails holds up the endpoint's line until it is delivered or given up on (about three days,
//! [`super::SCHEDULE`]), so a receiver never sees a change before the one that came first. Replays go
//! ahead of the line and of its backoff. `410 Gone` disables the endpoint; `429` and `503` with
//! `Retry-After` are retried when the receiver asks (at most a day later); every other answer but a 2xx,
//! `4xx` included, is retried on the schedule. Each message carries one `v1` signature per secret.

use super::render;
use super::rules::{ATTEMPTS, MAX_RETRY_AFTER, retry_at, sends};
use crate::domain::WebhookSecret;
use crate::mailer::{ProviderRequest, ProviderResponse, Transport};
use crate::records::{
    Action, Attempt, DeliveryStatus, EndpointStatus, Event, InFlight, Log, SCHEMA_VERSION,
    WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookProgress,
};
use crate::store::{Backend, RecordKind, Store, StoreError};
use crate::time::Timestamp;
use serde::Serialize;

/// Events read per page when looking for an endpoint's next one.
const PAGE: u64 = 256;

/// What one delivery run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Events a receiver took (2xx).
    pub delivered: u32,
    /// Attempts that failed (their events are retried).
    pub failed: u32,
    /// Events given up on after their last attempt.
    pub given_up: u32,
    /// Endpoints disabled by a `410 Gone`.
    pub disabled: u32,
}

/// What became of one attempt.
enum Outcome {
    Delivered,
    /// Failed; the next attempt is due then.
    Retry(Timestamp),
    GivenUp,
    Disabled,
    /// The event is gone (retention): nothing to send.
    Gone,
}

/// Sends every active endpoint its due events, at most `budget` attempts per endpoint.
pub async fn deliver<B: Backend, T: Transport>(
    store: &Store<B>,
    transport: &T,
    endpoints: &[WebhookEndpoint],
    budget: u32,
    now: Timestamp,
) -> Result<Report, StoreError> {
    let mut report = Report::default();
    for endpoint in endpoints.iter().filter(|e| e.is_active()) {
        let mut line = Line {
            store,
            transport,
            endpoint,
            now,
            report: Report::default(),
            attempts: 0,
        };
        match line.run(budget).await {
            // A record that does not read stops this endpoint's line, not every endpoint's.
            Err(StoreError::Corrupt { key, .. }) => {
                // The key only: serde's message may quote the stored value.
                crate::log_line!("webhook endpoint {} stopped this run at {key}", endpoint.id);
            }
            result => result?,
        }
        if line.attempts > 0 {
            let r = line.report;
            let detail = format!(
                "sent: {} delivered, {} failed attempts, {} given up",
                r.delivered, r.failed, r.given_up
            );
            let event = Event::system(Log::Webhooks, Action::Read, detail, now);
            store.note(&endpoint.id, event).await?;
        }
        report.delivered += line.report.delivered;
        report.failed += line.report.failed;
        report.given_up += line.report.given_up;
        report.disabled += line.report.disabled;
    }
    Ok(report)
}

/// One endpoint's run.
struct Line<'a, B, T> {
    store: &'a Store<B>,
    transport: &'a T,
    endpoint: &'a WebhookEndpoint,
    now: Timestamp,
    report: Report,
    attempts: u32,
}

impl<B: Backend, T: Transport> Line<'_, B, T> {
    async fn run(&mut self, budget: u32) -> Result<(), StoreError> {
        let id = self.endpoint.id.as_str();
        let Some(progress) = self.store.webhook_progress(id).await? else {
            return Ok(());
        };
        let now = self.now;
        for replay in progress.replays.iter().filter(|r| r.next_attempt_at <= now) {
            if self.attempts >= budget {
                return Ok(());
            }
            let outcome = self.attempt(replay).await?;
            if matches!(outcome, Outcome::Disabled) {
                return Ok(());
            }
            self.settle(replay, outcome, true).await?;
        }
        while self.attempts < budget {
            let Some(progress) = self.store.webhook_progress(id).await? else {
                return Ok(());
            };
            let flight = match progress.in_flight {
                Some(flight) if flight.next_attempt_at > self.now => return Ok(()),
                Some(flight) => flight,
                None => match self.next(&progress).await? {
                    Some(flight) => flight,
                    None => return Ok(()),
                },
            };
            let outcome = self.attempt(&flight).await?;
            let stop = matches!(outcome, Outcome::Retry(_) | Outcome::Disabled);
            if !matches!(outcome, Outcome::Disabled) {
                self.settle(&flight, outcome, false).await?;
            }
            if stop {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The next event the endpoint wants after its cursor, made its line's head (the cursor moves past
    /// the events it does not want); `None` when there is none yet.
    async fn next(&self, progress: &WebhookProgress) -> Result<Option<InFlight>, StoreError> {
        let reader = self.store.reader(Log::Events, self.now);
        let head = reader.head().await?;
        let mut pos = progress.cursor;
        let mut found = None;
        while pos < head {
            let (entries, next) = reader.settled(pos, PAGE.min(head - pos), head).await?;
            if next == pos {
                break;
            }
            let wanted: Vec<(u64, &str)> = entries
                .iter()
                .filter(|(_, e, _)| e.action == Action::Captured)
                .filter(|(_, e, _)| sends(self.endpoint, e.detail.as_deref().unwrap_or_default()))
                .filter_map(|(seq, e, _)| Some((*seq, e.record.as_deref()?)))
                .collect();
            let ids: Vec<&str> = wanted.iter().map(|(_, id)| *id).collect();
            let events = self.store.webhook_events(&ids).await?;
            found = wanted
                .iter()
                .zip(events)
                .find_map(|((seq, _), event)| event.map(|_| *seq));
            if let Some(seq) = found {
                pos = seq - 1;
                break;
            }
            pos = next;
        }
        let flight = found.map(|event| InFlight {
            event,
            delivery: progress.deliveries + 1,
            attempts: 0,
            next_attempt_at: self.now,
            replay: false,
        });
        if pos == progress.cursor && flight.is_none() {
            return Ok(None);
        }
        let (seen, numbered, wanted) = (progress.cursor, progress.deliveries, flight.clone());
        let now = self
            .store
            .change_webhook_progress(&self.endpoint.id, |p| {
                // A replay numbered a delivery meanwhile: this number is taken.
                if p.cursor != seen || p.deliveries != numbered || p.in_flight.is_some() {
                    return false;
                }
                p.cursor = pos;
                if let Some(flight) = &wanted {
                    p.in_flight = Some(flight.clone());
                    p.deliveries = flight.delivery;
                }
                true
            })
            .await?;
        // Another writer (a replay asked meanwhile) moved the line: start over next time round.
        Ok(flight.filter(|f| now.is_some_and(|p| p.in_flight.as_ref() == Some(f))))
    }

    /// Sends `flight`'s event once and records the attempt in the delivery log.
    async fn attempt(&mut self, flight: &InFlight) -> Result<Outcome, StoreError> {
        let Some(event) = self.event(flight.event).await? else {
            return Ok(Outcome::Gone);
        };
        self.attempts += 1;
        let body = render::body(self.store, self.endpoint, &event).await?;
        let request = self.request(&event, body);
        let started = std::time::Instant::now();
        let answer = self.transport.send(request).await;
        let ms = started.elapsed().as_millis() as u64;
        let n = flight.attempts + 1;
        let (status, error, outcome) = match &answer {
            Ok(r) if (200..300).contains(&r.status) => (Some(r.status), None, Outcome::Delivered),
            Ok(r) if r.status == 410 => (
                Some(410),
                Some("410 Gone: endpoint disabled".to_owned()),
                Outcome::Disabled,
            ),
            Ok(r) => (
                Some(r.status),
                Some(format!("HTTP {}", r.status)),
                self.retry(&event, n, retry_after(r)),
            ),
            Err(e) => (None, Some(e.clone()), self.retry(&event, n, None)),
        };
        match outcome {
            Outcome::Delivered => self.report.delivered += 1,
            Outcome::GivenUp => {
                self.report.failed += 1;
                self.report.given_up += 1;
            }
            Outcome::Disabled => {
                self.report.failed += 1;
                self.report.disabled += 1;
                self.disable().await?;
            }
            _ => self.report.failed += 1,
        }
        let mut delivery = self
            .store
            .webhook_delivery(&self.endpoint.id, flight.delivery)
            .await?
            .unwrap_or_else(|| WebhookDelivery {
                v: SCHEMA_VERSION,
                n: flight.delivery,
                endpoint: self.endpoint.id.clone(),
                event: flight.event,
                webhook_id: event.id.clone(),
                event_type: event.event_type.clone(),
                replay: flight.replay,
                status: DeliveryStatus::Pending,
                attempts: Vec::new(),
            });
        delivery.attempts.push(Attempt {
            at: self.now,
            status,
            ms,
            error,
        });
        delivery.status = match outcome {
            Outcome::Delivered => DeliveryStatus::Delivered,
            Outcome::Retry(_) => DeliveryStatus::Pending,
            _ => DeliveryStatus::Failed,
        };
        self.store.put_webhook_delivery(&delivery).await?;
        Ok(outcome)
    }

    fn retry(&self, event: &WebhookEvent, n: u32, asked: Option<i64>) -> Outcome {
        if n >= ATTEMPTS {
            return Outcome::GivenUp;
        }
        // Retry-After can only push the next attempt later: a receiver asking for a second each time
        // would otherwise use up the three days' attempts in minutes.
        let scheduled = retry_at(&event.id, n, self.now);
        Outcome::Retry(match asked {
            Some(seconds) => {
                scheduled.max(self.now.plus_seconds(seconds.clamp(1, MAX_RETRY_AFTER)))
            }
            None => scheduled,
        })
    }

    /// Notes what became of `flight` on the endpoint's progress, unless the line moved meanwhile.
    async fn settle(
        &self,
        flight: &InFlight,
        outcome: Outcome,
        replay: bool,
    ) -> Result<(), StoreError> {
        self.store
            .change_webhook_progress(&self.endpoint.id, |p| {
                let slot = if replay {
                    p.replays.iter().position(|r| r == flight)
                } else {
                    (p.in_flight.as_ref() == Some(flight)).then_some(0)
                };
                let Some(at) = slot else { return false };
                match &outcome {
                    Outcome::Retry(next) => {
                        let retried = InFlight {
                            attempts: flight.attempts + 1,
                            next_attempt_at: *next,
                            ..flight.clone()
                        };
                        if replay {
                            p.replays[at] = retried;
                        } else {
                            p.in_flight = Some(retried);
                        }
                    }
                    _ if replay => {
                        p.replays.remove(at);
                    }
                    _ => {
                        p.in_flight = None;
                        p.cursor = p.cursor.max(flight.event);
                    }
                }
                true
            })
            .await?;
        Ok(())
    }

    async fn event(&self, seq: u64) -> Result<Option<WebhookEvent>, StoreError> {
        let reader = self.store.reader(Log::Events, self.now);
        let entry = reader.at(&[seq]).await?.pop().flatten();
        let Some(id) = entry.and_then(|(e, _)| e.record) else {
            return Ok(None);
        };
        self.store.get(RecordKind::WebhookEvent, &id).await
    }

    /// The signed request: one `v1` signature per secret, newest first.
    fn request(&self, event: &WebhookEvent, body: Vec<u8>) -> ProviderRequest {
        let timestamp = self.now.unix_seconds();
        let signatures: Vec<String> = self
            .endpoint
            .secrets
            .iter()
            .rev()
            .filter_map(|s| WebhookSecret::parse(&s.secret).ok())
            .map(|secret| secret.sign(&event.id, timestamp, &body))
            .collect();
        ProviderRequest {
            url: self.endpoint.url.clone(),
            headers: vec![
                ("content-type", "application/json".to_owned()),
                // Sent whole, not chunked: some receivers' frameworks read no chunked body.
                ("content-length", body.len().to_string()),
                ("user-agent", "marketing-capture-webhooks/1".to_owned()),
                ("webhook-id", event.id.clone()),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", signatures.join(" ")),
            ],
            body,
        }
    }

    /// Disables the endpoint (it answered `410 Gone`), a register entry saying so.
    async fn disable(&self) -> Result<(), StoreError> {
        let event = Event::system(
            Log::Webhooks,
            Action::Updated,
            "disabled: the receiver answered 410 Gone".into(),
            self.now,
        );
        self.store
            .update(
                RecordKind::Webhook,
                &self.endpoint.id,
                event,
                |e: &mut WebhookEndpoint| {
                    if e.status == EndpointStatus::Disabled {
                        return false;
                    }
                    e.status = EndpointStatus::Disabled;
                    e.disabled_reason = Some("the receiver answered 410 Gone".into());
                    true
                },
            )
            .await?;
        Ok(())
    }
}

/// The seconds a `429` or `503` asks to wait (`Retry-After` in seconds; a date is not read).
fn retry_after(response: &ProviderResponse) -> Option<i64> {
    if !matches!(response.status, 429 | 503) {
        return None;
    }
    response.retry_after.as_deref()?.trim().parse().ok()
}
