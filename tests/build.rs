//! Builds every wasm crate of the workspace (`components/*`, `tests/fixtures/*`) for wasm32-wasip2 in
//! release, so `cargo test`/`cargo bench`/`cargo run --bin serve` always run the current components.
//!
//! The inner cargo uses its own target dir (`target/components`): sharing the outer build's dir would
//! wait forever on the lock the outer cargo holds. Each `.wasm` is then copied to
//! `target/wasm32-wasip2/release/`, the path spin.toml's `source` names (where `spin build` writes).
//!
//! `HOST_BUILD_ONLY=probe,forms` restricts the build to those crates (e.g. while another crate is
//! mid-edit and does not compile).
//!
//! rustup installs `rust-toolchain.toml`'s `targets` only when it installs the toolchain itself, so on a
//! machine whose 1.95.0 toolchain came without `wasm32-wasip2` this script adds the target through rustup
//! (its own download). Without rustup it fails with the command to run: it never skips the components.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf();

    for p in [
        "components",
        "shared",
        "tests/fixtures",
        "Cargo.toml",
        "Cargo.lock",
        "spin.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
    println!("cargo:rerun-if-env-changed=HOST_BUILD_ONLY");

    let only: Option<Vec<String>> = std::env::var("HOST_BUILD_ONLY").ok().map(|s| {
        s.split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect()
    });

    let mut crates = Vec::new();
    for dir in ["components", "tests/fixtures"] {
        crates.extend(wasm_crates(&root.join(dir)));
    }
    if let Some(only) = &only {
        crates.retain(|name| only.contains(name));
    }
    if crates.is_empty() {
        println!("cargo:warning=no wasm crates to build");
        return;
    }

    ensure_wasm_target();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let inner_target = root.join("target").join("components");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .env("CARGO_TARGET_DIR", &inner_target);
    for name in &crates {
        cmd.args(["-p", name]);
    }
    // The outer build's flags and wrappers are for the host target, not wasm.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    let output = cmd.output().expect("running the inner cargo");
    if !output.status.success() {
        panic!(
            "building the wasm components failed ({}):\n{}\n{}\n(HOST_BUILD_ONLY=<crate,...> builds only some)",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let out_dir = root.join("target").join("wasm32-wasip2").join("release");
    std::fs::create_dir_all(&out_dir).expect("creating target/wasm32-wasip2/release");
    for name in &crates {
        let file = format!("{}.wasm", name.replace('-', "_"));
        let from = inner_target
            .join("wasm32-wasip2")
            .join("release")
            .join(&file);
        let to = out_dir.join(&file);
        // Copy only when changed, so the mtime (the host's compile-cache key) moves only on a rebuild.
        let same = std::fs::read(&from).ok() == std::fs::read(&to).ok();
        if !same {
            std::fs::copy(&from, &to)
                .unwrap_or_else(|e| panic!("copying {} to {}: {e}", from.display(), to.display()));
        }
    }
}

const WASM_TARGET: &str = "wasm32-wasip2";

/// Makes sure the compiler has the wasm target's standard library, adding it with rustup if not.
fn ensure_wasm_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if target_installed(&rustc) {
        return;
    }
    // RUSTUP_TOOLCHAIN is set by rustup's proxy for the cargo that runs this script: add the target to
    // exactly that toolchain, not to whatever `rustup default` names.
    let toolchain = std::env::var("RUSTUP_TOOLCHAIN").ok();
    let mut cmd = Command::new("rustup");
    cmd.args(["target", "add", WASM_TARGET]);
    if let Some(toolchain) = &toolchain {
        cmd.args(["--toolchain", toolchain]);
    }
    println!(
        "cargo:warning=installing the {WASM_TARGET} target with rustup (first build on this machine)"
    );
    match cmd.output() {
        Ok(out) if out.status.success() && target_installed(&rustc) => {}
        Ok(out) => panic!(
            "`rustup target add {WASM_TARGET}` failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "the {WASM_TARGET} target is not installed and rustup could not be run ({e}); \
             install the target for the toolchain in rust-toolchain.toml, then build again"
        ),
    }
}

/// Whether `rustc` finds a standard library for the wasm target (its target libdir holds `libcore`).
fn target_installed(rustc: &str) -> bool {
    let Ok(out) = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", WASM_TARGET])
        .output()
    else {
        return false;
    };
    if !out.status.success() {
        return false;
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with("libcore-"))
    })
}

/// The package names of the crates directly under `dir` (each a folder with a Cargo.toml).
fn wasm_crates(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec![];
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("Cargo.toml")).ok())
        .filter_map(|toml| package_name(&toml))
        .collect();
    names.sort();
    names
}

/// `name = "..."` of the `[package]` table (a line scan: build scripts keep dependencies out).
fn package_name(toml: &str) -> Option<String> {
    let mut in_package = false;
    for line in toml.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(rest) = line.strip_prefix("name")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_owned());
        }
    }
    None
}
