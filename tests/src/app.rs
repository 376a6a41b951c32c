//! A loaded app: the manifest, its compiled components (compiled once per process), one key-value
//! database, one `ProxyHandler` per component (instance reuse like Spin 4.1), and the HTTP server.

use crate::host::{ComponentGrants, Ctx, SpinData};
use crate::kv::{Database, KvStore, Location};
use crate::manifest::Manifest;
use crate::outbound::{AllowedHosts, OutboundHooks};
use crate::routing::{Router, append_spin_headers};
use crate::vars::{VariableSources, component_variables, resolve_app_variables};
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use wasmtime::component::{Component, GuestTaskId, Linker};
use wasmtime::{Config, Engine, Store, StoreContextMut};
use wasmtime_wasi_http::handler::{
    self, HandlerState, Instance, ProxyHandler, ProxyPre, ShouldAccept, ViewFn, WorkerExpiration,
    WorkerState, WorkerStatus,
};
use wasmtime_wasi_http::p3::bindings::ServicePre;
use wasmtime_wasi_http::p3::bindings::http::types::ErrorCode;

/// Spin 4.1's instance reuse defaults (crates/trigger-http/src/lib.rs): an instance serves up to 128
/// requests, up to 16 at once, and is dropped after 1 s idle. No request timeout by default.
pub const MAX_INSTANCE_REUSE_COUNT: usize = 128;
pub const MAX_INSTANCE_CONCURRENT_REUSE_COUNT: usize = 16;
pub const IDLE_INSTANCE_TIMEOUT: Duration = Duration::from_secs(1);

/// The one engine of the process: compiled components can only be shared within one engine.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.wasm_component_model_async(true);
        Engine::new(&config).expect("wasmtime engine")
    })
}

/// Compiles each `.wasm` once per process (tests spawn many apps; compiling is the slow part). Keyed by
/// path and modification time, so a rebuilt component is recompiled.
fn compile(path: &Path) -> Result<Component> {
    type Cache = Mutex<HashMap<(PathBuf, Option<std::time::SystemTime>), Component>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let mtime = std::fs::metadata(path)
        .with_context(|| {
            format!(
                "component {} not found (build it: cargo build --release --target wasm32-wasip2)",
                path.display()
            )
        })?
        .modified()
        .ok();
    let key = (path.to_path_buf(), mtime);
    // Held while compiling: tests spawning apps in parallel wait for one compile instead of each
    // compiling the same component (a debug-build compile of a large component takes seconds).
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(c) = cache.get(&key) {
        return Ok(c.clone());
    }
    let component = Component::from_file(engine(), path)
        .map_err(|e| anyhow::anyhow!("compiling {}: {e:?}", path.display()))?;
    cache.insert(key, component.clone());
    Ok(component)
}

/// wasmtime 47 has its own error type; carry it into anyhow with its full chain.
fn wt<T>(r: wasmtime::Result<T>) -> Result<T> {
    r.map_err(|e| anyhow::anyhow!("{e:?}"))
}

/// Links the component, defining each import interface the host does not implement (sqlite, redis,
/// llm, ...) as functions that trap when called, so a missing host function fails loudly at the call
/// instead of the component failing to load. (`Linker::define_unknown_imports_as_traps` cannot be used:
/// in wasmtime 47 it redefines interfaces that are already linked and fails.)
fn instantiate_pre_with_traps(
    linker: &mut Linker<Ctx>,
    component: &Component,
) -> Result<wasmtime::component::InstancePre<Ctx>> {
    use wasmtime::component::types::ComponentItem;
    let mut stubbed: HashSet<String> = HashSet::new();
    loop {
        let err = match linker.instantiate_pre(component) {
            Ok(pre) => return Ok(pre),
            Err(e) => format!("{e:?}"),
        };
        let missing = err
            .split("component imports instance `")
            .nth(1)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned);
        let Some(name) = missing.filter(|n| !stubbed.contains(n)) else {
            bail!("{err}");
        };
        let ty = component.component_type();
        let Some(ComponentItem::ComponentInstance(instance)) = ty
            .imports(engine())
            .find(|(n, _)| *n == name)
            .map(|(_, item)| item.ty)
        else {
            bail!("{err}");
        };
        // Fails ("defined twice") when the host links the interface but lacks one of its functions.
        let mut inst = wt(linker.instance(&name)).with_context(|| err.clone())?;
        for (export, item) in instance.exports(engine()) {
            match item.ty {
                ComponentItem::ComponentFunc(_) => {
                    let what = format!("{name}#{export}");
                    wt(inst.func_new(export, move |_, _, _, _| {
                        Err(wasmtime::format_err!(
                            "test host: unknown import `{what}` called (Spin feature not implemented by the test host)"
                        ))
                    }))?;
                }
                ComponentItem::Resource(_) => {
                    wt(inst.resource(
                        export,
                        wasmtime::component::ResourceType::host::<()>(),
                        |_, _| Ok(()),
                    ))?;
                }
                _ => {}
            }
        }
        stubbed.insert(name);
    }
}

/// How to load an app. Start from [`App::builder`].
#[derive(Debug, Clone)]
pub struct AppBuilder {
    manifest: PathBuf,
    sources: VariableSources,
    store: Option<Location>,
    listing: bool,
    days_ahead: u32,
}

impl AppBuilder {
    /// Sets an app variable, overriding env and default (tests).
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.sources.overrides.insert(name.into(), value.into());
        self
    }

    /// Whether `SPIN_VARIABLE_<NAME>` environment variables are read (default: yes, as Spin).
    pub fn env_variables(mut self, read: bool) -> Self {
        self.sources.env = read;
        self
    }

    /// For the local run: a required secret variable with no value gets a random ephemeral value (with a
    /// loud warning) instead of failing load as Spin does.
    pub fn ephemeral_secrets(mut self, yes: bool) -> Self {
        self.sources.ephemeral_secrets = yes;
        self
    }

    /// A fresh in-memory key-value database (the default).
    pub fn in_memory_store(mut self) -> Self {
        self.store = Some(Location::InMemory);
        self
    }

    /// Any store: SQLite in memory or in a file, or Redis.
    pub fn store_at(mut self, location: Location) -> Self {
        self.store = Some(location);
        self
    }

    /// A SQLite file; relative paths are resolved against the manifest's directory.
    pub fn file_store(mut self, path: impl Into<PathBuf>) -> Self {
        self.store = Some(Location::File(path.into()));
        self
    }

    /// Runs the components with a wall clock this many days ahead of the machine's, as the app will be
    /// then (what retention deletes, which requests expire). Spin has no such setting; for trying
    /// retention locally and the crash tests.
    pub fn days_ahead(mut self, days: u32) -> Self {
        self.days_ahead = days;
        self
    }

    /// Spin's default file store: `.spin/sqlite_key_value.db` next to the manifest.
    pub fn default_file_store(self) -> Self {
        self.file_store(".spin/sqlite_key_value.db")
    }

    /// Loads the manifest, resolves variables, opens the store and compiles the components.
    pub fn build(self) -> Result<App> {
        let manifest = Manifest::load(&self.manifest)?;
        let app_vars = resolve_app_variables(&manifest, &self.sources)?;
        let location = match self.store.unwrap_or(Location::InMemory) {
            Location::File(p) if p.is_relative() => Location::File(manifest.dir.join(p)),
            other => other,
        };
        let db = Database::open(location)?;
        // Spin without a runtime config defines exactly one store, `default`.
        let defined_stores: HashSet<String> = ["default".to_owned()].into();
        let mut handlers = HashMap::new();
        for (id, c) in &manifest.components {
            for label in &c.key_value_stores {
                if !defined_stores.contains(label) {
                    // Spin's wording (crates/factor-key-value/src/lib.rs, configure_app).
                    bail!("unknown key_value_stores label {label:?} for component {id:?}");
                }
            }
            let grants = Arc::new(ComponentGrants {
                component_id: id.clone(),
                db: db.clone(),
                allowed_stores: c.key_value_stores.iter().cloned().collect(),
                defined_stores: defined_stores.clone(),
                variables: component_variables(&c.variables, &app_vars)
                    .with_context(|| format!("component {id:?} variables"))?,
            });
            let allowed_hosts = Arc::new(AllowedHosts::parse_with_variables(
                &c.allowed_outbound_hosts,
                &app_vars,
            )?);
            let component = compile(&c.source)?;
            let mut linker = Linker::<Ctx>::new(engine());
            wt(wasmtime_wasi::p2::add_to_linker_async(&mut linker)).context("wasi p2")?;
            wt(wasmtime_wasi::p3::add_to_linker(&mut linker)).context("wasi p3")?;
            wt(wasmtime_wasi_http::p3::add_to_linker(&mut linker)).context("wasi http p3")?;
            wt(crate::bindings::Host_::add_to_linker::<Ctx, SpinData>(
                &mut linker,
                Ctx::spin,
            ))
            .context("spin interfaces")?;
            let pre = instantiate_pre_with_traps(&mut linker, &component)
                .with_context(|| format!("linking component {id:?}"))?;
            let pre = ProxyPre::P3(wt(ServicePre::new(pre)).with_context(|| {
                format!("component {id:?} does not export wasi:http/handler@0.3.0")
            })?);
            let state = ComponentState {
                pre,
                grants,
                allowed_hosts,
                ahead: Duration::from_secs(u64::from(self.days_ahead) * 86_400),
            };
            handlers.insert(id.clone(), ProxyHandler::new(state));
        }
        let router = Router::build(
            manifest
                .http_triggers
                .iter()
                .map(|t| (t.route.as_str(), t.component.as_str())),
        )?;
        Ok(App {
            inner: Arc::new(AppInner {
                manifest,
                db,
                router,
                handlers,
                listing: self.listing,
            }),
        })
    }
}

/// A loaded app. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
}

struct AppInner {
    manifest: Manifest,
    db: Database,
    router: Router,
    handlers: HashMap<String, ProxyHandler<ComponentState>>,
    listing: bool,
}

impl App {
    /// Starts describing an app from a manifest path. Defaults: in-memory store, env variables read.
    pub fn builder(manifest: impl Into<PathBuf>) -> AppBuilder {
        AppBuilder {
            manifest: manifest.into(),
            sources: VariableSources {
                env: true,
                ..Default::default()
            },
            store: None,
            listing: false,
            days_ahead: 0,
        }
    }

    /// The manifest the app was loaded from.
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// The `default` store, for tests and benchmarks (implements `shared::store::Backend`).
    pub fn kv(&self) -> KvStore {
        self.inner.db.store("default")
    }

    /// Any store label of the app's database.
    pub fn kv_store(&self, label: &str) -> KvStore {
        self.inner.db.store(label)
    }

    /// The database (its file path, summary).
    pub fn database(&self) -> &Database {
        &self.inner.db
    }

    /// `(component, route, wildcard)` in manifest order, for a `spin up`-style listing.
    pub fn routes(&self) -> Vec<(String, String, bool)> {
        self.inner
            .router
            .listing()
            .map(|(c, r, w)| (c.to_owned(), r.to_owned(), w))
            .collect()
    }

    /// Binds `addr` and serves the app on the current tokio runtime until the runtime ends; returns the
    /// bound address (port 0 → the chosen port). Each connection and request is handled concurrently.
    pub async fn serve(&self, addr: SocketAddr) -> Result<SocketAddr> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let local = listener.local_addr()?;
        let app = self.clone();
        if app.inner.listing {
            app.print_routes(local);
        }
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        eprintln!("test host: accept failed: {e}");
                        continue;
                    }
                };
                let app = app.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let app = app.clone();
                        async move { Ok::<_, std::convert::Infallible>(app.handle(req, peer).await) }
                    });
                    // HTTP/1.1 and HTTP/2, like Spin's server (hyper-util's auto builder).
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    if let Err(e) = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                    {
                        // Client hang-ups are normal; keep them quiet.
                        let _ = e;
                    }
                });
            }
        });
        Ok(local)
    }

    /// Prints the routes like `spin up`.
    pub fn print_routes(&self, addr: SocketAddr) {
        println!("Serving http://{addr}");
        println!("Available Routes:");
        for (component, route, wildcard) in self.routes() {
            let suffix = if wildcard { " (wildcard)" } else { "" };
            println!("  {component}: http://{addr}{route}{suffix}");
        }
    }

    /// Handles one request as Spin's HTTP trigger does.
    pub async fn handle(&self, req: http::Request<Incoming>, peer: SocketAddr) -> HttpResponse {
        match self.try_handle(req, peer).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("test host: error processing request: {e:?}");
                status_response(500)
            }
        }
    }

    async fn try_handle(
        &self,
        req: http::Request<Incoming>,
        peer: SocketAddr,
    ) -> Result<HttpResponse> {
        let (mut parts, body) = req.into_parts();
        // Spin 4.1 fails a request whose header value is not UTF-8 (e.g. a Latin-1 `¥`) before any
        // component runs: "invalid utf-8 sequence", 500 with an empty body.
        if let Some((name, _)) = parts
            .headers
            .iter()
            .find(|(_, value)| std::str::from_utf8(value.as_bytes()).is_err())
        {
            anyhow::bail!("invalid utf-8 sequence in the value of header {name}");
        }
        // Spin strips `Connection` (transport information only meaningful to the server).
        parts.headers.remove(http::header::CONNECTION);
        let path = parts.uri.path().to_owned();
        if let Some(well_known) = path.strip_prefix("/.well-known/spin/") {
            return Ok(match well_known {
                "health" => full_response(200, "OK"),
                _ => status_response(404),
            });
        }
        let Some(route) = self.inner.router.route(&path) else {
            // Spin: 404 with an empty body.
            return Ok(status_response(404));
        };
        // Spin makes the URI absolute from the Host header (set_req_uri) and builds spin-full-url from it.
        let host = parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| parts.uri.authority().map(|a| a.to_string()))
            .unwrap_or_else(|| "localhost".to_owned());
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        parts.uri = http::Uri::builder()
            .scheme("http")
            .authority(host.as_str())
            .path_and_query(path_and_query.as_str())
            .build()
            .context("rebuilding the request URI")?;
        let full_url = format!("http://{host}{path_and_query}");
        append_spin_headers(&mut parts.headers, &full_url, &route, peer)?;

        let handler = self
            .inner
            .handlers
            .get(&route.component)
            .with_context(|| format!("unknown component {:?}", route.component))?;
        let body = body
            .map_err(|e| handler::ErrorCode::P3(ErrorCode::InternalError(Some(e.to_string()))))
            .boxed_unsync();
        let request = http::Request::from_parts(parts, body);
        let response = wt(handler.handle((), request).await)?;
        Ok(response.map(|b| {
            b.map_err(|e| -> BoxError { e.to_string().into() })
                .boxed_unsync()
        }))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The response type of the server.
pub type HttpResponse = http::Response<UnsyncBoxBody<Bytes, BoxError>>;

fn full_response(status: u16, body: &'static str) -> HttpResponse {
    let mut r = http::Response::new(
        Full::new(Bytes::from_static(body.as_bytes()))
            .map_err(|e| -> BoxError { match e {} })
            .boxed_unsync(),
    );
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    r
}

fn status_response(status: u16) -> HttpResponse {
    full_response(status, "")
}

/// What a component's workers need: its pre-instance and grants.
struct ComponentState {
    pre: ProxyPre<Ctx>,
    grants: Arc<ComponentGrants>,
    allowed_hosts: Arc<AllowedHosts>,
    ahead: Duration,
}

impl HandlerState for ComponentState {
    type StoreData = Ctx;
    type WorkerExpiration = Expiration;
    type WorkerState = Worker;

    async fn instantiate(&self) -> wasmtime::Result<Instance<Ctx, Expiration, Worker>> {
        let ctx = Ctx::new(
            self.grants.clone(),
            OutboundHooks::new(self.allowed_hosts.clone()),
            self.ahead,
        );
        let mut store = Store::new(engine(), ctx);
        store.limiter(|ctx| &mut ctx.memory);
        let proxy = self.pre.instantiate_async(&mut store).await?;
        Ok(Instance {
            store,
            proxy,
            view: ViewFn::P3(Ctx::http_view),
            expiration: Expiration {
                idle_timeout: IDLE_INSTANCE_TIMEOUT,
                sleep: Box::pin(tokio::time::sleep(Duration::MAX)),
            },
            state: Worker,
        })
    }
}

/// When a worker's instance is dropped: after `idle_timeout` idle (Spin's `HttpWorkerExpiration` with
/// its default of no request timeout).
pub struct Expiration {
    idle_timeout: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl WorkerExpiration for Expiration {
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        let timeout = match status {
            WorkerStatus::Idle => self.idle_timeout,
            // Spin's default request timeout is none.
            WorkerStatus::Requests | WorkerStatus::PostReturn => return Poll::Pending,
        };
        match start.checked_add(timeout) {
            Some(deadline) => {
                let deadline = tokio::time::Instant::from_std(deadline);
                if self.sleep.deadline() != deadline {
                    self.sleep.as_mut().reset(deadline);
                }
                self.sleep.as_mut().poll(cx)
            }
            None => Poll::Pending,
        }
    }
}

/// Spin's `HttpWorkerState`: accept up to 128 requests in total and 16 at once per instance.
pub struct Worker;

impl WorkerState for Worker {
    type StoreData = Ctx;
    type RequestId = ();

    fn should_accept_request(&self, concurrent: usize, total: usize) -> ShouldAccept {
        if total >= MAX_INSTANCE_REUSE_COUNT {
            ShouldAccept::Never
        } else if concurrent >= MAX_INSTANCE_CONCURRENT_REUSE_COUNT {
            ShouldAccept::No
        } else {
            ShouldAccept::Yes
        }
    }

    fn on_request_start(
        &self,
        _: StoreContextMut<'_, Ctx>,
        _: (),
        _: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync + 'static>> {
        // No request timeout (Spin's default).
        Box::pin(std::future::pending())
    }

    fn drop(&self, store: Store<Ctx>, result: Result<(), wasmtime::Error>) {
        // A worker dropped at runtime shutdown reports "worker panicked"; only real failures are news.
        // (Compare the message alone: the Debug form carries a backtrace.)
        if let Err(error) = result
            && error.to_string() != "worker panicked"
        {
            eprintln!("test host: worker failed: {error:?}");
        }
        drop(store);
    }
}

impl AppBuilder {
    /// Print the routes when serving starts (the local run).
    pub fn print_routes(mut self, yes: bool) -> Self {
        self.listing = yes;
        self
    }
}
