//! `audit`: the register's auditor on the command line (see the library's documentation).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
