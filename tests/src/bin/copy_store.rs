//! `copy-store --from .spin/sqlite_key_value.db --to redis://host:6379 [--label default]`: moves the
//! app's store from Spin's SQLite file to an empty Redis / Valkey server, counters converted. Stop the
//! app first.

use anyhow::{Context, Result, bail};
use std::path::PathBuf;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let usage = "usage: copy-store --from SQLITE_FILE --to REDIS_URL [--label default]";
    let (mut from, mut to, mut label) = (None, None, "default".to_owned());
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value; {usage}"))?;
        match flag.as_str() {
            "--from" => from = Some(PathBuf::from(value)),
            "--to" => to = Some(value),
            "--label" => label = value,
            _ => bail!("unknown argument {flag}; {usage}"),
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        bail!("{usage}")
    };
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
