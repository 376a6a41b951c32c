//! `TestApp`: a fresh app per test (in-memory store, test values for required secrets) served on an
//! ephemeral loopback port, with a client that does not follow redirects (so 303s are visible) and the
//! direct store handle for asserting on stored state through shared's typed functions.

#![allow(dead_code)] // each test module uses a different subset

use ::host::{App, AppBuilder, KvStore};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The stem of the values given to required secret variables in tests (32+ bytes, as keys need).
pub const TEST_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";

/// The test value of the required secret variable `name`: each secret gets its own, so a mix-up
/// between two of them fails the tests.
pub fn test_secret(name: &str) -> String {
    format!("{TEST_SECRET}-{name}")
}

/// The keyring the test app signs links with (`signing_key`).
pub fn test_signing_keys() -> shared::tokens::Keyring {
    shared::tokens::Keyring::parse(&test_secret("signing_key")).expect("a valid key")
}

/// The keyring of the test app's unsubscribe links (from `suppression_key`, which never rotates).
pub fn test_unsubscribe_keys() -> shared::tokens::Keyring {
    test_settings().unsubscribe_keys().clone()
}

/// The capture settings of a test app with default variables (for pseudonyms and keys).
pub fn test_settings() -> shared::capture::CaptureSettings {
    shared::capture::CaptureSettings::from_variables(|name| match name {
        "signing_key" | "suppression_key" => Some(test_secret(name)),
        "max_body_bytes" => Some("1".into()),
        "rate_limit" => Some("1/1".into()),
        _ => None,
    })
    .expect("valid test settings")
}

/// App variable overrides for [`TestApp::spawn_with`].
#[derive(Debug, Default, Clone)]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

pub struct TestApp {
    /// Where the app listens, e.g. `127.0.0.1:41234`.
    pub address: SocketAddr,
    /// `http://127.0.0.1:41234`.
    pub base: String,
    pub client: reqwest::Client,
    pub app: App,
    /// Whether responses are held to the OpenAPI document (the project app, not fixtures).
    contract: bool,
    /// The app's OpenAPI document, fetched on first use.
    document: std::sync::OnceLock<crate::contract::Document>,
}

/// The project's spin.toml.
pub fn project_manifest() -> PathBuf {
    ::host::workspace_root().join("spin.toml")
}

/// The fixture app's manifest (the `probe` component).
pub fn fixture_manifest() -> PathBuf {
    ::host::workspace_root().join("tests/fixtures/spin.toml")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

impl TestApp {
    /// The project app with its defaults and test secrets.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// The project app with some variables overridden.
    pub async fn spawn_with(f: impl FnOnce(&mut Vars)) -> TestApp {
        Self::spawn_manifest_with(&project_manifest(), f).await
    }

    /// The fixture app (`probe`).
    pub async fn spawn_fixture() -> TestApp {
        Self::spawn_fixture_with(|_| {}).await
    }

    pub async fn spawn_fixture_with(f: impl FnOnce(&mut Vars)) -> TestApp {
        Self::spawn_manifest_with(&fixture_manifest(), f).await
    }

    /// Any manifest, on 127.0.0.1:0.
    pub async fn spawn_manifest_with(manifest: &Path, f: impl FnOnce(&mut Vars)) -> TestApp {
        Self::try_spawn(manifest, f, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("spawning the test app")
    }

    /// Any manifest on any listen address (e.g. `[::1]:0` for IPv6 peers). Fails if it cannot bind.
    pub async fn try_spawn(
        manifest: &Path,
        f: impl FnOnce(&mut Vars),
        listen: SocketAddr,
    ) -> anyhow::Result<TestApp> {
        let app = Self::builder(manifest, f).build()?;
        let address = app.serve(listen).await?;
        Ok(TestApp {
            address,
            base: format!("http://{address}"),
            client: client(),
            app,
            contract: manifest == project_manifest(),
            document: Default::default(),
        })
    }

    /// A project app built by hand (e.g. on a file store), already serving on `address`.
    pub fn from_app(app: App, address: SocketAddr) -> TestApp {
        TestApp {
            address,
            base: format!("http://{address}"),
            client: client(),
            app,
            contract: true,
            document: Default::default(),
        }
    }

    /// The builder `spawn*` use: a fresh store (in-memory SQLite, or Redis with `TEST_KV=redis`), no env variables (tests are reproducible), every
    /// required secret variable set to its [`test_secret`], then the overrides.
    pub fn builder(manifest: &Path, f: impl FnOnce(&mut Vars)) -> AppBuilder {
        let parsed = ::host::manifest::Manifest::load(manifest).expect("manifest");
        let mut vars = Vars::default();
        for (name, var) in &parsed.variables {
            if var.required && var.secret {
                vars.set(name, test_secret(name));
            }
        }
        f(&mut vars);
        let mut builder = App::builder(manifest)
            .store_at(::host::kv::Location::for_tests())
            .env_variables(false);
        for (k, v) in vars.0 {
            builder = builder.variable(k, v);
        }
        builder
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.post_json_with(path, body, &[]).await
    }

    /// A JSON post with extra request headers.
    pub async fn post_json_with(
        &self,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        self.send(with_headers(
            self.client.post(self.url(path)).json(body),
            headers,
        ))
        .await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_with(path, fields, &[]).await
    }

    /// A urlencoded post with extra request headers.
    pub async fn post_form_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        self.send(with_headers(
            self.client.post(self.url(path)).form(fields),
            headers,
        ))
        .await
    }

    /// A post of any bytes with any content type (for malformed and oversized bodies).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let request = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        self.send(request).await
    }

    /// An `OPTIONS` request (CORS preflight).
    pub async fn options(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let request = self
            .client
            .request(reqwest::Method::OPTIONS, self.url(path));
        self.send(with_headers(request, headers)).await
    }

    /// The OpenAPI document this app serves (it reflects the app's variables).
    pub async fn document(&self) -> &crate::contract::Document {
        if let Some(document) = self.document.get() {
            return document;
        }
        let response = self
            .client
            .get(self.url("/api/v1/openapi.json"))
            .send()
            .await
            .expect("the OpenAPI document");
        assert_eq!(response.status(), 200, "GET /api/v1/openapi.json");
        let value: serde_json::Value = response.json().await.expect("the document is JSON");
        self.document
            .get_or_init(|| crate::contract::Document::new(value))
    }

    /// Sends `request` and, for the project app, holds the response to the OpenAPI document
    /// ([`crate::contract::check`]) before handing it back (its body read and put back).
    pub async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let request = request.build().expect("a well-formed request");
        let (method, path) = (
            request.method().to_string(),
            request.url().path().to_owned(),
        );
        let response = self.client.execute(request).await.expect("request failed");
        if !self.contract {
            return response;
        }
        let (status, version, headers) = (
            response.status(),
            response.version(),
            response.headers().clone(),
        );
        let body = response.bytes().await.expect("the response body");
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let names: Vec<&str> = headers.keys().map(|name| name.as_str()).collect();
        let document = self.document().await;
        crate::contract::check(
            document,
            &method,
            &path,
            status.as_u16(),
            &names,
            content_type,
            &body,
        );
        let mut rebuilt = http::Response::new(body.to_vec());
        *rebuilt.status_mut() = status;
        *rebuilt.version_mut() = version;
        *rebuilt.headers_mut() = headers;
        reqwest::Response::from(rebuilt)
    }

    /// A form-render token from `GET /api/forms/{form}/token`.
    pub async fn render_token(&self, form: &str) -> String {
        let response = self.get(&format!("/api/forms/{form}/token")).await;
        assert_eq!(response.status(), 200, "render token for {form}");
        let body: serde_json::Value = response.json().await.expect("a JSON token");
        body["token"].as_str().expect("a token").to_owned()
    }

    /// The typed store over the app's `default` store: read stored state as the components wrote it.
    pub fn store(&self) -> shared::store::Store<KvStore> {
        shared::store::Store::new(self.kv())
    }

    /// Changes a stored record as the test needs (a backdated link, an earlier verification), through
    /// the store's own change path, registered as a test's change.
    pub async fn tweak<R: serde::Serialize + serde::de::DeserializeOwned>(
        &self,
        kind: shared::store::RecordKind,
        id: &str,
        change: impl FnMut(&mut R) -> bool,
    ) {
        let event = shared::store::Event::by(
            shared::records::Actor::System,
            kind.log(),
            shared::records::Action::Updated,
            Some("test: changed by the test".into()),
            shared::time::Timestamp::now(),
        );
        let updated = self.store().update(kind, id, event, change).await.unwrap();
        assert!(updated.changed(), "the test's change to {id} landed");
    }

    /// The `default` store (implements `shared::store::Backend`).
    pub fn kv(&self) -> KvStore {
        self.app.kv()
    }
}

/// The `(field, code)` pairs of a `422` answer, in order (asserts the status).
pub async fn field_errors(response: reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    body["error"]["fields"]
        .as_array()
        .expect("a list of fields")
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The fields a `422` answer names, in order (asserts the status).
pub async fn invalid_fields(response: reqwest::Response) -> Vec<String> {
    let errors = field_errors(response).await;
    errors.into_iter().map(|(field, _)| field).collect()
}

fn with_headers(
    mut request: reqwest::RequestBuilder,
    headers: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
}

/// A Redis server of the test's own, or `None` (with a note) where none is installed, except under CI,
/// which must run every Redis test.
pub fn redis_server() -> Option<::host::kv::RedisServer> {
    without_redis_skip(::host::kv::RedisServer::start())
}

/// A fresh store on a Redis server of its own, or `None` as for [`redis_server`].
pub fn fresh_redis() -> Option<::host::kv::Database> {
    without_redis_skip(::host::kv::Database::open(::host::kv::Location::FreshRedis))
}

fn without_redis_skip<T>(started: anyhow::Result<T>) -> Option<T> {
    match started {
        Ok(started) => Some(started),
        Err(e) if std::env::var_os("CI").is_none() => {
            println!("skipped: no redis-server ({e:#}); install Debian's redis-server");
            None
        }
        Err(e) => panic!("CI must run the Redis tests: {e:#}"),
    }
}
