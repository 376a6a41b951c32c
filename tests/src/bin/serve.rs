//! The local run, like `spin up`: serves the project's spin.toml on 127.0.0.1:3000 with the file store
//! `.spin/sqlite_key_value.db` next to the manifest.
//!
//! `cargo run -p host --bin serve -- [--manifest PATH] [--listen ADDR]`
//!
//! App variables come from `SPIN_VARIABLE_<NAME>` or their defaults. Unlike Spin, a required *secret*
//! variable with no value gets a random ephemeral value (announced loudly on stderr), so a first run
//! needs no setup; set the variable to keep signatures valid across restarts.

use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<()> {
    let mut manifest = host::workspace_root().join("spin.toml");
    let mut listen: SocketAddr = "127.0.0.1:3000".parse()?;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--manifest" | "-f" => {
                manifest = PathBuf::from(args.next().context("--manifest needs a path")?);
            }
            "--listen" => {
                listen = args
                    .next()
                    .context("--listen needs an address")?
                    .parse()
                    .context("--listen expects ADDR:PORT, e.g. 127.0.0.1:3000")?;
            }
            "-h" | "--help" => {
                println!("usage: serve [--manifest PATH] [--listen ADDR:PORT]");
                return Ok(());
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    let app = host::App::builder(&manifest)
        .default_file_store()
        .ephemeral_secrets(true)
        .print_routes(true)
        .build()?;
    println!(
        "Storing default key-value data to {}.",
        app.database().summary()
    );
    app.serve(listen).await?;
    tokio::signal::ctrl_c().await?;
    Ok(())
}
