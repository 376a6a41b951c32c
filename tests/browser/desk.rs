//! The privacy desk in Chromium: an officer signs in with a key, finds a verified access request in the
//! queue due about a month out, approves it, a second tab with the old page is told the request
//! changed, and signing out closes the desk; axe-core finds nothing at any level on the sign-in page,
//! the queue and a request page, in English and German.

use super::{mailed_link, spotless};
use crate::harness::TestApp;
use anyhow::{Context, Result, ensure};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use shared::privacy::RequestStatus;
use std::time::Duration;

pub async fn desk_scenario(app: &TestApp, c: &Client) -> Result<()> {
    let key = officer_key(app).await?;
    let id = verified_request(app).await?;

    for lang in ["en", "de"] {
        c.goto(&app.url(&format!("/desk/sign-in?lang={lang}")))
            .await?;
        spotless(c, &format!("the desk's sign-in page ({lang})")).await?;
    }
    c.goto(&app.url("/desk")).await?;
    c.find(Locator::Css("input[name=key]"))
        .await?
        .send_keys(&key)
        .await?;
    click(c, "//main//button[text()='Sign in']").await?;
    let row = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("a[href='/desk/requests/{id}']")))
        .await
        .context("the queue lists the verified request")?;
    let due = app.store().requests().await?[0]
        .due_at
        .context("a due date")?;
    let days = (due.unix_millis() - shared::time::Timestamp::now().unix_millis()) / 86_400_000;
    ensure!(
        (27..=31).contains(&days),
        "due about a month out: {days} days"
    );
    let queue = c.source().await?;
    let shown = due.to_rfc3339();
    ensure!(
        queue.contains(&shown[..10]),
        "the queue shows the due date {shown}"
    );
    spotless(c, "the desk's queue (en)").await?;
    c.goto(&app.url("/desk?lang=de")).await?;
    spotless(c, "the desk's queue (de)").await?;
    c.goto(&app.url("/desk")).await?;
    let _ = row;
    c.find(Locator::Css(&format!("a[href='/desk/requests/{id}']")))
        .await?
        .click()
        .await?;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath("//button[text()='Approve']"))
        .await
        .context("the request page offers Approve")?;
    ensure!(
        c.source().await?.contains(&id),
        "the page shows the request's id"
    );
    spotless(c, "a request at the desk (en)").await?;
    let first = c.window().await?;

    // A second tab opens the same request before the approval.
    let second = c.new_window(true).await?.handle;
    c.switch_to_window(second.clone()).await?;
    c.goto(&app.url(&format!("/desk/requests/{id}?lang=de")))
        .await?;
    spotless(c, "a request at the desk (de)").await?;
    c.goto(&app.url(&format!("/desk/requests/{id}"))).await?;

    c.switch_to_window(first).await?;
    click(c, "//button[text()='Approve']").await?;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath("//td[text()='approved']"))
        .await
        .context("the timeline shows the approval")?;
    ensure!(
        c.current_url().await?.path() == format!("/desk/requests/{id}"),
        "back on the request's page"
    );
    ensure!(
        subjects(app)
            .await?
            .iter()
            .any(|s| s == "Your privacy request is complete"),
        "the person's outbox holds the completion mail"
    );

    // The second tab still shows the old ETag and presses deny: told, and nothing changes.
    c.switch_to_window(second).await?;
    c.find(Locator::Css("select[name=reason]"))
        .await?
        .select_by_value("excessive")
        .await?;
    click(c, "//button[text()='Deny']").await?;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//p[@role='alert'][contains(., 'This request changed since you opened it: reload')]",
        ))
        .await
        .context("the stale tab is told the request changed")?;
    let request = &app.store().requests().await?[0];
    ensure!(
        request.status == RequestStatus::Completed
            && request
                .decision
                .as_ref()
                .is_some_and(|d| d.action == "approve"),
        "the denial changed nothing: {request:?}"
    );
    let shot = c.screenshot().await?;
    std::fs::write(
        ::host::workspace_root().join("target/privacy-desk.png"),
        shot,
    )?;

    click(c, "//header//button[text()='Sign out']").await?;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("input[name=key]"))
        .await
        .context("signed out: the sign-in page")?;
    c.goto(&app.url("/desk")).await?;
    c.find(Locator::Css("input[name=key]"))
        .await
        .context("the queue answers with the sign-in page")?;
    Ok(())
}

const ADMIN: &str = "admin-key-for-the-desk-0123456789abcdef";

/// The app's variables this scenario needs.
pub fn vars(vars: &mut crate::harness::Vars) {
    vars.set("admin_api_key", ADMIN)
        .set("privacy_min_seconds", "0");
}

/// The subjects of every mail in the outbox.
async fn subjects(app: &TestApp) -> Result<Vec<String>> {
    let store = app.store();
    let head = store.log_head(shared::store::Log::Outbox).await?;
    let mut out = Vec::new();
    for (_, entry) in store
        .log_entries(shared::store::Log::Outbox, 0, head)
        .await?
    {
        if let Some(id) = entry.and_then(|e| e.record)
            && let Some(mail) = store.outbox_message(&id).await?
        {
            out.push(mail.message.subject);
        }
    }
    Ok(out)
}

async fn click(c: &Client, xpath: &str) -> Result<()> {
    c.find(Locator::XPath(xpath))
        .await
        .with_context(|| format!("no {xpath}"))?
        .click()
        .await?;
    Ok(())
}

/// A key holding privacy:read and privacy:write.
async fn officer_key(app: &TestApp) -> Result<String> {
    let response = app
        .send(
            app.client
                .post(app.url("/api/v1/keys"))
                .bearer_auth(ADMIN)
                .json(&json!({"name": "privacy officer", "scopes": ["privacy:read", "privacy:write"]})),
        )
        .await;
    ensure!(response.status() == 201, "a key: {}", response.status());
    let body: Value = response.json().await?;
    Ok(body["key"].as_str().context("the key")?.to_owned())
}

/// An access request, asked and verified by its mailed link; its id.
async fn verified_request(app: &TestApp) -> Result<String> {
    let response = app
        .post_json(
            "/api/privacy/requests",
            &json!({"email": "grace@example.com", "rights": ["access"]}),
        )
        .await;
    ensure!(response.status() == 202, "asked: {}", response.status());
    let path = mailed_link(app, "/privacy/verify/").await?;
    let verified = app.send(app.client.post(app.url(&path))).await;
    ensure!(verified.status() == 200, "verified: {}", verified.status());
    let requests = app.store().requests().await?;
    ensure!(requests[0].status == RequestStatus::Open, "open");
    Ok(requests[0].id.clone())
}
