//! The browser test: headless Chromium, driven through WebDriver (`chromedriver` + `fantoccini`), clicks
//! through the demo page served by the test host, checks what the consent API stored, and holds every
//! page a visitor reaches to axe-core (no serious or critical violation).
//!
//! Needs Debian's `chromium` and `chromium-driver`, and axe-core from npm (`npm ci --prefix tests/browser`;
//! `.ci/run` installs all three). Without them the test passes
//! with a note, except under CI (`CI` set), where it fails: CI must run it.
//! `CHROMEDRIVER` and `CHROMIUM` override where the two binaries are looked for.

#[path = "../api/contract.rs"]
#[allow(dead_code)]
mod contract;
mod desk;
#[path = "../api/harness.rs"]
mod harness;
mod signals;

use anyhow::{Context, Result, bail, ensure};
use fantoccini::{Client, ClientBuilder, Locator, key::Key};
use futures::future::LocalBoxFuture;
use harness::{TestApp, project_manifest};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use shared::records::{ConsentDecision, ConsentMethod};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_refuses_then_grants_analytics_and_the_server_keeps_both_decisions() {
    in_browser(|app, c| Box::pin(scenario(app, c))).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_asks_for_their_data_on_the_privacy_page_and_confirms_by_the_mailed_link() {
    in_browser(|app, c| Box::pin(privacy_scenario(app, c))).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_officer_signs_in_to_the_desk_approves_a_request_and_a_stale_tab_changes_nothing() {
    in_browser(|app, c| Box::pin(desk::desk_scenario(app, c))).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn consent_mode_hears_each_choice_before_the_tag_and_the_notice_and_gpc_are_shown_by_region()
{
    in_browser(|app, c| Box::pin(signals::signals_scenario(app, c))).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_thank_you_confirmation_and_unsubscribe_pages_have_no_serious_accessibility_violations()
{
    in_browser(|app, c| Box::pin(mailed_pages(app, c))).await;
}

/// Runs `run` in a fresh Chromium session against a fresh app. Without Chromium and chromedriver it
/// passes with a note, except under CI, which must run it.
async fn in_browser(
    run: impl for<'a> FnOnce(&'a TestApp, &'a Client) -> LocalBoxFuture<'a, Result<()>>,
) {
    let Some(tools) = Tools::find() else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "browser test: chromedriver or chromium not found; install them: apt-get install -y chromium chromium-driver"
            );
        }
        println!("browser test skipped: install chromium chromium-driver");
        return;
    };
    let app = spawn_app().await;
    let driver = Driver::start(&tools).expect("starting chromedriver");
    let browser = driver.session(&tools).await.expect("a Chromium session");
    let result = run(&app, &browser).await;
    let _ = browser.close().await;
    drop(driver);
    result.unwrap();
}

/// The pages a visitor reaches after a post or from a mail: the thank-you page, the newsletter's
/// confirmation page (before and after the button) and the unsubscribe page.
async fn mailed_pages(app: &TestApp, c: &Client) -> Result<()> {
    c.goto(&app.url("/thanks.html")).await?;
    accessible(c, "the thank-you page").await?;
    // The check bites: an image without a text alternative is a critical violation.
    c.execute(
        "document.body.appendChild(Object.assign(document.createElement('img'), {src: '/x.png'}));",
        vec![],
    )
    .await?;
    ensure!(
        axe_script()?.is_none() || accessible(c, "a page with a bare image").await.is_err(),
        "axe-core did not report an image without alt text"
    );
    let signup = json!({
        "email": "reader@example.com",
        "consent_policy_version": "2026-01",
        "consent_newsletter": true,
    });
    let response = app.post_json("/api/newsletter", &signup).await;
    ensure!(response.status() == 201, "signed up: {}", response.status());
    let confirm = mailed_link(app, "/api/newsletter/confirm/").await?;
    let unsubscribe = mailed_link(app, "/u/").await?;
    press_mailed_button(
        app,
        c,
        &confirm,
        "the confirmation page",
        Locator::Css("h1"),
    )
    .await?;
    spotless(c, "the confirmed subscription").await?;
    c.goto(&app.url(&unsubscribe)).await?;
    spotless(c, "the unsubscribe page").await?;
    Ok(())
}

async fn privacy_scenario(app: &TestApp, c: &Client) -> Result<()> {
    // A visitor who answered the banner: the privacy page picks up the banner's consent id.
    c.goto(&app.url("/")).await?;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(".mc-banner [data-mc=accept]"))
        .await?
        .click()
        .await?;
    until(
        c,
        "window.marketingConsent.get() !== null",
        "the choice is recorded",
    )
    .await?;
    let consent_id = c
        .execute("return window.marketingConsent.get().consentId;", vec![])
        .await?;
    c.find(Locator::Css("footer a[href='/privacy']"))
        .await?
        .click()
        .await?;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("form[action='/api/privacy/requests']"))
        .await
        .context("the privacy centre's form")?;
    accessible(c, "the privacy centre").await?;
    c.find(Locator::Css("input[name=email]"))
        .await?
        .send_keys("grace@example.com")
        .await?;
    c.find(Locator::Css("input[name=rights][value=access]"))
        .await?
        .click()
        .await?;
    c.find(Locator::Css("input[name=rights][value=objection]"))
        .await?
        .click()
        .await?;
    // A person takes longer than the form's minimum time (the render token's spam check).
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    c.find(Locator::Css("form button[type=submit]"))
        .await?
        .click()
        .await?;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("p.status[role=status]"))
        .await
        .context("back on the privacy page, told to check the mailbox")?;
    accessible(c, "the privacy centre after a request").await?;
    let shot = c.screenshot().await?;
    let png = ::host::workspace_root().join("target/privacy-centre.png");
    std::fs::write(&png, shot).with_context(|| format!("writing {}", png.display()))?;

    let store = app.store();
    let requests = store.requests().await?;
    ensure!(requests.len() == 1, "one request stored: {requests:?}");
    let request = &requests[0];
    ensure!(
        request.consent_id.as_deref() == consent_id.as_str(),
        "the banner's id came along: {:?} vs {consent_id}",
        request.consent_id
    );
    // The mail's link: its page shows a button, which confirms.
    let path = mailed_link(app, "/privacy/verify/").await?;
    let confirmed = Locator::XPath("//h1[text()='Request confirmed']");
    press_mailed_button(app, c, &path, "the verification page", confirmed)
        .await
        .context("the request is confirmed")?;
    spotless(c, "the confirmed request").await?;
    let stored = store.requests().await?;
    ensure!(
        stored[0].status == shared::privacy::RequestStatus::Open && stored[0].due_at.is_some(),
        "open, with a due date: {:?}",
        stored[0]
    );
    Ok(())
}

async fn scenario(app: &TestApp, c: &Client) -> Result<()> {
    // A first visit: the banner, with "Reject all" exactly as prominent as "Accept all".
    c.goto(&app.url("/")).await?;
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(".mc-banner"))
        .await
        .context("the banner appears on a first visit")?;
    accessible(c, "the demo site with the banner").await?;
    let looks = c
        .execute(
            r#"const look = s => { const b = document.querySelector(s), r = b.getBoundingClientRect(),
                   st = getComputedStyle(b);
                   return [b.tagName, b.className, r.width, r.height, st.fontSize, st.fontWeight,
                           st.backgroundColor, st.color, st.borderStyle, st.padding]; };
               return [look('.mc-banner [data-mc=accept]'), look('.mc-banner [data-mc=reject]')];"#,
            vec![],
        )
        .await?;
    ensure!(
        looks[0] == looks[1],
        "accept and reject look different: {looks}"
    );
    ensure!(
        c.find_all(Locator::Css("[role=dialog]")).await?.is_empty(),
        "no dialog before Preferences"
    );
    let shot = c.screenshot().await?;
    let png = ::host::workspace_root().join("target/banner.png");
    std::fs::write(&png, shot).with_context(|| format!("writing {}", png.display()))?;
    ensure!(
        !analytics_ran(c).await?,
        "the gated script ran before consent"
    );

    // "Reject all": a refusal stored on the server, its id in the first-party cookie.
    c.find(Locator::Css(".mc-banner [data-mc=reject]"))
        .await?
        .click()
        .await?;
    until(
        c,
        "window.marketingConsent.get() !== null",
        "the refusal is recorded",
    )
    .await?;
    ensure!(
        c.find_all(Locator::Css(".mc-banner")).await?.is_empty(),
        "the banner is gone after a choice"
    );
    let consent = c
        .execute("return window.marketingConsent.get();", vec![])
        .await?;
    let id = consent["consentId"]
        .as_str()
        .context("a consent id")?
        .to_owned();
    ensure!(
        consent["decisions"] == json!({"necessary": true, "analytics": false, "marketing": false}),
        "get() reports the refusal: {consent}"
    );
    let cookie = c.get_named_cookie("mc_consent").await?;
    ensure!(
        cookie.value().contains(&id),
        "the cookie keeps the id: {cookie}"
    );
    let history = receipt(app, &id).await?;
    ensure!(history.len() == 1, "one decision: {history:?}");
    ensure!(history[0].method == ConsentMethod::RejectAll);
    ensure!(!history[0].decisions["analytics"] && !history[0].decisions["marketing"]);
    ensure!(
        !analytics_ran(c).await?,
        "refused, the gated script stays inert"
    );

    // A reload: the cookie answers, no banner.
    c.refresh().await?;
    ready(c).await?;
    ensure!(
        c.find_all(Locator::Css(".mc-banner")).await?.is_empty(),
        "the banner stays hidden after a reload"
    );
    ensure!(
        !analytics_ran(c).await?,
        "after a reload, the refusal still holds"
    );

    // The settings link reopens the preferences: a modal dialog holding the focus; Escape closes it and
    // gives the focus back to the link.
    c.find(Locator::Css("main [data-consent-settings]"))
        .await?
        .click()
        .await?;
    let dialog = c
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css("[role=dialog]"))
        .await
        .context("the settings link opens the dialog")?;
    accessible(c, "the banner's preferences dialog").await?;
    ensure!(dialog.attr("aria-modal").await?.as_deref() == Some("true"));
    let labelled = c
        .execute(
            "const d = document.querySelector('[role=dialog]');
             const t = document.getElementById(d.getAttribute('aria-labelledby'));
             return [!!t && t.textContent.length > 0, d.contains(document.activeElement)];",
            vec![],
        )
        .await?;
    ensure!(
        labelled == json!([true, true]),
        "labelled, focus inside: {labelled}"
    );
    let necessary = c
        .find(Locator::Css("[role=dialog] input[data-category=necessary]"))
        .await?;
    let shot = c.screenshot().await?;
    let png = ::host::workspace_root().join("target/banner-preferences.png");
    std::fs::write(&png, shot).with_context(|| format!("writing {}", png.display()))?;
    ensure!(necessary.prop("checked").await?.as_deref() == Some("true"));
    ensure!(necessary.prop("disabled").await?.as_deref() == Some("true"));
    // Tab from the last control wraps to the first (the focus is trapped).
    c.execute(
        "const f = [...document.querySelectorAll('[role=dialog] button, [role=dialog] input:not([disabled])')];
         f[f.length - 1].focus();",
        vec![],
    )
    .await?;
    c.active_element()
        .await?
        .send_keys(&Key::Tab.to_string())
        .await?;
    let inside = c
        .execute(
            "return document.querySelector('[role=dialog]').contains(document.activeElement);",
            vec![],
        )
        .await?;
    ensure!(inside == json!(true), "Tab stays inside the dialog");
    c.active_element()
        .await?
        .send_keys(&Key::Escape.to_string())
        .await?;
    until(
        c,
        "document.querySelector('[role=dialog]') === null",
        "Escape closes the dialog",
    )
    .await?;
    let back = c
        .execute(
            "return document.activeElement.matches('main [data-consent-settings]');",
            vec![],
        )
        .await?;
    ensure!(
        back == json!(true),
        "the focus returns to the settings link"
    );

    // Reopened, analytics granted and saved: a second entry in the history, and the gated script runs.
    c.execute(
        "window.changes = [];
         document.addEventListener('consent:changed', e => window.changes.push(e.detail));",
        vec![],
    )
    .await?;
    c.find(Locator::Css("main [data-consent-settings]"))
        .await?
        .click()
        .await?;
    c.wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css("[role=dialog] input[data-category=analytics]"))
        .await?
        .click()
        .await?;
    c.find(Locator::Css("[role=dialog] [data-mc=save]"))
        .await?
        .click()
        .await?;
    until(
        c,
        "document.body.dataset.analytics === 'loaded'",
        "the gated script runs once analytics is granted",
    )
    .await?;
    let changes = c.execute("return window.changes;", vec![]).await?;
    ensure!(
        changes == json!([{"necessary": true, "analytics": true, "marketing": false}]),
        "one consent:changed event with the decisions: {changes}"
    );
    let after = c
        .execute("return window.marketingConsent.get();", vec![])
        .await?;
    ensure!(after["consentId"] == json!(id), "the same id: {after}");
    let history = receipt(app, &id).await?;
    ensure!(
        history.len() == 2,
        "two decisions, newest first: {history:?}"
    );
    ensure!(history[0].n == 2 && history[1].n == 1);
    ensure!(history[0].method == ConsentMethod::Preferences);
    ensure!(history[0].decisions["analytics"] && !history[0].decisions["marketing"]);
    ensure!(history[1].method == ConsentMethod::RejectAll);
    // The receipt as a person reads it: no finding at any level.
    c.goto(&app.url(&format!("/api/consent/{id}"))).await?;
    spotless(c, "the consent receipt").await?;
    Ok(())
}

#[tokio::test]
async fn the_site_serves_its_assets_and_leaves_the_api_routes_to_their_components() {
    let app = TestApp::spawn().await;
    for (path, content_type) in [
        ("/", "text/html; charset=utf-8"),
        ("/thanks.html", "text/html; charset=utf-8"),
        ("/consent.js", "text/javascript; charset=utf-8"),
        ("/consent.css", "text/css; charset=utf-8"),
        ("/site.js", "text/javascript; charset=utf-8"),
        ("/site.css", "text/css; charset=utf-8"),
        ("/stand-in-tag.js", "text/javascript; charset=utf-8"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        if content_type.starts_with("text/html") {
            let csp = response.headers()["content-security-policy"]
                .to_str()
                .unwrap();
            assert!(
                csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
                "{path}: {csp}"
            );
        }
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age="),
            "{path} is cacheable"
        );
    }
    // The banner script carries the configured Consent Mode wait.
    let script = app.get("/consent.js").await.text().await.unwrap();
    assert!(script.contains("var WAIT = 500;"), "the configured wait");
    assert_eq!(app.get("/nothing-here").await.status(), 404);
    assert_eq!(app.get("/consent.js/x").await.status(), 404);
    // The most specific route wins: `/...` does not shadow the API components.
    for path in ["/api/forms/contact/token", "/api/consent/config"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
    }
}

/// The project app on a port known before it starts, so its page's origin can be allowed.
async fn spawn_app() -> TestApp {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let origin = format!("http://127.0.0.1:{port}");
    TestApp::try_spawn(
        &project_manifest(),
        |vars| {
            vars.set("allowed_origins", origin)
                .set("signup_min_seconds", "0")
                // The signals scenario has Chromium send a visitor's address as a proxy would.
                .set("trusted_proxies", "127.0.0.1/32");
            desk::vars(vars);
        },
        format!("127.0.0.1:{port}").parse().unwrap(),
    )
    .await
    .expect("spawning the app")
}

/// The consent history of `id`, newest first, from the receipt endpoint.
async fn receipt(app: &TestApp, id: &str) -> Result<Vec<ConsentDecision>> {
    let response = app
        .client
        .get(app.url(&format!("/api/consent/{id}")))
        .header("accept", "application/json")
        .send()
        .await?;
    ensure!(response.status() == 200, "receipt: {}", response.status());
    let body: Value = response.json().await?;
    Ok(serde_json::from_value(body["history"].clone())?)
}

async fn analytics_ran(c: &Client) -> Result<bool> {
    let ran = c
        .execute(
            "return document.body.dataset.analytics === 'loaded';",
            vec![],
        )
        .await?;
    Ok(ran == json!(true))
}

/// Waits until the banner script has loaded its configuration and decided whether to show the banner.
async fn ready(c: &Client) -> Result<()> {
    until(
        c,
        "!!window.marketingConsent",
        "the banner script is loaded",
    )
    .await?;
    c.execute_async(
        "window.marketingConsent.ready.then(() => arguments[0](true));",
        vec![],
    )
    .await?;
    Ok(())
}

/// Polls the JavaScript expression `condition` until it is true (at most 10 s).
async fn until(c: &Client, condition: &str, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let script = format!("return !!({condition});");
    loop {
        if c.execute(&script, vec![]).await? == json!(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Where chromedriver and Chromium are.
struct Tools {
    chromedriver: PathBuf,
    chromium: PathBuf,
}

impl Tools {
    fn find() -> Option<Tools> {
        Some(Tools {
            chromedriver: locate("CHROMEDRIVER", &["chromedriver"])?,
            chromium: locate("CHROMIUM", &["chromium", "chromium-browser"])?,
        })
    }
}

/// `$var`, or the first of `names` on the `PATH`.
fn locate(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// A chromedriver on a free port, stopped (with its browser profile removed) on drop.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Driver {
    fn start(tools: &Tools) -> Result<Driver> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("running {}", tools.chromedriver.display()))?;
        let profile =
            std::env::temp_dir().join(format!("browser-test-{}-{port}", std::process::id()));
        Ok(Driver {
            child,
            port,
            profile,
        })
    }

    /// A headless Chromium session with a fresh profile, once chromedriver answers.
    async fn session(&self, tools: &Tools) -> Result<Client> {
        let url = format!("http://127.0.0.1:{}", self.port);
        wait_for_status(&format!("{url}/status")).await?;
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1200,800",
            &format!("--user-data-dir={}", self.profile.display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": path_str(&tools.chromium)?, "args": args },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        Ok(ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await?)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn wait_for_status(url: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = reqwest::get(url).await
            && r.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("chromedriver did not answer at {url}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().context("a UTF-8 path")
}

/// The path of the first link starting `/{prefix}...` in the text of the latest mail in the outbox.
async fn mailed_link(app: &TestApp, prefix: &str) -> Result<String> {
    let store = app.store();
    let head = store.log_head(shared::store::Log::Outbox).await?;
    let entries = store
        .log_entries(shared::store::Log::Outbox, 0, head)
        .await?;
    let id = entries
        .iter()
        .rev()
        .find_map(|(_, e)| e.as_ref()?.record.clone())
        .context("a mail in the outbox")?;
    let mail = store.outbox_message(&id).await?.context("the mail")?;
    let text = &mail.message.text_body;
    let at = text
        .find(prefix)
        .with_context(|| format!("a {prefix} link"))?;
    Ok(text[at..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned())
}

/// Opens a mailed link's page, checks it with axe-core, presses its button (a GET never acts: the
/// button posts) and waits for `done`.
async fn press_mailed_button(
    app: &TestApp,
    c: &Client,
    path: &str,
    page: &str,
    done: Locator<'_>,
) -> Result<()> {
    c.goto(&app.url(path)).await?;
    spotless(c, page).await?;
    c.find(Locator::Css("form[method=post] button"))
        .await?
        .click()
        .await?;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(done)
        .await?;
    Ok(())
}

/// axe-core, as `npm ci --prefix tests/browser` installs it (pinned there); `None` where it is not
/// installed, except under CI, which must check.
fn axe_script() -> Result<Option<String>> {
    let path = ::host::workspace_root().join("tests/browser/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(script) => Ok(Some(script)),
        Err(_) if std::env::var_os("CI").is_none() => {
            println!("accessibility checks skipped: run npm ci --prefix tests/browser");
            Ok(None)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Runs axe-core on the page as it is now and fails on any serious or critical violation, naming each
/// rule and the elements it found.
async fn accessible(c: &Client, page: &str) -> Result<()> {
    violations(c, page, &["serious", "critical"]).await
}

/// As [`accessible`], with no finding at any level (the pages a mail's link opens).
async fn spotless(c: &Client, page: &str) -> Result<()> {
    violations(c, page, &["minor", "moderate", "serious", "critical"]).await
}

async fn violations(c: &Client, page: &str, impacts: &[&str]) -> Result<()> {
    let Some(axe) = axe_script()? else {
        return Ok(());
    };
    c.execute(&axe, vec![]).await?;
    let found = c
        .execute_async(
            r#"const impacts = arguments[0];
               const done = arguments[arguments.length - 1];
               axe.run(document, { resultTypes: ['violations'] })
                 .then(r => done(r.violations
                   .filter(v => impacts.includes(v.impact))
                   .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)))
                 .catch(e => done([`axe failed: ${e}`]));"#,
            vec![json!(impacts)],
        )
        .await?;
    ensure!(found == json!([]), "{page}: {found}");
    Ok(())
}
