//! A webhook receiver on 127.0.0.1 for the tests: it records every request (headers and body) and
//! answers each with the next scripted status (200 once the script is out), with `Retry-After` when asked.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// A scripted answer: an HTTP status and, maybe, a `Retry-After` value.
type Answer = (u16, Option<&'static str>);

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: http::HeaderMap,
    pub raw: Bytes,
    pub body: Value,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn event_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub origin: String,
    seen: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            origin: format!("http://{}", listener.local_addr().unwrap()),
            ..Receiver::default()
        };
        let state = receiver.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(state.answer(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        receiver
    }

    /// The URL endpoints are made with.
    pub fn url(&self) -> String {
        format!("{}/hooks/crm", self.origin)
    }

    /// Answers the next requests with these statuses (and `Retry-After` values).
    pub fn then(&self, statuses: &[Answer]) {
        self.script.lock().unwrap().extend(statuses.iter().copied());
    }

    pub fn seen(&self) -> Vec<Received> {
        self.seen.lock().unwrap().clone()
    }

    async fn answer(&self, req: http::Request<Incoming>) -> http::Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let raw = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        self.seen.lock().unwrap().push(Received {
            headers: parts.headers,
            body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
            raw,
        });
        let (status, retry_after) = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((200, None));
        let mut response = http::Response::new(Full::new(Bytes::from_static(b"ok")));
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert("retry-after", http::HeaderValue::from_static(seconds));
        }
        response
    }
}

/// Carries the webhooks job's requests over plain HTTP, as Spin's outbound HTTP would (for tests that
/// run the job on a clock they control).
pub struct Http(pub reqwest::Client);

impl shared::mailer::Transport for Http {
    async fn send(
        &self,
        request: shared::mailer::ProviderRequest,
    ) -> Result<shared::mailer::ProviderResponse, String> {
        let mut builder = self.0.post(&request.url).body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        let response = builder.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        Ok(shared::mailer::ProviderResponse {
            status,
            body,
            retry_after,
        })
    }
}

/// Checks `received` as a receiver would, with the `standardwebhooks` crate (not the app's code): its
/// signature under `secret`, and its timestamp within five minutes of now.
pub fn verifies(secret: &str, received: &Received) -> bool {
    let webhook = standardwebhooks::Webhook::new(secret).unwrap();
    webhook.verify(&received.raw, &received.headers).is_ok()
}

/// The signature the `standardwebhooks` crate makes for `received` under `secret` (for requests dated by
/// a clock the test controls, which its verifier's five minutes would refuse).
pub fn signature(secret: &str, received: &Received) -> String {
    let webhook = standardwebhooks::Webhook::new(secret).unwrap();
    let timestamp: i64 = received.header("webhook-timestamp").parse().unwrap();
    webhook
        .sign(received.header("webhook-id"), timestamp, &received.raw)
        .unwrap()
}
