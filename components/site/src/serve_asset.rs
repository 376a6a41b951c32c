//! `GET` of the embedded assets, each with its content type and caching policy; pages with their
//! Content-Security-Policy, the banner script with the configured Consent Mode wait.

use http::{HeaderValue, Method, Response, header};
use shared::http::{ApiError, asset, banner_page_csp};

/// Pages may change with any deploy: browsers revalidate after a minute.
const HTML_CACHE: &str = "public, max-age=60";
/// The banner script is loaded on every page of the sites that use it: cached for an hour, then
/// served stale while it revalidates.
const SCRIPT_CACHE: &str = "public, max-age=3600, stale-while-revalidate=86400";

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The banner script's default `wait_for_update`, which [`serve_asset`] replaces with the configured one.
const WAIT_PLACEHOLDER: &str = "500 /*wait_for_update_ms*/";

/// One embedded file.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub cache: &'static str,
    pub body: &'static str,
}

/// Every file the component serves.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: HTML,
        cache: HTML_CACHE,
        body: include_str!("../assets/index.html"),
    },
    Asset {
        path: "/consent.js",
        content_type: JAVASCRIPT,
        cache: SCRIPT_CACHE,
        body: include_str!("../assets/consent.js"),
    },
    Asset {
        path: "/consent.css",
        content_type: CSS,
        cache: SCRIPT_CACHE,
        body: include_str!("../assets/consent.css"),
    },
    Asset {
        path: "/thanks.html",
        content_type: HTML,
        cache: HTML_CACHE,
        body: include_str!("../assets/thanks.html"),
    },
    Asset {
        path: "/site.css",
        content_type: CSS,
        cache: HTML_CACHE,
        body: include_str!("../assets/site.css"),
    },
    Asset {
        path: "/site.js",
        content_type: JAVASCRIPT,
        cache: HTML_CACHE,
        body: include_str!("../assets/site.js"),
    },
    Asset {
        path: "/stand-in-tag.js",
        content_type: JAVASCRIPT,
        cache: HTML_CACHE,
        body: include_str!("../assets/stand-in-tag.js"),
    },
];

/// The asset at `path`, if any.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// Answers `GET`/`HEAD` of an embedded asset; `404` for any other path, `405` for other methods. The
/// banner script tells Consent Mode to wait `wait_for_update_ms` for its update.
pub fn serve_asset(
    method: &Method,
    path: &str,
    wait_for_update_ms: u32,
) -> Result<Response<String>, ApiError> {
    let found = find(path).ok_or(ApiError::NotFound)?;
    if method != Method::GET && method != Method::HEAD {
        return Err(ApiError::MethodNotAllowed { allow: "GET, HEAD" });
    }
    let mut response = if found.path == "/consent.js" {
        let body = found
            .body
            .replacen(WAIT_PLACEHOLDER, &wait_for_update_ms.to_string(), 1);
        asset(found.content_type, &body, found.cache)
    } else {
        asset(found.content_type, found.body, found.cache)
    };
    let headers = response.headers_mut();
    if found.path.starts_with("/consent.") {
        // Other sites embed the banner; let pages that require CORP (COEP) load it too.
        headers.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
    }
    if found.content_type == HTML {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(banner_page_csp()),
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_asset_is_served_with_its_type_and_cache_policy() {
        let page = serve_asset(&Method::GET, "/", 500).unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["content-type"], HTML);
        assert_eq!(page.headers()["cache-control"], HTML_CACHE);
        assert_eq!(page.headers()["content-security-policy"], banner_page_csp());
        let script = serve_asset(&Method::GET, "/consent.js", 500).unwrap();
        assert_eq!(script.headers()["content-type"], JAVASCRIPT);
        assert_eq!(script.headers()["cache-control"], SCRIPT_CACHE);
        assert_eq!(script.headers()["x-content-type-options"], "nosniff");
    }

    #[test]
    fn unknown_paths_are_not_found_and_posts_not_allowed() {
        assert!(matches!(
            serve_asset(&Method::GET, "/index.php", 500),
            Err(ApiError::NotFound)
        ));
        assert!(matches!(
            serve_asset(&Method::POST, "/", 500),
            Err(ApiError::MethodNotAllowed { .. })
        ));
    }

    #[test]
    fn the_banner_script_carries_the_configured_wait() {
        assert!(find("/consent.js").unwrap().body.contains(WAIT_PLACEHOLDER));
        let script = serve_asset(&Method::GET, "/consent.js", 1250).unwrap();
        assert!(script.body().contains("var WAIT = 1250;"));
    }

    #[test]
    fn no_page_has_an_inline_script_or_stylesheet() {
        for page in ASSETS.iter().filter(|a| a.content_type == HTML) {
            for inline in ["<style", "<script>", "style=", "onclick=", "onload="] {
                assert!(!page.body.contains(inline), "{} has {inline}", page.path);
            }
            // Every script element loads a file of the app.
            for tag in page.body.split("<script").skip(1) {
                assert!(tag.contains(" src=\"/"), "{}: <script{tag}", page.path);
            }
        }
    }

    #[test]
    fn the_demo_page_loads_the_banner_and_credits_db_ip() {
        let page = find("/").unwrap().body;
        assert!(page.contains("src=\"/consent.js\""));
        assert!(page.contains("https://db-ip.com"));
        assert!(page.contains("data-consent-settings"));
    }
}
