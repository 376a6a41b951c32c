//! The test host behaves like Spin 4.1 where the product depends on it (store and variable grants,
//! spin-* headers, routing, increment, get-keys, instance reuse), checked through the `probe` fixture.

use crate::harness::{TestApp, fixture_manifest};
use shared::store::Backend;
use std::path::PathBuf;

async fn text(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(path).await;
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// The values of header `name` in the probe's `/headers` echo, in received order.
fn header_values(echo: &str, name: &str) -> Vec<String> {
    echo.lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
        .collect()
}

#[tokio::test]
async fn a_component_cannot_open_a_store_it_was_not_granted() {
    let app = TestApp::spawn_fixture().await;
    assert_eq!(text(&app, "/open/default").await, (200, "ok".into()));
    assert_eq!(
        text(&app, "/open/other").await.1,
        "error: Error::AccessDenied"
    );
    assert_eq!(
        text(&app, "/wasi-open/other").await.1,
        "error: Error::AccessDenied"
    );
    assert_eq!(text(&app, "/wasi-open/default").await.1, "ok");
}

#[tokio::test]
async fn a_variable_not_granted_is_undefined() {
    let app = TestApp::spawn_fixture().await;
    let (status, body) = text(&app, "/var/not_granted").await;
    assert_eq!(status, 404);
    assert!(body.starts_with("error: Error::Undefined("), "{body}");
    assert_eq!(
        text(&app, "/var/greeting").await,
        (200, "hello granted-value".into())
    );
    let (_, body) = text(&app, "/var/Bad-Name").await;
    assert!(body.starts_with("error: Error::InvalidName("), "{body}");
}

#[tokio::test]
async fn variables_are_rendered_from_overrides() {
    let app = TestApp::spawn_fixture_with(|v| {
        v.set("granted", "overridden");
    })
    .await;
    assert_eq!(text(&app, "/var/greeting").await.1, "hello overridden");
    assert_eq!(
        text(&app, "/var/secret").await.1,
        crate::harness::test_secret("secret_thing")
    );
}

#[tokio::test]
async fn a_required_variable_without_a_value_fails_app_load() {
    let err = ::host::App::builder(fixture_manifest())
        .env_variables(false)
        .build()
        .err()
        .expect("load must fail");
    assert!(
        format!("{err:#}").contains("no provider resolved required variable"),
        "{err:#}"
    );
}

#[tokio::test]
async fn a_forged_spin_client_addr_is_not_the_last_value() {
    let app = TestApp::spawn_fixture().await;
    let echo = app
        .client
        .get(app.url("/headers"))
        .header("spin-client-addr", "6.6.6.6:666")
        .header("spin-full-url", "http://evil.example/")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let addrs = header_values(&echo, "spin-client-addr");
    assert_eq!(addrs.len(), 2, "{echo}");
    assert_eq!(addrs[0], "6.6.6.6:666");
    assert!(addrs[1].starts_with("127.0.0.1:"), "{echo}");
    assert_ne!(addrs[1], format!("127.0.0.1:{}", app.address.port()));
    let urls = header_values(&echo, "spin-full-url");
    assert_eq!(urls.last().unwrap(), &app.url("/headers"));
}

#[tokio::test]
async fn spin_headers_describe_the_matched_route() {
    let app = TestApp::spawn_fixture().await;
    let echo = text(&app, "/users/42/x/headers?q=1").await.1;
    let one = |name| header_values(&echo, name).pop().unwrap_or_default();
    assert_eq!(one("spin-matched-route"), "/users/:id/...");
    assert_eq!(one("spin-raw-component-route"), "/users/:id/...");
    assert_eq!(one("spin-component-route"), "/users/:id");
    assert_eq!(one("spin-path-info"), "/x/headers");
    assert_eq!(one("spin-base-path"), "/");
    assert_eq!(one("spin-path-match-id"), "42");
    assert_eq!(one("spin-full-url"), app.url("/users/42/x/headers?q=1"));
}

#[tokio::test]
async fn the_most_specific_route_wins() {
    let app = TestApp::spawn_fixture().await;
    let exact = text(&app, "/exact/headers").await.1;
    assert_eq!(
        header_values(&exact, "spin-matched-route"),
        ["/exact/headers"]
    );
    assert_eq!(header_values(&exact, "spin-path-info"), [""]);
    let other = text(&app, "/exact/other/headers").await.1;
    assert_eq!(header_values(&other, "spin-matched-route"), ["/..."]);
}

/// A manifest routing only `/only/...` to the probe, written to the temp directory with the fixture's
/// relative sources made absolute (so no stray file is left in the repo if a test dies).
fn narrow_manifest() -> PathBuf {
    let fixtures = fixture_manifest().parent().unwrap().display().to_string();
    let text = std::fs::read_to_string(fixture_manifest())
        .unwrap()
        .replace("route = \"/...\"", "route = \"/only/...\"")
        .replace("route = \"/exact/headers\"", "route = \"/only/exact\"")
        .replace(
            "source = \"../../",
            &format!("source = \"{fixtures}/../../"),
        );
    let path = std::env::temp_dir().join(format!("narrow-{}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test]
async fn an_unrouted_path_gets_an_empty_404() {
    let manifest = narrow_manifest();
    let app = TestApp::spawn_manifest_with(&manifest, |_| {}).await;
    std::fs::remove_file(&manifest).ok();
    assert_eq!(text(&app, "/nowhere").await, (404, String::new()));
    assert_eq!(text(&app, "/only/headers").await.0, 200);
    assert_eq!(
        text(&app, "/.well-known/spin/health").await,
        (200, "OK".into())
    );
}

#[tokio::test]
async fn increment_stores_eight_little_endian_bytes_on_sqlite_and_a_decimal_on_redis() {
    let app = TestApp::spawn_fixture().await;
    assert_eq!(text(&app, "/incr/counter").await, (200, "1".into()));
    assert_eq!(text(&app, "/incr/counter").await, (200, "2".into()));
    let stored = match app.kv().flavour().await.unwrap() {
        shared::store::Flavour::Sqlite => 2i64.to_le_bytes().to_vec(),
        shared::store::Flavour::Portable => b"2".to_vec(),
    };
    assert_eq!(app.kv().get("counter").await.unwrap(), Some(stored));
    assert_eq!(app.kv().increment("counter", 0).await.unwrap(), 2);
}

#[tokio::test]
async fn increment_on_a_key_holding_anything_else_fails_loudly() {
    let app = TestApp::spawn_fixture().await;
    assert_eq!(text(&app, "/put/word?hello").await.1, "ok");
    assert_eq!(text(&app, "/incr/word").await.0, 500);
    assert!(app.kv().increment("word", 1).await.is_err());
}

#[tokio::test]
async fn get_keys_fails_loudly() {
    let app = TestApp::spawn_fixture().await;
    assert_eq!(text(&app, "/keys").await.0, 500);
    // The store still works afterwards (no hang).
    assert_eq!(text(&app, "/set").await, (200, "ok".into()));
}

#[tokio::test]
async fn the_same_instance_serves_consecutive_requests() {
    let app = TestApp::spawn_fixture().await;
    let counts: Vec<String> = futures_seq(&app, 3).await;
    assert_eq!(counts, ["1", "2", "3"]);
}

async fn futures_seq(app: &TestApp, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(text(app, "/instance").await.1);
    }
    out
}

#[tokio::test]
async fn an_idle_instance_is_dropped_after_about_a_second() {
    let app = TestApp::spawn_fixture().await;
    assert_eq!(text(&app, "/instance").await.1, "1");
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(text(&app, "/instance").await.1, "1");
}

#[tokio::test]
async fn the_store_handle_sees_what_the_component_wrote_and_each_app_is_fresh() {
    let app = TestApp::spawn_fixture().await;
    assert_eq!(app.kv().get("probe:set").await.unwrap(), None);
    assert_eq!(text(&app, "/set").await, (200, "ok".into()));
    assert_eq!(
        app.kv().get("probe:set").await.unwrap(),
        Some(b"1".to_vec())
    );
    let other = TestApp::spawn_fixture().await;
    assert_eq!(other.kv().get("probe:set").await.unwrap(), None);
}

#[tokio::test]
async fn an_ipv6_peer_is_reported_in_brackets() {
    let app =
        match TestApp::try_spawn(&fixture_manifest(), |_| {}, "[::1]:0".parse().unwrap()).await {
            Ok(app) => app,
            Err(e) => {
                eprintln!("skipping: cannot listen on [::1]: {e:#}");
                return;
            }
        };
    let echo = text(&app, "/headers").await.1;
    let addr = header_values(&echo, "spin-client-addr").pop().unwrap();
    assert!(addr.starts_with("[::1]:"), "{addr}");
}

#[tokio::test]
async fn the_project_app_loads_and_answers_404_for_unknown_paths() {
    let app = TestApp::spawn().await;
    // The site component serves `/...`, so an unknown page is its 404, not the host's empty one.
    assert_eq!(text(&app, "/nowhere").await.0, 404);
    assert_eq!(text(&app, "/api/forms/contact/nowhere").await.0, 404);
}

#[tokio::test]
async fn an_outbound_request_to_a_host_not_granted_is_denied() {
    let app = TestApp::spawn_fixture().await;
    let url = app.url("/instance");
    let (status, body) = text(&app, &format!("/fetch?{url}")).await;
    assert_eq!(status, 200);
    assert!(body.contains("HttpRequestDenied"), "{body}");
}

#[tokio::test]
async fn an_outbound_request_to_a_granted_host_is_sent() {
    let text_manifest = std::fs::read_to_string(fixture_manifest())
        .unwrap()
        .replace(
            "allowed_outbound_hosts = []",
            "allowed_outbound_hosts = [\"http://127.0.0.1:*\"]",
        );
    let manifest =
        fixture_manifest().with_file_name(format!("outbound-{}.toml", std::process::id()));
    std::fs::write(&manifest, text_manifest).unwrap();
    let app = TestApp::spawn_manifest_with(&manifest, |_| {}).await;
    std::fs::remove_file(&manifest).ok();
    let url = app.url("/instance");
    assert_eq!(
        text(&app, &format!("/fetch?{url}")).await,
        (200, "status: 200".into())
    );
}
