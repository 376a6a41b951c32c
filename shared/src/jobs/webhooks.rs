//! The webhooks job: turns the changes since its marks into events ([`crate::webhooks::events`]), then
//! sends each active endpoint its due events ([`crate::webhooks::send`]).

use crate::mailer::Transport;
use crate::store::{Backend, Store, StoreError};
use crate::time::Timestamp;
use crate::webhooks::events::{self, Collected, SOURCES};
use crate::webhooks::send::{self, Report};
use serde::Serialize;

/// How much one run does at most.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Log entries read to make events.
    pub entries: u64,
    /// Delivery attempts per endpoint.
    pub attempts: u32,
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WebhooksRun {
    pub endpoints: usize,
    #[serde(flatten)]
    pub collected: Collected,
    #[serde(flatten)]
    pub sent: Report,
}

/// One run.
pub async fn run<B: Backend, T: Transport>(
    store: &Store<B>,
    transport: &T,
    budget: Budget,
    now: Timestamp,
) -> Result<WebhooksRun, StoreError> {
    let endpoints = store.webhooks().await?;
    let collected = events::collect(store, &endpoints, budget.entries, now).await?;
    let sent = send::deliver(store, transport, &endpoints, budget.attempts, now).await?;
    Ok(WebhooksRun {
        endpoints: endpoints.len(),
        collected,
        sent,
    })
}

/// How many log entries the job has not turned into events yet (its marks against the logs' heads).
pub async fn behind<B: Backend>(store: &Store<B>) -> Result<u64, StoreError> {
    let mut behind = 0;
    for (log, _) in SOURCES {
        let head = store.log_head(log).await?;
        behind += head.saturating_sub(store.webhook_mark(log).await?);
    }
    Ok(behind)
}
