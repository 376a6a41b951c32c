//! `GET` of the embedded static assets, each with its content type and caching policy.

use http::{HeaderValue, Method, Response};
use shared::http::{ApiError, asset};

/// Pages may change with any deploy: browsers revalidate after a minute.
const HTML_CACHE: &str = "public, max-age=60";
/// The banner script is loaded on every page of the sites that use it: cached for an hour, then
/// served stale while it revalidates.
const SCRIPT_CACHE: &str = "public, max-age=3600, stale-while-revalidate=86400";

const HTML: &str = "text/html; charset=utf-8";
const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

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
        path: "/thanks.html",
        content_type: HTML,
        cache: HTML_CACHE,
        body: include_str!("../assets/thanks.html"),
    },
];

/// The asset at `path`, if any.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

/// Answers `GET`/`HEAD` of an embedded asset; `404` for any other path, `405` for other methods.
pub fn serve_asset(method: &Method, path: &str) -> Result<Response<String>, ApiError> {
    let found = find(path).ok_or(ApiError::NotFound)?;
    if method != Method::GET && method != Method::HEAD {
        return Err(ApiError::MethodNotAllowed { allow: "GET, HEAD" });
    }
    let mut response = asset(found.content_type, found.body, found.cache);
    if found.content_type == JAVASCRIPT {
        // Other sites embed the banner; let pages that require CORP (COEP) load it too.
        response.headers_mut().insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_asset_is_served_with_its_type_and_cache_policy() {
        let page = serve_asset(&Method::GET, "/").unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["content-type"], HTML);
        assert_eq!(page.headers()["cache-control"], HTML_CACHE);
        let script = serve_asset(&Method::GET, "/consent.js").unwrap();
        assert_eq!(script.headers()["content-type"], JAVASCRIPT);
        assert_eq!(script.headers()["cache-control"], SCRIPT_CACHE);
        assert_eq!(script.headers()["x-content-type-options"], "nosniff");
    }

    #[test]
    fn unknown_paths_are_not_found_and_posts_not_allowed() {
        assert!(matches!(
            serve_asset(&Method::GET, "/index.php"),
            Err(ApiError::NotFound)
        ));
        assert!(matches!(
            serve_asset(&Method::POST, "/"),
            Err(ApiError::MethodNotAllowed { .. })
        ));
    }

    #[test]
    fn the_demo_page_loads_the_banner_and_credits_db_ip() {
        let page = find("/").unwrap().body;
        assert!(page.contains("src=\"/consent.js\""));
        assert!(page.contains("https://db-ip.com"));
        assert!(page.contains("data-consent-settings"));
    }
}
