//! Consent signals in Chromium: Google Consent Mode's `default` before any tag and `update` after each
//! choice (and on every load with a stored one) with the stand-in analytics tag following
//! `analytics_storage`; the opt-out notice a visitor from a configured country sees (through a trusted
//! proxy header Chromium is told to send), Global Privacy Control shown as honoured, and the one-time
//! question after the signal overrode an earlier opt-in. Every banner state passes axe-core, and no page
//! raises a Content-Security-Policy violation.

use super::{accessible, ready, receipt, until};
use crate::harness::TestApp;
use anyhow::{Context, Result, ensure};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use shared::domain::Regime;
use shared::records::ConsentMethod;
use std::time::Duration;

const GERMANY: &str = "80.128.0.77";
const UNITED_STATES: &str = "8.8.8.8";

pub async fn signals_scenario(app: &TestApp, c: &Client) -> Result<()> {
    // Every new document collects its CSP violations before any of its own scripts run.
    cdp(
        c,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "window.__csp = []; document.addEventListener('securitypolicyviolation', \
                e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"}),
    )
    .await?;
    cdp(c, "Network.enable", json!({})).await?;
    from(c, GERMANY, false).await?;

    // Before any click: the default, every type but security_storage denied, and no tag.
    c.goto(&app.url("/")).await?;
    banner(c).await?;
    let layer = data_layer(c).await?;
    let default = layer
        .iter()
        .find(|e| e[0] == "consent" && e[1] == "default")
        .context("a consent default")?;
    for (t, state) in default[2].as_object().context("the default's types")? {
        let expected = match t.as_str() {
            "wait_for_update" => json!(500),
            "security_storage" => json!("granted"),
            _ => json!("denied"),
        };
        ensure!(*state == expected, "default {t}: {state}");
    }
    ensure!(!tag_loaded(c).await?, "the tag waited for consent");
    no_violations(c, "the demo site").await?;

    // "Accept all": an update with the mapped types granted, then the tag.
    press(c, "accept").await?;
    until(c, "window.__standInTagLoaded === true", "the tag loads").await?;
    let (update, tag) = update_then_tag(c).await?;
    for t in [
        "ad_storage",
        "ad_user_data",
        "ad_personalization",
        "analytics_storage",
    ] {
        ensure!(update[t] == "granted", "{t} granted: {update}");
    }
    ensure!(update["functionality_storage"] == "denied", "{update}");
    ensure!(tag.is_some(), "the tag ran after the update");
    until(
        c,
        "window.__standInAdTagLoaded === true",
        "the advertising tag loads",
    )
    .await?;

    // A reload with the stored decision repeats the update before the tag.
    c.refresh().await?;
    ready(c).await?;
    until(
        c,
        "window.__standInTagLoaded === true",
        "the tag loads again",
    )
    .await?;
    let (update, tag) = update_then_tag(c).await?;
    ensure!(update["analytics_storage"] == "granted" && tag.is_some());
    no_violations(c, "the demo site after a choice").await?;

    // A fresh profile that rejects: the tag never loads.
    c.delete_all_cookies().await?;
    c.refresh().await?;
    banner(c).await?;
    press(c, "reject").await?;
    until(
        c,
        "window.marketingConsent.get() !== null",
        "the refusal is recorded",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    ensure!(!tag_loaded(c).await?, "refused, the tag never loads");
    no_advertising(c, "refused").await?;

    // A visitor from an opt-out country with Global Privacy Control: the notice, the signal shown as
    // honoured, analytics running (nothing is blocked before a choice) but advertising denied.
    c.delete_all_cookies().await?;
    let flag = from(c, UNITED_STATES, true).await?;
    c.refresh().await?;
    banner(c).await?;
    let notice = c.find(Locator::Css(".mc-banner")).await?.text().await?;
    ensure!(
        notice.contains("Do not sell or share my personal information")
            && notice.contains("Opt-out request honored"),
        "the opt-out notice: {notice}"
    );
    accessible(c, "the opt-out notice with Global Privacy Control").await?;
    until(
        c,
        "window.__standInTagLoaded === true",
        "the tag runs under the notice",
    )
    .await?;
    let (update, _) = update_then_tag(c).await?;
    ensure!(update["analytics_storage"] == "granted", "{update}");
    no_advertising(c, "the notice under the signal").await?;
    press(c, "do-not-sell").await?;
    until(
        c,
        "window.marketingConsent.get() !== null",
        "the opt-out is recorded",
    )
    .await?;
    let id = consent_id(c).await?;
    let history = receipt(app, &id).await?;
    ensure!(history[0].method == ConsentMethod::DoNotSellOrShare);
    ensure!(history[0].regime == Some(Regime::OptOut) && history[0].gpc_honored());
    no_violations(c, "the demo site with the notice").await?;

    // An earlier opt-in, then the signal: it wins at once, and the banner asks once whether to keep
    // the earlier choice.
    c.delete_all_cookies().await?;
    signal_off(c, flag).await?;
    from(c, GERMANY, false).await?;
    c.refresh().await?;
    banner(c).await?;
    press(c, "accept").await?;
    until(
        c,
        "window.marketingConsent.get() !== null",
        "the opt-in is recorded",
    )
    .await?;
    let id = consent_id(c).await?;
    from(c, GERMANY, true).await?;
    c.refresh().await?;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(".mc-banner [data-mc=keep]"))
        .await
        .context("the banner asks about the conflict")?;
    accessible(c, "the question after the signal").await?;
    let history = receipt(app, &id).await?;
    ensure!(
        history[0].method == ConsentMethod::GpcSignal
            && !history[0].decisions["marketing"]
            && history[0].gpc_honored(),
        "the signal won: {:?}",
        history[0]
    );
    no_advertising(c, "the earlier opt-in under the signal").await?;
    press(c, "keep").await?;
    until(
        c,
        "window.marketingConsent.get() && window.marketingConsent.get().decisions.marketing === true",
        "the earlier choice is kept",
    )
    .await?;
    let history = receipt(app, &id).await?;
    ensure!(history[0].method == ConsentMethod::KeepEarlierChoice);
    ensure!(history[0].gpc_kept == ["marketing"]);
    until(
        c,
        "window.__standInAdTagLoaded === true",
        "the kept choice lets the advertising tag run",
    )
    .await?;
    c.refresh().await?;
    ready(c).await?;
    ensure!(
        c.find_all(Locator::Css(".mc-banner")).await?.is_empty(),
        "asked once only"
    );
    // The preferences dialog says the signal is there, and passes axe too.
    c.find(Locator::Css("main [data-consent-settings]"))
        .await?
        .click()
        .await?;
    let dialog = c
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css("[role=dialog]"))
        .await?;
    ensure!(dialog.text().await?.contains("Opt-out request honored"));
    accessible(c, "the preferences dialog with Global Privacy Control").await?;

    // The other pages that run the banner.
    for page in ["/thanks.html", "/privacy"] {
        c.goto(&app.url(page)).await?;
        ready(c).await?;
        no_violations(c, page).await?;
    }
    // The check bites: an inline stylesheet is refused, and reported.
    c.execute(
        "document.head.appendChild(Object.assign(document.createElement('style'), \
           {textContent: 'main{color:red}'}));",
        vec![],
    )
    .await?;
    until(
        c,
        "window.__csp.some(v => v.startsWith('style-src'))",
        "an inline stylesheet is reported as a CSP violation",
    )
    .await?;
    Ok(())
}

/// One Chrome DevTools Protocol command, through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

async fn cdp(c: &Client, cmd: &'static str, params: Value) -> Result<Value> {
    c.issue_cmd(Cdp { cmd, params })
        .await
        .with_context(|| format!("CDP {cmd}"))
}

/// Every request from now on comes through the trusted proxy from `ip`; with `gpc`, the browser sends
/// Global Privacy Control as one that has it does: `Sec-GPC: 1` and `navigator.globalPrivacyControl`.
/// Answers the flag's script, for [`signal_off`].
async fn from(c: &Client, ip: &str, gpc: bool) -> Result<Option<Value>> {
    let mut headers = json!({"X-Forwarded-For": ip});
    if gpc {
        headers["Sec-GPC"] = json!("1");
    }
    cdp(
        c,
        "Network.setExtraHTTPHeaders",
        json!({"headers": headers}),
    )
    .await?;
    if !gpc {
        return Ok(None);
    }
    let flag = cdp(
        c,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', \
                {get: () => true, configurable: true});"}),
    )
    .await?;
    Ok(Some(flag["identifier"].clone()))
}

/// The browser's flag gone again from the next document on.
async fn signal_off(c: &Client, flag: Option<Value>) -> Result<()> {
    if let Some(identifier) = flag {
        cdp(
            c,
            "Page.removeScriptToEvaluateOnNewDocument",
            json!({"identifier": identifier}),
        )
        .await?;
    }
    Ok(())
}

/// Every Consent Mode update so far kept advertising denied, and the advertising tag did not run.
async fn no_advertising(c: &Client, when: &str) -> Result<()> {
    for entry in data_layer(c).await? {
        if entry[0] == "consent" && entry[1] == "update" {
            ensure!(entry[2]["ad_storage"] == "denied", "{when}: {entry}");
        }
    }
    ensure!(!ad_tag_loaded(c).await?, "{when}: the advertising tag ran");
    Ok(())
}

async fn ad_tag_loaded(c: &Client) -> Result<bool> {
    Ok(
        c.execute("return window.__standInAdTagLoaded === true;", vec![])
            .await?
            == json!(true),
    )
}

async fn banner(c: &Client) -> Result<()> {
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(".mc-banner"))
        .await
        .context("the banner appears")?;
    Ok(())
}

async fn press(c: &Client, button: &str) -> Result<()> {
    c.find(Locator::Css(&format!(".mc-banner [data-mc={button}]")))
        .await?
        .click()
        .await?;
    Ok(())
}

/// `window.dataLayer`, each `gtag` call as an array of its arguments.
async fn data_layer(c: &Client) -> Result<Vec<Value>> {
    let layer = c
        .execute(
            "return (window.dataLayer || []).map(e => e && typeof e.length === 'number' && !Array.isArray(e) \
               ? Array.from(e) : e);",
            vec![],
        )
        .await?;
    Ok(layer.as_array().cloned().unwrap_or_default())
}

/// The first Consent Mode update, and where the tag's own entry came after it.
async fn update_then_tag(c: &Client) -> Result<(Value, Option<usize>)> {
    let layer = data_layer(c).await?;
    let (at, update) = layer
        .iter()
        .enumerate()
        .find(|(_, e)| e[0] == "consent" && e[1] == "update")
        .context("a consent update")?;
    let tag = layer
        .iter()
        .position(|e| e["event"] == "stand_in_tag_loaded" && e["tag"] == "analytics")
        .filter(|tag| *tag > at);
    Ok((update[2].clone(), tag))
}

async fn tag_loaded(c: &Client) -> Result<bool> {
    Ok(
        c.execute("return window.__standInTagLoaded === true;", vec![])
            .await?
            == json!(true),
    )
}

async fn consent_id(c: &Client) -> Result<String> {
    let consent = c
        .execute("return window.marketingConsent.get();", vec![])
        .await?;
    Ok(consent["consentId"]
        .as_str()
        .context("a consent id")?
        .to_owned())
}

async fn no_violations(c: &Client, page: &str) -> Result<()> {
    let found = c.execute("return window.__csp || null;", vec![]).await?;
    ensure!(found == json!([]), "{page}: CSP violations {found}");
    Ok(())
}
