//! Host bindings for the Spin interfaces the host implements itself (WIT copied to tests/wit/ from
//! spin-sdk 7.0.0): `spin:key-value@3.0.0`, `spin:variables@3.0.0` and `wasi:keyvalue@0.2.0-draft2`.

#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "wit",
    world: "marketing:test-host/host",
    // Every import is async on the host (the store is behind a lock) and may trap: the host traps where
    // Spin would hang or panic (get-keys, increment on a non-counter) so such bugs fail loudly.
    imports: { default: async | trappable },
    with: {
        "spin:key-value/key-value.store": crate::host::KvHandle,
        "wasi:keyvalue/store.bucket": crate::host::KvHandle,
        "wasi:keyvalue/atomics.cas": crate::host::CasHandle,
    },
});
