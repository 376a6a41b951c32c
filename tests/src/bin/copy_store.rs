//! `copy-store --from .spin/sqlite_key_value.db --to redis://host:6379 [--label default]`: moves the
//! app's store from Spin's SQLite file to an empty Redis / Valkey server, counters converted. Stop the
//! app first.

use anyhow::Result;
use std::path::PathBuf;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let usage = "usage: copy-store --from SQLITE_FILE --to REDIS_URL [--label default]";
    let mut flags = host::cli::Flags::from_env(usage, &["--from", "--to", "--label"])?;
    let (from, to) = (
        PathBuf::from(flags.required("--from")?),
        flags.required("--to")?,
    );
    let label = flags.or("--label", "default");
    let copied = host::kv::copy::sqlite_to_redis(&from, &label, &to).await?;
    let server = host::kv::backup::server_name(&to);
    println!(
        "copied {} values and {} counters from {} to {server}",
        copied.values,
        copied.counters,
        from.display()
    );
    Ok(())
}
