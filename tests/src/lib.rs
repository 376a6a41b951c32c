//! The project's test host: a wasmtime host that behaves like Spin 4.1 for the parts this app uses
//! (HTTP trigger and routing, `spin-*` headers, instance reuse, key-value over SQLite, variables,
//! outbound HTTP grants), for integration tests, benchmarks and the local run (`serve`).

pub mod app;
pub mod bindings;
pub mod cli;
pub mod host;
pub mod jobs_line;
pub mod kv;
pub mod manifest;
pub mod outbound;
pub mod routing;
pub mod vars;

pub use app::{App, AppBuilder};
pub use kv::KvStore;

/// The workspace root (the directory holding the project's `spin.toml`).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}
