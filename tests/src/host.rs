//! The per-instance host state (`Ctx`, the wasmtime `Store` data) and the Spin interfaces implemented on
//! it: `spin:key-value@3.0.0`, `wasi:keyvalue@0.2.0-draft2` (store, atomics, batch) and
//! `spin:variables@3.0.0`, with Spin's access rules (crates/factor-key-value/src/host.rs,
//! crates/factor-variables/src/host.rs).

use crate::bindings::{
    spin::key_value::key_value as spin_kv, spin::variables::variables as spin_vars,
    wasi::keyvalue::atomics as wasi_atomics, wasi::keyvalue::batch as wasi_batch,
    wasi::keyvalue::store as wasi_store,
};
use crate::kv::{Cas, Database, KvError, KvStore};
use crate::outbound::OutboundHooks;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Accessor, FutureReader, HasData, Resource, ResourceTable, StreamReader};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::WasiHttpCtx;
use wasmtime_wasi_http::p3::{WasiHttpCtxView, WasiHttpView};

/// An open store, as the guest's `store` / `bucket` resource.
pub struct KvHandle {
    store: KvStore,
}

/// A compare-and-swap in progress (`wasi:keyvalue/atomics.cas`), kept as the store's backend keeps it.
pub struct CasHandle {
    cas: Cas,
}

/// What one component may reach; shared by all its instances.
pub struct ComponentGrants {
    pub component_id: String,
    pub db: Database,
    /// `key_value_stores` of the component.
    pub allowed_stores: HashSet<String>,
    /// Store labels the host defines (Spin with no runtime config: only `default`).
    pub defined_stores: HashSet<String>,
    /// The component's variables, already rendered: name → value.
    pub variables: HashMap<String, String>,
}

/// The machine's wall clock moved forward: the app as it will be days from now (retention, expiry).
struct AheadClock(Duration);

impl wasmtime_wasi::HostWallClock for AheadClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        since_epoch + self.0
    }
}

/// The Spin-specific state of one instance.
pub struct SpinHost {
    grants: Arc<ComponentGrants>,
    /// Open stores and CAS handles of this instance.
    table: ResourceTable,
}

/// The store data of one instance: WASI, WASI HTTP (with the outbound grants) and Spin's interfaces.
pub struct Ctx {
    /// Watches the instance's linear memory for [`peak_guest_memory`].
    pub memory: MemoryWatch,
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHooks,
    spin: SpinHost,
}

impl Ctx {
    /// `ahead`: how far the instance's wall clock runs ahead of the machine's (zero but for
    /// [`crate::AppBuilder::days_ahead`]).
    pub fn new(grants: Arc<ComponentGrants>, hooks: OutboundHooks, ahead: Duration) -> Self {
        let mut wasi = wasmtime_wasi::WasiCtxBuilder::new();
        // Guest stdout/stderr go to the host's, like `spin up` (which logs them to the terminal).
        wasi.inherit_stdout().inherit_stderr();
        if !ahead.is_zero() {
            wasi.wall_clock(AheadClock(ahead));
        }
        Self {
            memory: MemoryWatch,
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            hooks,
            spin: SpinHost {
                grants,
                table: ResourceTable::new(),
            },
        }
    }

    /// The `WasiHttpCtxView` getter `ProxyHandler` needs (a plain `fn`).
    pub fn http_view(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            hooks: &mut self.hooks,
            table: &mut self.table,
            ctx: &mut self.http,
        }
    }

    /// The getter for [`crate::bindings::Host::add_to_linker`].
    pub fn spin(&mut self) -> &mut SpinHost {
        &mut self.spin
    }
}

impl WasiView for Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Ctx {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        self.http_view()
    }
}

/// The `HasData` marker for the Spin interfaces: their host functions get `&mut SpinHost`.
pub struct SpinData;

impl HasData for SpinData {
    type Data<'a> = &'a mut SpinHost;
}

/// The outcome of opening a store by label, before mapping onto each interface's error type.
enum Open {
    Ok(KvStore),
    AccessDenied,
    NoSuchStore,
}

impl SpinHost {
    /// Spin's order: not in `key_value_stores` → access-denied (whether or not it exists); granted but
    /// not a store the host defines → no-such-store. (Spin also refuses at app load a grant of a label
    /// it does not define; the host does the same in `App::load`.)
    fn open_label(&self, label: &str) -> Open {
        if !self.grants.allowed_stores.contains(label) {
            Open::AccessDenied
        } else if !self.grants.defined_stores.contains(label) {
            Open::NoSuchStore
        } else {
            Open::Ok(self.grants.db.store(label))
        }
    }

    fn store(&self, handle: &Resource<KvHandle>) -> wasmtime::Result<KvStore> {
        Ok(self.table.get(handle)?.store.clone())
    }
}

/// Maps a store failure onto a WIT error, trapping on the failures Spin would panic on.
fn kv_result<T, E>(
    r: Result<T, KvError>,
    other: impl Fn(String) -> E,
) -> wasmtime::Result<Result<T, E>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(KvError::Other(m)) => Ok(Err(other(m))),
        Err(e @ KvError::NotACounter(_)) => Err(wasmtime::format_err!("{e}")),
    }
}

// ---- spin:key-value@3.0.0 (async functions, called with an accessor) ----

impl spin_kv::Host for SpinHost {}

impl spin_kv::HostStore for SpinHost {
    async fn drop(&mut self, rep: Resource<KvHandle>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

fn with_store<T>(
    accessor: &Accessor<T, SpinData>,
    handle: &Resource<KvHandle>,
) -> wasmtime::Result<KvStore> {
    accessor.with(|mut access| access.get().store(handle))
}

impl<T> spin_kv::HostStoreWithStore<T> for SpinData {
    async fn open(
        accessor: &Accessor<T, Self>,
        label: String,
    ) -> wasmtime::Result<Result<Resource<KvHandle>, spin_kv::Error>> {
        accessor.with(|mut access| {
            let host = access.get();
            match host.open_label(&label) {
                Open::AccessDenied => Ok(Err(spin_kv::Error::AccessDenied)),
                Open::NoSuchStore => Ok(Err(spin_kv::Error::NoSuchStore)),
                Open::Ok(store) => match host.table.push(KvHandle { store }) {
                    Ok(r) => Ok(Ok(r)),
                    Err(_) => Ok(Err(spin_kv::Error::StoreTableFull)),
                },
            }
        })
    }

    async fn get(
        accessor: &Accessor<T, Self>,
        self_: Resource<KvHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, spin_kv::Error>> {
        let store = with_store(accessor, &self_)?;
        kv_result(store.read(&key).await, spin_kv::Error::Other)
    }

    async fn set(
        accessor: &Accessor<T, Self>,
        self_: Resource<KvHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), spin_kv::Error>> {
        let store = with_store(accessor, &self_)?;
        kv_result(store.write(&key, &value).await, spin_kv::Error::Other)
    }

    async fn delete(
        accessor: &Accessor<T, Self>,
        self_: Resource<KvHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), spin_kv::Error>> {
        let store = with_store(accessor, &self_)?;
        kv_result(store.remove(&key).await, spin_kv::Error::Other)
    }

    async fn exists(
        accessor: &Accessor<T, Self>,
        self_: Resource<KvHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, spin_kv::Error>> {
        let store = with_store(accessor, &self_)?;
        kv_result(store.contains(&key).await, spin_kv::Error::Other)
    }

    /// Traps on purpose. On Spin's SQLite store `get-keys` holds the one connection until its stream is
    /// drained, so any other store call made before that hangs the whole store; listing keys is also
    /// O(store). The product never lists keys, so any call is a bug to surface loudly.
    async fn get_keys(
        _accessor: &Accessor<T, Self>,
        _self_: Resource<KvHandle>,
    ) -> wasmtime::Result<(
        StreamReader<String>,
        FutureReader<Result<(), spin_kv::Error>>,
    )> {
        Err(wasmtime::format_err!(
            "test host: spin:key-value get-keys was called. On Spin's SQLite store an undrained \
             get-keys stream hangs every other store call, and listing keys is O(store): keep it off \
             request paths (see PRODUCT.md, \"Draining get-keys\")"
        ))
    }
}

// ---- wasi:keyvalue@0.2.0-draft2 (sync functions) ----

fn wasi_other(m: String) -> wasi_store::Error {
    wasi_store::Error::Other(m)
}

impl wasi_store::Host for SpinHost {
    async fn open(
        &mut self,
        identifier: String,
    ) -> wasmtime::Result<Result<Resource<KvHandle>, wasi_store::Error>> {
        Ok(match self.open_label(&identifier) {
            Open::AccessDenied => Err(wasi_store::Error::AccessDenied),
            Open::NoSuchStore => Err(wasi_store::Error::NoSuchStore),
            Open::Ok(store) => match self.table.push(KvHandle { store }) {
                Ok(r) => Ok(r),
                Err(_) => Err(wasi_store::Error::Other("store table full".into())),
            },
        })
    }
}

impl wasi_store::HostBucket for SpinHost {
    async fn get(
        &mut self,
        self_: Resource<KvHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wasi_store::Error>> {
        kv_result(self.store(&self_)?.read(&key).await, wasi_other)
    }

    async fn set(
        &mut self,
        self_: Resource<KvHandle>,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), wasi_store::Error>> {
        kv_result(self.store(&self_)?.write(&key, &value).await, wasi_other)
    }

    async fn delete(
        &mut self,
        self_: Resource<KvHandle>,
        key: String,
    ) -> wasmtime::Result<Result<(), wasi_store::Error>> {
        kv_result(self.store(&self_)?.remove(&key).await, wasi_other)
    }

    async fn exists(
        &mut self,
        self_: Resource<KvHandle>,
        key: String,
    ) -> wasmtime::Result<Result<bool, wasi_store::Error>> {
        kv_result(self.store(&self_)?.contains(&key).await, wasi_other)
    }

    /// Traps on purpose, like `get-keys` above: listing keys is O(store) and never on a request path.
    async fn list_keys(
        &mut self,
        _self_: Resource<KvHandle>,
        _cursor: Option<String>,
    ) -> wasmtime::Result<Result<wasi_store::KeyResponse, wasi_store::Error>> {
        Err(wasmtime::format_err!(
            "test host: wasi:keyvalue list-keys was called; listing keys is O(store) and the product \
             never lists keys (see PRODUCT.md, \"Draining get-keys\")"
        ))
    }

    async fn drop(&mut self, rep: Resource<KvHandle>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl wasi_batch::Host for SpinHost {
    /// Spin's SQLite `get_many`: one query; only the keys that exist are returned.
    async fn get_many(
        &mut self,
        bucket: Resource<KvHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<Vec<(String, Option<Vec<u8>>)>, wasi_store::Error>> {
        kv_result(self.store(&bucket)?.read_many(keys).await, wasi_other)
    }

    /// One transaction, one commit.
    async fn set_many(
        &mut self,
        bucket: Resource<KvHandle>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> wasmtime::Result<Result<(), wasi_store::Error>> {
        kv_result(
            self.store(&bucket)?.write_many(key_values).await,
            wasi_other,
        )
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<KvHandle>,
        keys: Vec<String>,
    ) -> wasmtime::Result<Result<(), wasi_store::Error>> {
        kv_result(self.store(&bucket)?.remove_many(keys).await, wasi_other)
    }
}

impl wasi_atomics::HostCas for SpinHost {
    async fn new(
        &mut self,
        bucket: Resource<KvHandle>,
        key: String,
    ) -> wasmtime::Result<Result<Resource<CasHandle>, wasi_store::Error>> {
        let cas = match self.store(&bucket)?.cas(&key).await {
            Ok(cas) => cas,
            Err(e) => return kv_result(Err(e), wasi_other),
        };
        Ok(self
            .table
            .push(CasHandle { cas })
            .map_err(|_| wasi_store::Error::Other("too many compare_and_swaps opened".into())))
    }

    async fn current(
        &mut self,
        self_: Resource<CasHandle>,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, wasi_store::Error>> {
        let handle = self.table.get_mut(&self_)?;
        kv_result(handle.cas.current().await, wasi_other)
    }

    async fn drop(&mut self, rep: Resource<CasHandle>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl wasi_atomics::Host for SpinHost {
    /// SQLite: 8 little-endian bytes, trapping on a key holding anything else (Spin's SQLite store
    /// panics). Redis: `INCRBY`.
    async fn increment(
        &mut self,
        bucket: Resource<KvHandle>,
        key: String,
        delta: i64,
    ) -> wasmtime::Result<Result<i64, wasi_store::Error>> {
        kv_result(self.store(&bucket)?.add(&key, delta).await, wasi_other)
    }

    /// Spin's `swap` (crates/factor-key-value/src/host.rs): when the backend says the swap failed, a
    /// fresh CAS handle on the same key that has already read the current value.
    async fn swap(
        &mut self,
        cas: Resource<CasHandle>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), wasi_atomics::CasError>> {
        let store_error =
            |m: String| wasi_atomics::CasError::StoreError(wasi_store::Error::Other(m));
        let CasHandle { cas } = self.table.delete(cas)?;
        let (store, key) = (cas.store().clone(), cas.key().to_owned());
        match cas.swap(&value).await {
            Ok(true) => Ok(Ok(())),
            Ok(false) => {
                let mut fresh = match store.cas(&key).await {
                    Ok(fresh) => fresh,
                    Err(e) => return kv_result(Err(e), store_error),
                };
                if let Err(e) = fresh.current().await {
                    return kv_result(Err(e), store_error);
                }
                let fresh = self.table.push(CasHandle { cas: fresh })?;
                Ok(Err(wasi_atomics::CasError::CasFailed(fresh)))
            }
            Err(e) => kv_result(Err(e), store_error),
        }
    }
}

// ---- spin:variables@3.0.0 ----

impl spin_vars::Host for SpinHost {}

impl<T> spin_vars::HostWithStore<T> for SpinData {
    /// Spin: an invalid name is `invalid-name`; a name the component does not declare in
    /// `[component.x.variables]` is `undefined`, even if the app defines it.
    async fn get(
        accessor: &Accessor<T, Self>,
        name: String,
    ) -> wasmtime::Result<Result<String, spin_vars::Error>> {
        if let Err(e) = crate::manifest::validate_variable_name(&name) {
            return Ok(Err(spin_vars::Error::InvalidName(e)));
        }
        accessor.with(|mut access| {
            let grants = &access.get().grants;
            Ok(match grants.variables.get(&name) {
                Some(v) => Ok(v.clone()),
                None => Err(spin_vars::Error::Undefined(format!(
                    "no variable for {:?}.{name:?}",
                    grants.component_id
                ))),
            })
        })
    }
}

/// The largest linear memory any guest instance has asked for since the last
/// [`reset_peak_guest_memory`], in bytes. Wasm memory only grows, so this is a component's peak memory
/// (for the benchmarks: run one component's requests between a reset and a read).
static PEAK_GUEST_MEMORY: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub fn peak_guest_memory() -> usize {
    PEAK_GUEST_MEMORY.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn reset_peak_guest_memory() {
    PEAK_GUEST_MEMORY.store(0, std::sync::atomic::Ordering::Relaxed);
}

/// A [`wasmtime::ResourceLimiter`] that limits nothing and records every memory's size.
pub struct MemoryWatch;

impl wasmtime::ResourceLimiter for MemoryWatch {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        PEAK_GUEST_MEMORY.fetch_max(desired, std::sync::atomic::Ordering::Relaxed);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}
