//! The mailer component through the test host: the outbox delivered to a local HTTP server standing in
//! for the mail provider (Postmark's send API), reached through `allowed_outbound_hosts =
//! ["{{ mail_api_url }}"]` rendered from the app variable.

use crate::harness::TestApp;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use shared::mailer::{self, Message, OutboxStatus};
use shared::time::Timestamp;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const PROVIDER_TOKEN: &str = "pm-server-token-0123";
const OUTBOX_TOKEN: &str = "outbox-token-0123456789";

/// One request the provider received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: Value,
}

/// A local stand-in for the provider: records every request, answers the scripted statuses in order
/// (then 200 with a `MessageID`), each after `delay`.
#[derive(Clone)]
pub struct Provider {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Provider {
    pub async fn start(delay: Duration) -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let provider = Provider {
            url,
            seen: Arc::default(),
            script: Arc::default(),
        };
        let state = provider.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(state.answer(req, delay).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        provider
    }

    async fn answer(
        &self,
        req: http::Request<Incoming>,
        delay: Duration,
    ) -> http::Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let n = {
            let mut seen = self.seen.lock().unwrap();
            seen.push(Seen {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
                headers: parts.headers,
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            seen.len()
        };
        tokio::time::sleep(delay).await;
        let status = self.script.lock().unwrap().pop_front().unwrap_or(200);
        let answer = if status == 200 {
            json!({"To": "x", "SubmittedAt": "2026-01-01T00:00:00Z", "MessageID": format!("pm-{n}"), "ErrorCode": 0, "Message": "OK"})
        } else {
            json!({"ErrorCode": 701, "Message": "Provider unavailable"})
        };
        let mut response = http::Response::new(Full::new(Bytes::from(answer.to_string())));
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
        response
    }

    pub fn fail_next(&self, status: u16) {
        self.script.lock().unwrap().push_back(status);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn spawn(provider: Option<&Provider>) -> TestApp {
    let url = provider.map(|p| p.url.clone()).unwrap_or_default();
    TestApp::spawn_with(|vars| {
        vars.set("mail_api_url", url)
            .set("mail_api_token", PROVIDER_TOKEN)
            .set("outbox_token", OUTBOX_TOKEN);
    })
    .await
}

fn newsletter(subject: &str) -> Message {
    Message::new(
        "ada@example.com",
        "Example News <news@example.com>",
        subject,
        "Please confirm.",
    )
    .unwrap()
    .with_html("<p>Please confirm.</p>")
    .with_unsubscribe(
        "https://capture.example.com/u/tok123",
        "mailto:unsubscribe@example.com?subject=unsubscribe%20tok123",
    )
    .unwrap()
}

async fn enqueue(app: &TestApp, subject: &str) -> String {
    mailer::enqueue(&app.store(), newsletter(subject), Timestamp::now())
        .await
        .unwrap()
}

async fn deliver(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut request = app.client.post(app.url("/api/outbox/deliver?limit=20"));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    app.send(request).await
}

async fn deliver_ok(app: &TestApp) -> Value {
    let response = deliver(app, Some(&format!("Bearer {OUTBOX_TOKEN}"))).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_queued_message_is_sent_as_postmark_json_with_the_token_and_one_line_unsubscribe_headers()
{
    let provider = Provider::start(Duration::ZERO).await;
    let app = spawn(Some(&provider)).await;
    let id = enqueue(&app, "Please confirm your subscription").await;

    assert_eq!(
        deliver_ok(&app).await,
        json!({"sent": 1, "failed": 0, "pending": 0})
    );

    let seen = provider.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/email")
    );
    assert_eq!(request.headers["x-postmark-server-token"], PROVIDER_TOKEN);
    assert_eq!(request.headers["content-type"], "application/json");
    assert_eq!(
        request.body,
        json!({
            "From": "Example News <news@example.com>",
            "To": "ada@example.com",
            "Subject": "Please confirm your subscription",
            "TextBody": "Please confirm.",
            "HtmlBody": "<p>Please confirm.</p>",
            "Headers": [
                {"Name": "List-Unsubscribe", "Value": "<https://capture.example.com/u/tok123>, <mailto:unsubscribe@example.com?subject=unsubscribe%20tok123>"},
                {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
            ],
            "MessageStream": "outbound",
        })
    );
    for header in request.body["Headers"].as_array().unwrap() {
        let value = header["Value"].as_str().unwrap();
        assert!(!value.contains(['\r', '\n']), "{value:?} is one line");
    }

    let stored = app.store().outbox_message(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, OutboxStatus::Sent);
    assert_eq!(stored.attempts, 1);
    assert_eq!(stored.provider_message_id.as_deref(), Some("pm-1"));
    assert!(stored.sent_at.is_some());

    // Nothing is sent twice.
    assert_eq!(
        deliver_ok(&app).await,
        json!({"sent": 0, "failed": 0, "pending": 0})
    );
    assert_eq!(provider.seen().len(), 1);
}

#[tokio::test]
async fn a_provider_failure_leaves_the_message_queued_with_its_error_and_a_later_run_after_the_backoff_sends_it()
 {
    let provider = Provider::start(Duration::ZERO).await;
    provider.fail_next(500);
    let app = spawn(Some(&provider)).await;
    let id = enqueue(&app, "Hello").await;

    assert_eq!(
        deliver_ok(&app).await,
        json!({"sent": 0, "failed": 1, "pending": 1})
    );
    let store = app.store();
    let stored = store.outbox_message(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, OutboxStatus::Failed);
    assert_eq!(stored.attempts, 1);
    let error = stored.last_error.clone().unwrap();
    assert_eq!(error, "HTTP 500: Provider unavailable (code 701)");
    assert!(!error.contains(PROVIDER_TOKEN));
    let wait = stored.next_attempt_at.unix_millis() - Timestamp::now().unix_millis();
    assert!(
        (50_000..=60_000).contains(&wait),
        "retried in about a minute, not {wait} ms"
    );

    // Within the backoff nothing is tried again.
    assert_eq!(
        deliver_ok(&app).await,
        json!({"sent": 0, "failed": 0, "pending": 1})
    );
    assert_eq!(provider.seen().len(), 1);

    // The backoff has passed (moved through shared, as an operator's "retry now" would).
    let now = Timestamp::now();
    assert!(mailer::reschedule(&store, &id, now, now).await.unwrap());
    assert_eq!(
        deliver_ok(&app).await,
        json!({"sent": 1, "failed": 0, "pending": 0})
    );
    let stored = store.outbox_message(&id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.attempts), (OutboxStatus::Sent, 2));
    assert_eq!(stored.last_error, None);
    assert_eq!(provider.seen().len(), 2);
}

#[tokio::test]
async fn an_unreachable_provider_is_a_failed_attempt_and_nothing_is_lost() {
    // A port nobody listens on (bound, then closed).
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let app = TestApp::spawn_with(|vars| {
        vars.set("mail_api_url", closed)
            .set("mail_api_token", PROVIDER_TOKEN)
            .set("outbox_token", OUTBOX_TOKEN);
    })
    .await;
    let id = enqueue(&app, "Hello").await;
    assert_eq!(
        deliver_ok(&app).await,
        json!({"sent": 0, "failed": 1, "pending": 1})
    );
    let stored = app.store().outbox_message(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, OutboxStatus::Failed);
    assert!(stored.last_error.unwrap().starts_with("transport: "));
}

#[tokio::test]
async fn without_a_provider_messages_stay_queued_and_can_be_read_from_the_outbox() {
    let app = spawn(None).await;
    let id = enqueue(&app, "Hello").await;

    assert_eq!(
        deliver_ok(&app).await,
        json!({"sent": 0, "failed": 0, "pending": 1})
    );
    let stored = app.store().outbox_message(&id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.attempts), (OutboxStatus::Queued, 0));

    let response = app
        .send(
            app.client
                .get(app.url("/api/outbox"))
                .bearer_auth(OUTBOX_TOKEN),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let listed = body["pending"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["message"]["subject"], "Hello");
    let store = app.store();
    let head = store.log_head(shared::store::Log::Access).await.unwrap();
    let entries = store
        .log_entries(shared::store::Log::Access, 0, head)
        .await
        .unwrap();
    let reads: Vec<_> = entries
        .into_iter()
        .filter_map(|(_, e)| e)
        .filter(|e| e.action == shared::records::Action::Read)
        .collect();
    assert_eq!(reads.len(), 1, "the listing is registered as a staff read");
    assert_eq!(
        reads[0].detail.as_deref(),
        Some("outbox: 1 pending messages listed")
    );
}

#[tokio::test]
async fn the_outbox_refuses_a_missing_or_wrong_token_with_401() {
    let provider = Provider::start(Duration::ZERO).await;
    let app = spawn(Some(&provider)).await;
    enqueue(&app, "Hello").await;

    for authorization in [
        None,
        Some("Bearer wrong-token"),
        Some("Bearer outbox-token-012345678"),
        Some(&*format!("Basic {OUTBOX_TOKEN}")),
    ] {
        let response = deliver(&app, authorization).await;
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    let response = app.get("/api/outbox").await;
    assert_eq!(response.status(), 401);
    assert!(provider.seen().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn with_no_outbox_token_configured_every_call_is_refused() {
    let app = TestApp::spawn().await;
    assert_eq!(deliver(&app, Some("Bearer ")).await.status(), 401);
    assert_eq!(deliver(&app, None).await.status(), 401);
}

#[tokio::test]
async fn two_concurrent_deliver_calls_send_each_message_once() {
    let provider = Provider::start(Duration::from_millis(60)).await;
    let app = spawn(Some(&provider)).await;
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(enqueue(&app, &format!("Message {n}")).await);
    }

    let (a, b) = tokio::join!(deliver_ok(&app), deliver_ok(&app));

    let sent = a["sent"].as_u64().unwrap() + b["sent"].as_u64().unwrap();
    assert_eq!(sent, 6, "{a} {b}");
    let mut per_subject: BTreeMap<String, usize> = BTreeMap::new();
    for seen in provider.seen() {
        *per_subject
            .entry(seen.body["Subject"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(per_subject.len(), 6);
    assert!(per_subject.values().all(|n| *n == 1), "{per_subject:?}");
    let store = app.store();
    for id in &ids {
        let stored = store.outbox_message(id).await.unwrap().unwrap();
        assert_eq!((stored.status, stored.attempts), (OutboxStatus::Sent, 1));
    }
}
