//! Who is posting: the rate limit per visitor, the visitor's address (proxies, forged headers, IPv6, its
//! location offline), and allowed origins.

use super::support::{
    TEST_FORMS, behind_proxy, contact, nothing_stored, only_submission, spawn, stored,
};
use crate::harness::{TestApp, project_manifest};

#[tokio::test]
async fn posts_over_the_rate_limit_get_429_and_are_not_stored() {
    let app = spawn(&[("rate_limit", "3/600")]).await;

    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            app.post_json("/api/forms/contact", &contact())
                .await
                .status()
                .as_u16(),
        );
    }

    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    let limited = app.post_json("/api/forms/contact", &contact()).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after));
    assert_eq!(stored(&app).await.len(), 3);
}

#[tokio::test]
async fn the_rate_limit_counts_each_visitor_separately() {
    let app = spawn(&[("rate_limit", "1/600"), ("trusted_proxies", "127.0.0.1/32")]).await;

    let first = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[("x-forwarded-for", "203.0.113.1")],
        )
        .await;
    let second = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[("x-forwarded-for", "203.0.113.2")],
        )
        .await;
    let again = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[("x-forwarded-for", "203.0.113.1")],
        )
        .await;

    assert_eq!(
        (
            first.status().as_u16(),
            second.status().as_u16(),
            again.status().as_u16()
        ),
        (201, 201, 429)
    );
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = spawn(&[]).await;

    app.post_json_with(
        "/api/forms/contact",
        &contact(),
        &[
            ("x-forwarded-for", "8.8.8.8"),
            ("true-client-ip", "1.1.1.1"),
            ("cf-connecting-ip", "9.9.9.9"),
        ],
    )
    .await;

    let stored = only_submission(&app).await;
    assert_eq!(stored.origin.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(stored.origin.ip_source, shared::domain::IpSource::Peer);
    assert_eq!(stored.origin.location, None, "loopback has no location");
}

#[tokio::test]
async fn a_forged_spin_client_addr_header_is_ignored() {
    let app = spawn(&[]).await;

    app.post_json_with(
        "/api/forms/contact",
        &contact(),
        &[("spin-client-addr", "8.8.8.8:53")],
    )
    .await;

    assert_eq!(
        only_submission(&app).await.origin.ip.as_deref(),
        Some("127.0.0.1")
    );
}

#[tokio::test]
async fn an_ipv6_peer_is_stored_with_its_48_bit_network() {
    let listen = "[::1]:0".parse().unwrap();
    let app = TestApp::try_spawn(
        &project_manifest(),
        |vars| {
            vars.set("forms", TEST_FORMS);
        },
        listen,
    )
    .await
    .expect("an app listening on [::1]");

    app.post_json("/api/forms/contact", &contact()).await;

    let stored = only_submission(&app).await;
    assert_eq!(stored.origin.ip.as_deref(), Some("::1"));
    assert_eq!(stored.origin.ip_truncated, "::");
}

#[tokio::test]
async fn known_addresses_are_located_offline() {
    let app = behind_proxy().await;
    let cases = [
        ("8.8.8.8", "US", false),
        ("1.1.1.1", "AU", false),
        ("80.128.0.1", "DE", true),
        ("2003:e0::1", "DE", true),
        ("193.0.6.139", "NL", true),
        ("2a02:a400::1", "NL", true),
    ];
    for (ip, _, _) in cases {
        let response = app
            .post_json_with("/api/forms/contact", &contact(), &[("x-forwarded-for", ip)])
            .await;
        assert_eq!(response.status(), 201);
    }

    let stored = stored(&app).await;
    for ((ip, country, eu), submission) in cases.iter().zip(&stored) {
        assert_eq!(submission.origin.ip.as_deref(), Some(*ip));
        let location = submission
            .origin
            .location
            .as_ref()
            .unwrap_or_else(|| panic!("{ip} has a location"));
        assert_eq!(
            (location.country.as_str(), location.eu),
            (*country, *eu),
            "{ip}"
        );
    }
    assert_eq!(stored[3].origin.ip_truncated, "2003:e0::");
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_and_others_are_refused() {
    let app = spawn(&[("allowed_origins", "https://www.example.com")]).await;

    let allowed = app
        .options(
            "/api/forms/contact",
            &[
                ("origin", "https://www.example.com"),
                ("access-control-request-method", "POST"),
            ],
        )
        .await;
    let foreign = app
        .options(
            "/api/forms/contact",
            &[
                ("origin", "https://evil.example.net"),
                ("access-control-request-method", "POST"),
            ],
        )
        .await;

    assert_eq!(allowed.status(), 204);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://www.example.com"
    );
    assert_eq!(foreign.status(), 403);
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn a_post_from_a_foreign_origin_is_refused_and_nothing_is_stored() {
    let app = spawn(&[("allowed_origins", "https://www.example.com")]).await;

    let foreign = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[("origin", "https://evil.example.net")],
        )
        .await;
    assert_eq!(foreign.status(), 403);
    nothing_stored(&app).await;

    let allowed = app
        .post_json_with(
            "/api/forms/contact",
            &contact(),
            &[("origin", "https://www.example.com")],
        )
        .await;
    assert_eq!(allowed.status(), 201);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://www.example.com"
    );
}

#[tokio::test]
async fn a_public_post_with_origin_null_is_taken_as_the_readme_says() {
    // A page with `Referrer-Policy: no-referrer` (or a sandboxed frame) sends `Origin: null`: a public
    // post carries no session to forge, so it is taken like one without `Origin`.
    let app = spawn(&[("allowed_origins", "https://www.example.com")]).await;
    let response = app
        .post_json_with("/api/forms/contact", &contact(), &[("origin", "null")])
        .await;
    assert_eq!(response.status(), 201);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
