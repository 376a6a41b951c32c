//! Reading the app-wide Spin variables that several components share (where links point, who sends
//! mail), with one error message each, so that every component refuses a bad value alike.

use crate::domain::{EmailAddress, WebUrl};
use anyhow::{Context, bail};

/// A variable holding a whole number above 0 (a lifetime, an interval).
pub fn positive_number(name: &str, raw: &str) -> anyhow::Result<i64> {
    let n: i64 = raw
        .trim()
        .parse()
        .with_context(|| format!("variable {name} must be a whole number"))?;
    if n <= 0 {
        bail!("variable {name} must be above 0");
    }
    Ok(n)
}

/// The sender of the app's mail: one line holding an address (a display name may come first).
pub fn mail_from(raw: &str) -> anyhow::Result<String> {
    let raw = raw.trim();
    let address = raw
        .rsplit_once('<')
        .map_or(raw, |(_, rest)| rest.trim_end_matches('>'));
    EmailAddress::parse(address)
        .map_err(|e| anyhow::anyhow!("variable mail_from: {}", e.message))?;
    if raw.chars().any(char::is_control) {
        bail!("variable mail_from must be one line");
    }
    Ok(raw.to_owned())
}

/// Where links in emails point: https, or plain http on a loopback address for local runs (mail clients
/// and RFC 8058 one-click need https links).
pub fn public_base_url(raw: &str) -> anyhow::Result<String> {
    let url = WebUrl::parse(raw)
        .map_err(|e| anyhow::anyhow!("variable public_base_url: {}", e.message))?;
    let url = url.as_str().trim_end_matches('/');
    let local = ["http://127.0.0.1", "http://localhost"]
        .iter()
        .any(|origin| {
            url == *origin
                || url.starts_with(&format!("{origin}:"))
                || url.starts_with(&format!("{origin}/"))
        });
    if !url.starts_with("https://") && !local {
        bail!(
            "variable public_base_url must be an https URL (plain http only on 127.0.0.1 or localhost)"
        );
    }
    Ok(url.to_owned())
}
