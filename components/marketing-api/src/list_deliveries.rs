//! `GET /api/v1/webhooks/{id}/deliveries?before=&limit=` (admin key or `webhooks:write`): the endpoint's
//! delivery log, newest first: per event its `webhook-id`, type, status and attempts (time, HTTP status,
//! latency, error). Never a secret, never the body. The log keeps the latest 1000 deliveries.

use http::{Response, StatusCode};
use shared::http::{ApiError, json_response};
use shared::records::WebhookEndpoint;
use shared::store::{Backend, DELIVERY_LOG, RecordKind, Store};

/// Deliveries a page holds when the client names no `limit`, and the most it may name.
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 200;

fn number(name: &'static str, value: &str, max: u64) -> Result<u64, ApiError> {
    value
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| ApiError::BadRequest {
            code: if name == "limit" {
                "invalid_limit"
            } else {
                "invalid_before"
            },
            message: format!("{name} must be a whole number from 1 to {max}"),
        })
}

pub async fn list_deliveries<B: Backend>(
    id: &str,
    query: Option<&str>,
    store: &Store<B>,
) -> Result<Response<String>, ApiError> {
    let (mut before, mut limit) = (None, DEFAULT_LIMIT);
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "before" => before = Some(number("before", &value, u64::MAX)?),
            "limit" => limit = number("limit", &value, MAX_LIMIT)?,
            other => {
                return Err(ApiError::BadRequest {
                    code: "unknown_parameter",
                    message: format!("{other} is not a parameter (before, limit)"),
                });
            }
        }
    }
    let _: WebhookEndpoint = store
        .get(RecordKind::Webhook, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let made = store
        .webhook_progress(id)
        .await?
        .map(|p| p.deliveries)
        .unwrap_or_default();
    let top = before.map_or(made, |b| b.saturating_sub(1).min(made));
    let oldest_kept = made.saturating_sub(DELIVERY_LOG) + 1;
    let ns: Vec<u64> = (oldest_kept.max(1)..=top)
        .rev()
        .take(limit as usize)
        .collect();
    let found = store.webhook_deliveries(id, &ns).await?;
    let items: Vec<_> = found.into_iter().flatten().collect();
    let next_before = ns
        .last()
        .filter(|n| **n > oldest_kept && ns.len() as u64 == limit)
        .copied();
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "items": items, "next_before": next_before }),
    ))
}
