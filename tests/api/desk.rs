//! The privacy desk through the test host: sign-in and its session cookie, the queue, one request and
//! its decisions as form posts (ETag, CSRF, Origin), sign-out, revocation and expiry, the register
//! entries and the headers that keep pages from lingering. (The same flow in Chromium, with axe-core,
//! is in `tests/browser`.)

use crate::harness::{TestApp, test_signing_keys};
use crate::privacy::support::{
    ADMIN_KEY, ask_for, mail_with_subject, only_request, spawn, staff_key, verify,
};
use crate::signups::log;
use reqwest::header::{HeaderMap, SET_COOKIE};
use shared::privacy::RequestStatus;
use shared::records::{Action, Actor, ApiKey, Log, LogEntry, RecordKind};
use shared::staff::keys::key_id;
use shared::staff::session::DeskSession;
use shared::time::Timestamp;
use shared::tokens::Purpose;

/// A browser at the desk: its session cookie, once signed in.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self { app, cookie: None }
    }

    /// The app's own origin, as a browser sends it with a post.
    fn origin(&self) -> String {
        self.app.url("").trim_end_matches('/').to_owned()
    }

    /// A page (pages are for browsers and not in the OpenAPI document, so sent without its check).
    async fn get(&self, path: &str) -> reqwest::Response {
        let mut request = self.app.client.get(self.app.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    async fn get_text(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }

    /// A form post from the app's own page, held to the OpenAPI document.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_from(path, fields, &[("origin", &self.origin())])
            .await
    }

    async fn post_from(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.app.client.post(self.app.url(path)).form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        self.app.send(request).await
    }

    /// Signs in with `key`; answers the `Set-Cookie` line.
    async fn sign_in(&mut self, key: &str) -> String {
        let response = self.post("/desk/sign-in", &[("key", key)]).await;
        assert_eq!(response.status(), 303, "sign-in");
        assert_eq!(response.headers()["location"], "/desk");
        let line = set_cookie(response.headers());
        self.cookie = Some(line.split(';').next().unwrap().to_owned());
        line
    }
}

fn set_cookie(headers: &HeaderMap) -> String {
    headers
        .get(SET_COOKIE)
        .expect("a Set-Cookie")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The value of hidden field `name` in the first form that has one.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name={name} value=\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name}"));
    let rest = &page[at + marker.len()..];
    rest[..rest.find('"').unwrap()]
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Signs `browser` in with `key` and opens request `id`: its path and its page.
async fn open_signed_in(browser: &mut Browser<'_>, key: &str, id: &str) -> (String, String) {
    browser.sign_in(key).await;
    let path = format!("/desk/requests/{id}");
    let page = browser.get_text(&path).await;
    (path, page)
}

/// An app with one verified access request, and its id.
async fn verified_request() -> (TestApp, String) {
    let app = spawn().await;
    ask_for(&app, &["access"]).await;
    assert_eq!(verify(&app).await.status(), 200);
    let id = only_request(&app).await.id;
    (app, id)
}

/// The `access` log's entries by `key`.
async fn entries_by(app: &TestApp, key: &str) -> Vec<LogEntry> {
    let id = key_id(key).unwrap().to_owned();
    log(app, Log::Access)
        .await
        .into_iter()
        .filter(|e| e.actor == Actor::ApiKey { key_id: id.clone() })
        .collect()
}

#[tokio::test]
async fn signing_in_sets_an_http_only_strict_session_cookie_and_registers_the_sign_in() {
    let app = spawn().await;
    let key = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let mut browser = Browser::new(&app);
    let line = browser.sign_in(&key).await;
    // Plain http on 127.0.0.1: no Secure and no __Host- name, which a browser would drop there.
    assert!(line.starts_with("desk_session="), "{line}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(line.contains(flag), "{flag} in {line}");
    }
    assert!(!line.contains("Secure"), "{line}");
    // The cookie's sealed payload names the key's id, never its secret.
    let value = line
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("desk_session=");
    let payload = test_signing_keys()
        .open(Purpose::DeskSession, value)
        .expect("a sealed session");
    let payload = String::from_utf8(payload).unwrap();
    assert!(payload.contains(key_id(&key).unwrap()), "{payload}");
    assert!(!payload.contains(&key[4 + 22 + 1..]), "{payload}");
    let page = browser.get_text("/desk").await;
    assert!(page.contains("Sign out"), "{page}");
    let details: Vec<_> = entries_by(&app, &key)
        .await
        .into_iter()
        .filter_map(|e| e.detail)
        .collect();
    assert!(
        details.contains(&"desk signed in".to_owned()),
        "{details:?}"
    );
}

#[tokio::test]
async fn a_wrong_key_gets_the_sign_in_page_with_one_message_and_is_registered_as_refused() {
    let app = spawn().await;
    let browser = Browser::new(&app);
    let bad = "mck_AAAAAAAAAAAAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let response = browser.post("/desk/sign-in", &[("key", bad)]).await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().get(SET_COOKIE).is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains("This key cannot open the desk"), "{page}");
    // A key without privacy:read is refused the same way, and registered under its own id.
    let leads = staff_key(&app, &["leads:read"]).await;
    let response = browser.post("/desk/sign-in", &[("key", &leads)]).await;
    assert_eq!(response.status(), 401);
    let refused: Vec<_> = log(&app, Log::Access)
        .await
        .into_iter()
        .filter(|e| e.action == Action::Refused)
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(matches!(refused[0].actor, Actor::Visitor { .. }));
    let leads_id = key_id(&leads).unwrap().to_owned();
    assert_eq!(refused[1].actor, Actor::ApiKey { key_id: leads_id });
}

#[tokio::test]
async fn sign_in_attempts_count_against_the_client_s_rate_limit() {
    let app = TestApp::spawn_with(|vars| {
        vars.set("rate_limit", "2/600");
    })
    .await;
    let browser = Browser::new(&app);
    for _ in 0..2 {
        let response = browser.post("/desk/sign-in", &[("key", "wrong")]).await;
        assert_eq!(response.status(), 401);
    }
    let response = browser.post("/desk/sign-in", &[("key", "wrong")]).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn without_a_session_every_page_shows_the_sign_in_page_and_a_post_goes_there() {
    let (app, id) = verified_request().await;
    let browser = Browser::new(&app);
    for path in ["/desk", &format!("/desk/requests/{id}")] {
        let page = browser.get_text(path).await;
        assert!(page.contains("name=key type=password"), "{path}: {page}");
    }
    let response = browser
        .post(&format!("/desk/requests/{id}"), &[("action", "approve")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/desk/sign-in");
    // From another origin, not even that: the Origin is checked first.
    for path in [format!("/desk/requests/{id}"), "/desk/sign-out".into()] {
        let foreign = browser
            .post_from(
                &path,
                &[("action", "approve")],
                &[("origin", "https://evil.example")],
            )
            .await;
        assert_eq!(foreign.status(), 403, "{path}");
    }
    assert_eq!(only_request(&app).await.status, RequestStatus::Open);
}

#[tokio::test]
async fn every_desk_page_is_kept_from_caches_referrers_frames_and_inline_script() {
    let (app, id) = verified_request().await;
    let key = staff_key(&app, &["privacy:read"]).await;
    let mut browser = Browser::new(&app);
    let signed_out = browser.get("/desk/sign-in").await;
    browser.sign_in(&key).await;
    let queue = browser.get("/desk").await;
    let request = browser.get(&format!("/desk/requests/{id}")).await;
    for response in [signed_out, queue, request] {
        assert_eq!(response.status(), 200);
        let headers = response.headers();
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["x-frame-options"], "DENY");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let page = response.text().await.unwrap();
        assert!(!page.contains("<script"), "no script");
        assert!(!page.contains("<style"), "no inline style");
    }
    let css = browser.get("/desk/desk.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn an_officer_approves_a_verified_request_at_the_desk_and_a_stale_page_changes_nothing() {
    let (app, id) = verified_request().await;
    let key = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&key).await;

    let queue = browser.get_text("/desk").await;
    assert!(queue.contains(&format!("/desk/requests/{id}")), "{queue}");
    let due = only_request(&app).await.due_at.unwrap().to_rfc3339();
    assert!(queue.contains(&due[..10]), "the due date {due} in {queue}");

    let path = format!("/desk/requests/{id}");
    let page = browser.get_text(&path).await;
    assert!(page.contains(&id), "the page shows the request's id");
    for button in ["Approve", "Deny", "Extend"] {
        assert!(
            page.contains(&format!("<button>{button}</button>")),
            "{button}"
        );
    }
    // The read of the request, and of each record of the person shown whole, is registered.
    let reads: Vec<LogEntry> = entries_by(&app, &key)
        .await
        .into_iter()
        .filter(|e| e.action == Action::Read)
        .collect();
    assert!(
        reads
            .iter()
            .any(|e| e.record.as_deref() == Some(id.as_str())),
        "{reads:?}"
    );
    let shown = format!("desk record of privacy-request {id}");
    assert!(
        reads
            .iter()
            .any(|e| e.detail.as_deref() == Some(shown.as_str())),
        "{reads:?}"
    );
    let (csrf, etag) = (hidden(&page, "csrf"), hidden(&page, "etag"));
    let fields = [
        ("csrf", csrf.as_str()),
        ("etag", etag.as_str()),
        ("action", "approve"),
    ];
    let response = browser.post(&path, &fields).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], path.as_str());
    let request = only_request(&app).await;
    assert_eq!(request.status, RequestStatus::Completed);
    let key_id = key_id(&key).unwrap();
    assert_eq!(request.decision.as_ref().unwrap().by, key_id);
    mail_with_subject(&app, "Your privacy request is complete").await;
    let page = browser.get_text(&path).await;
    assert!(page.contains("approved"), "the timeline shows the approval");
    let decided: Vec<_> = log(&app, Log::Requests)
        .await
        .into_iter()
        .filter(|e| {
            e.actor
                == Actor::ApiKey {
                    key_id: key_id.into(),
                }
        })
        .filter_map(|e| e.detail)
        .collect();
    assert!(decided.contains(&"approved".to_owned()), "{decided:?}");

    // A second tab still showing the old ETag presses deny.
    let stale = [
        ("csrf", csrf.as_str()),
        ("etag", etag.as_str()),
        ("action", "deny"),
        ("reason", "excessive"),
    ];
    let response = browser.post(&path, &stale).await;
    assert_eq!(response.status(), 412);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("This request changed since you opened it: reload"),
        "{page}"
    );
    let request = only_request(&app).await;
    assert_eq!(request.status, RequestStatus::Completed);
    assert_eq!(request.decision.unwrap().action, "approve");
}

#[tokio::test]
async fn a_post_without_or_with_a_wrong_csrf_token_or_from_another_origin_changes_nothing() {
    let (app, id) = verified_request().await;
    let key = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let mut browser = Browser::new(&app);
    let (path, page) = open_signed_in(&mut browser, &key, &id).await;
    let (csrf, etag) = (hidden(&page, "csrf"), hidden(&page, "etag"));
    let approve = |csrf: &'static str| [("csrf", csrf), ("action", "approve")];
    let response = browser
        .post(&path, &[("etag", etag.as_str()), ("action", "approve")])
        .await;
    assert_eq!(response.status(), 403);
    let response = browser.post(&path, &approve("forged")).await;
    assert_eq!(response.status(), 403);
    // Another signed-in session's token is not this one's.
    let mut other = Browser::new(&app);
    other.sign_in(&key).await;
    let other_csrf = hidden(&other.get_text(&path).await, "csrf");
    assert_ne!(other_csrf, csrf);
    let fields = [
        ("csrf", other_csrf.as_str()),
        ("etag", etag.as_str()),
        ("action", "approve"),
    ];
    assert_eq!(browser.post(&path, &fields).await.status(), 403);
    let fields = [
        ("csrf", csrf.as_str()),
        ("etag", etag.as_str()),
        ("action", "approve"),
    ];
    for origin in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null"), ("sec-fetch-site", "cross-site")],
        vec![],
    ] {
        let response = browser.post_from(&path, &fields, &origin).await;
        assert_eq!(response.status(), 403, "{origin:?}");
    }
    assert_eq!(only_request(&app).await.status, RequestStatus::Open);
    // `null` from the app's own no-referrer page passes.
    let same = [("origin", "null"), ("sec-fetch-site", "same-origin")];
    let response = browser.post_from(&path, &fields, &same).await;
    assert_eq!(response.status(), 303);
    assert_eq!(only_request(&app).await.status, RequestStatus::Completed);
    let refusals = entries_by(&app, &key)
        .await
        .into_iter()
        .filter(|e| e.action == Action::Refused)
        .count();
    // Each of the officer's refused posts is registered; posts from elsewhere are not the officer's.
    assert_eq!(refusals, 3);
}

#[tokio::test]
async fn a_read_only_key_sees_the_queue_and_the_request_but_no_decision_and_a_crafted_post_is_403()
{
    let (app, id) = verified_request().await;
    let key = staff_key(&app, &["privacy:read"]).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&key).await;
    assert!(browser.get_text("/desk").await.contains(&id));
    let path = format!("/desk/requests/{id}");
    let page = browser.get_text(&path).await;
    assert!(!page.contains("name=action"), "no decision forms");
    assert!(page.contains("lacks privacy:write"), "{page}");
    let csrf = hidden(&page, "csrf");
    let etag = only_etag(&app, &id).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("etag", etag.as_str()),
        ("action", "approve"),
    ];
    let response = browser.post(&path, &fields).await;
    assert_eq!(response.status(), 403);
    let page = response.text().await.unwrap();
    assert!(page.contains("lacks the scope privacy:write"), "{page}");
    assert_eq!(only_request(&app).await.status, RequestStatus::Open);
}

/// The request's current ETag, as the API shows it.
async fn only_etag(app: &TestApp, id: &str) -> String {
    let (_, etag) = app
        .store()
        .get_tagged::<shared::privacy::DataRequest>(shared::store::RecordKind::DataRequest, id)
        .await
        .unwrap()
        .unwrap();
    etag
}

#[tokio::test]
async fn a_revoked_key_s_session_stops_working_at_the_next_request() {
    let (app, _) = verified_request().await;
    let key = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&key).await;
    assert!(browser.get_text("/desk").await.contains("Sign out"));
    let revoke = app
        .client
        .delete(app.url(&format!("/api/v1/keys/{}", key_id(&key).unwrap())));
    assert_eq!(app.send(revoke.bearer_auth(ADMIN_KEY)).await.status(), 204);
    let page = browser.get_text("/desk").await;
    assert!(page.contains("name=key type=password"), "{page}");
}

#[tokio::test]
async fn signing_out_ends_the_session_and_a_copied_cookie_with_it() {
    let (app, _) = verified_request().await;
    let key = staff_key(&app, &["privacy:read"]).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&key).await;
    let copied = browser.cookie.clone();
    let page = browser.get_text("/desk").await;
    let csrf = hidden(&page, "csrf");
    let response = browser.post("/desk/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/desk/sign-in");
    assert!(set_cookie(response.headers()).contains("Max-Age=0"));
    browser.cookie = copied;
    let page = browser.get_text("/desk").await;
    assert!(page.contains("name=key type=password"), "{page}");
    let details: Vec<_> = entries_by(&app, &key)
        .await
        .into_iter()
        .filter_map(|e| e.detail)
        .collect();
    assert!(
        details.contains(&"desk signed out".to_owned()),
        "{details:?}"
    );
    // Signing in again opens a new session.
    browser.sign_in(&key).await;
    assert!(browser.get_text("/desk").await.contains("Sign out"));
}

#[tokio::test]
async fn a_session_past_its_eight_hours_no_longer_opens_the_desk() {
    let (app, _) = verified_request().await;
    let key = staff_key(&app, &["privacy:read"]).await;
    let id = key_id(&key).unwrap();
    let began = Timestamp::now().plus_seconds(-8 * 3600 - 1);
    let old = DeskSession::begin(id, began).seal(&test_signing_keys());
    let fresh = DeskSession::begin(id, Timestamp::now().plus_seconds(-8 * 3600 + 60))
        .seal(&test_signing_keys());
    let mut browser = Browser::new(&app);
    browser.cookie = Some(format!("desk_session={fresh}"));
    assert!(browser.get_text("/desk").await.contains("Sign out"));
    browser.cookie = Some(format!("desk_session={old}"));
    let page = browser.get_text("/desk").await;
    assert!(page.contains("name=key type=password"), "{page}");
}

#[tokio::test]
async fn a_denial_needs_its_reason_and_a_rectification_takes_only_the_fields_filled_in() {
    let app = spawn().await;
    ask_for(&app, &["rectification"]).await;
    verify(&app).await;
    let id = only_request(&app).await.id;
    let key = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let mut browser = Browser::new(&app);
    let (path, page) = open_signed_in(&mut browser, &key, &id).await;
    assert!(page.contains("<button>Rectify</button>"));
    let (csrf, etag) = (hidden(&page, "csrf"), hidden(&page, "etag"));
    let deny = [
        ("csrf", csrf.as_str()),
        ("etag", etag.as_str()),
        ("action", "deny"),
        ("reason", ""),
        ("text", ""),
    ];
    let response = browser.post(&path, &deny).await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("<b>reason</b>"));
    let rectify = [
        ("csrf", csrf.as_str()),
        ("etag", etag.as_str()),
        ("action", "rectify"),
        ("changes.name", "Ada King"),
        ("changes.company", ""),
        ("changes.phone", " "),
    ];
    let response = browser.post(&path, &rectify).await;
    assert_eq!(response.status(), 303);
    let request = only_request(&app).await;
    let step = request.timeline.last().unwrap();
    assert_eq!(step.note.as_deref(), Some("name"));
}

#[tokio::test]
async fn the_desk_speaks_german_when_asked() {
    let app = spawn().await;
    let page = Browser::new(&app).get_text("/desk/sign-in?lang=de").await;
    assert!(page.contains("<html lang=de>"), "{page}");
    assert!(page.contains("Anmelden"));
    let response = app
        .client
        .get(app.url("/desk/sign-in"))
        .header("accept-language", "de-DE,de;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(response.text().await.unwrap().contains("API-Schlüssel"));
}

#[tokio::test]
async fn a_post_whose_etag_is_a_wildcard_or_a_list_is_refused_and_changes_nothing() {
    let (app, id) = verified_request().await;
    let key = staff_key(&app, &["privacy:read", "privacy:write"]).await;
    let mut browser = Browser::new(&app);
    let (path, page) = open_signed_in(&mut browser, &key, &id).await;
    let (csrf, etag) = (hidden(&page, "csrf"), hidden(&page, "etag"));
    for bad in ["*", &format!("{etag}, \"x\"")] {
        let fields = [
            ("csrf", csrf.as_str()),
            ("etag", bad),
            ("action", "approve"),
        ];
        let response = browser.post(&path, &fields).await;
        assert_eq!(response.status(), 422, "{bad}");
        assert!(response.text().await.unwrap().contains("<b>etag</b>"));
    }
    assert_eq!(only_request(&app).await.status, RequestStatus::Open);
}

#[tokio::test]
async fn a_session_ends_when_its_key_expires() {
    let (app, _) = verified_request().await;
    let key = staff_key(&app, &["privacy:read"]).await;
    let mut browser = Browser::new(&app);
    browser.sign_in(&key).await;
    assert!(browser.get_text("/desk").await.contains("Sign out"));
    let id = key_id(&key).unwrap();
    app.tweak::<ApiKey>(RecordKind::ApiKey, id, |k| {
        k.expires_at = Some(Timestamp::now().plus_seconds(-1));
        true
    })
    .await;
    let page = browser.get_text("/desk").await;
    assert!(page.contains("name=key type=password"), "{page}");
}
