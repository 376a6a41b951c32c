//! `restore --from FILE --mirror DIR --to STORE`: loads a backup into an empty store (STORE: a SQLite
//! file, created in Spin's layout if absent, or an empty `redis://` server) and replays every erasure,
//! opt-out, unsubscribe and retention deletion the mirrored register sealed after the backup, before the
//! app serves. See the README's "Backups and restores".

use anyhow::Result;
use std::path::PathBuf;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let usage = "usage: restore --from BACKUP_FILE --mirror DIR --to SQLITE_FILE|REDIS_URL";
    let mut flags = host::cli::Flags::from_env(usage, &["--from", "--mirror", "--to"])?;
    let from = PathBuf::from(flags.required("--from")?);
    let mirror = PathBuf::from(flags.required("--mirror")?);
    let to = flags.required("--to")?;
    let done = host::kv::backup::restore(&from, &mirror, &to).await?;
    let r = &done.replayed;
    println!(
        "restored {} values and {} counters into {}",
        done.copied.values,
        done.copied.counters,
        host::kv::backup::server_name(&to)
    );
    println!(
        "register: {} leaves at the backup, {} in the mirror; replayed {} leaves: {} records erased, \
         {} opt-outs, {} unsubscribes, {} requests forgotten, {} records' full IPs dropped, {} mails \
         marked sent, {} API keys revoked",
        done.from,
        done.size,
        r.leaves,
        r.erased,
        r.opt_outs,
        r.unsubscribed,
        r.forgotten,
        r.minimised,
        r.sent,
        r.revoked
    );
    if r.unreadable > 0 {
        println!(
            "{} leaves of the mirror held no readable entry",
            r.unreadable
        );
    }
    if !r.lost_rectifications.is_empty() {
        println!(
            "corrected after the backup, to correct again (the register names the fields, not the values): {}",
            r.lost_rectifications.join(", ")
        );
    }
    if !r.lost_requests.is_empty() {
        println!(
            "lost with the backup: {} privacy requests received after it ({}); their register entries \
             remain, their people must be asked to ask again",
            r.lost_requests.len(),
            r.lost_requests.join(", ")
        );
    }
    Ok(())
}
