//! `audit`: the register's auditor on the command line (see the library's documentation), and
//! `audit mirror`, which copies the register to a folder off the machine (see [`audit::mirror`]).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("mirror") {
        let (args, to) = audit::mirror_args()?;
        let run = audit::mirror::mirror(&args, &to).await?;
        println!(
            "mirrored {} leaves into {} ({} new since the last run; {} tiles fetched)",
            run.size,
            to.display(),
            run.size - run.before,
            run.fetched
        );
        return Ok(());
    }
    let args = audit::args()?;
    let findings = audit::audit(&args).await?;
    for finding in &findings {
        println!("FAIL {finding}");
    }
    if findings.is_empty() {
        println!("ok: every check passed");
        Ok(())
    } else {
        std::process::exit(1)
    }
}
