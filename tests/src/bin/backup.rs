//! `backup --from STORE --to FILE [--label default]`: a consistent backup of the app's store, taken
//! while it runs (STORE: Spin's SQLite file or a `redis://` URL), into one new file holding the
//! register's signed checkpoint of that moment. See the README's "Backups and restores".

use anyhow::Result;
use std::path::PathBuf;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let usage = "usage: backup --from SQLITE_FILE|REDIS_URL --to FILE [--label default]";
    let mut flags = host::cli::Flags::from_env(usage, &["--from", "--to", "--label"])?;
    let (from, to) = (
        flags.required("--from")?,
        PathBuf::from(flags.required("--to")?),
    );
    let label = flags.or("--label", "default");
    let info = host::kv::backup::backup(&from, &label, &to).await?;
    let register = match &info.checkpoint {
        Some(note) => format!(
            "register checkpoint at {} leaves",
            note.lines().nth(1).unwrap_or("?")
        ),
        None => "no register checkpoint yet (the register job has not run)".to_owned(),
    };
    println!(
        "backed up {} keys from {} ({}) into {} at {}; {register}",
        info.keys,
        info.source,
        host::kv::backup::server_name(&from),
        to.display(),
        info.taken_at
    );
    Ok(())
}
