//! HTTP routing and the `spin-*` request headers, as Spin 4.1 does them (spin crates/routes and
//! crates/trigger-http/src/headers.rs): the same matcher (`routefinder`, most specific route wins), the same
//! route normalisation, and the headers appended after whatever the client sent.

use anyhow::{Result, anyhow};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::net::SocketAddr;

/// What a route points at.
#[derive(Debug, Clone)]
struct Handler {
    component: String,
    /// The route with the base (`/`) applied and any trailing `/` removed, e.g. `/api/forms/...`.
    based_route: String,
    /// The route as written in the manifest.
    raw_route: String,
}

/// The app's routes.
#[derive(Debug)]
pub struct Router {
    inner: routefinder::Router<Handler>,
    /// For printing: (component, based route), in manifest order.
    listing: Vec<(String, String)>,
}

/// A successful route match, owning what the headers need.
#[derive(Debug, Clone)]
pub struct RouteMatch {
    pub component: String,
    pub based_route: String,
    pub raw_route: String,
    /// `:name` captures, in route order.
    pub params: Vec<(String, String)>,
    /// What `/...` matched, as Spin computes `spin-path-info`.
    pub path_info: String,
}

impl Router {
    /// Builds the router from (route, component) pairs in manifest order. As in Spin, a later trigger
    /// with the same raw route replaces an earlier one.
    pub fn build<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let mut entries: Vec<(String, Handler)> = Vec::new();
        for (raw_route, component) in routes {
            let based_route = sanitize_with_base("/", raw_route);
            let handler = Handler {
                component: component.to_owned(),
                based_route,
                raw_route: raw_route.to_owned(),
            };
            if let Some(existing) = entries.iter_mut().find(|(raw, _)| raw == raw_route) {
                existing.1 = handler;
            } else {
                entries.push((raw_route.to_owned(), handler));
            }
        }
        let mut inner = routefinder::Router::new();
        let mut listing = Vec::new();
        for (_, handler) in entries {
            let spec = route_spec(&handler.based_route);
            listing.push((handler.component.clone(), handler.based_route.clone()));
            inner.add(spec.as_str(), handler.clone()).map_err(|e| {
                anyhow!(
                    "Error parsing route {} associated with component {}: {e}",
                    handler.based_route,
                    handler.component
                )
            })?;
        }
        Ok(Self { inner, listing })
    }

    /// The best match for `path`, or `None` (Spin answers 404 with an empty body).
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let m = self.inner.best_match(path)?;
        let handler = m.handler();
        let captures = m.captures();
        let path_info = captures
            .wildcard()
            .map(|s| match (s.is_empty(), path.ends_with('/')) {
                (true, false) => s.to_owned(),
                (true, true) => "/".to_owned(),
                (false, false) => format!("/{s}"),
                (false, true) => format!("/{s}/"),
            })
            .unwrap_or_default();
        Some(RouteMatch {
            component: handler.component.clone(),
            based_route: handler.based_route.clone(),
            raw_route: handler.raw_route.clone(),
            params: captures
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            path_info,
        })
    }

    /// (component, route, is wildcard) for the startup listing, like `spin up` prints.
    pub fn listing(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.listing.iter().map(|(c, r)| {
            let wildcard = r.ends_with("/...") || r.ends_with("/*");
            let path = r
                .strip_suffix("/...")
                .or_else(|| r.strip_suffix("/*"))
                .unwrap_or(r);
            (c.as_str(), path, wildcard)
        })
    }
}

/// Spin's `Router::parse_route`: `/x/...` and `/x/*` are trailing wildcards, anything else exact.
fn route_spec(based_route: &str) -> String {
    if let Some(prefix) = based_route.strip_suffix("/...") {
        format!("{prefix}/*")
    } else {
        based_route.to_owned()
    }
}

fn sanitize_with_base(base: &str, path: &str) -> String {
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    format!("{}{}", strip_slash(base), strip_slash(&path))
}

fn strip_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

impl RouteMatch {
    /// `spin-component-route`: the raw route without its trailing `/...`.
    pub fn raw_route_or_prefix(&self) -> &str {
        self.raw_route
            .strip_suffix("/...")
            .unwrap_or(&self.raw_route)
    }
}

/// Appends Spin's headers after the client's (Spin rebuilds the map as client headers followed by its
/// own, so a client-sent `spin-client-addr` comes first and Spin's value is the last).
///
/// `full_url` is `scheme://host/path?query` with the `Host` header (or `localhost`) as host.
pub fn append_spin_headers(
    headers: &mut HeaderMap,
    full_url: &str,
    route: &RouteMatch,
    client_addr: SocketAddr,
) -> Result<()> {
    let mut pairs: Vec<(String, String)> = vec![
        ("spin-path-info".into(), route.path_info.clone()),
        ("spin-full-url".into(), full_url.to_owned()),
        ("spin-matched-route".into(), route.based_route.clone()),
        ("spin-base-path".into(), "/".into()),
        ("spin-raw-component-route".into(), route.raw_route.clone()),
        (
            "spin-component-route".into(),
            route.raw_route_or_prefix().to_owned(),
        ),
        // SocketAddr's Display: `127.0.0.1:5000`, `[::1]:5000`.
        ("spin-client-addr".into(), client_addr.to_string()),
    ];
    for (name, value) in &route.params {
        pairs.push((
            format!("spin-path-match-{}", name.to_ascii_lowercase()),
            value.clone(),
        ));
    }
    for (name, value) in pairs {
        // Like Spin, silently skip a pair that is not a valid header (e.g. odd bytes in a path param).
        if let (Ok(n), Ok(v)) = (
            name.parse::<HeaderName>(),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(n, v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        Router::build([
            ("/...", "catchall"),
            ("/api/forms/...", "forms"),
            ("/api/forms/special", "special"),
            ("/users/:id/...", "users"),
        ])
        .unwrap()
    }

    #[test]
    fn the_most_specific_route_wins() {
        let r = router();
        assert_eq!(r.route("/api/forms/special").unwrap().component, "special");
        assert_eq!(r.route("/api/forms/contact").unwrap().component, "forms");
        assert_eq!(r.route("/elsewhere").unwrap().component, "catchall");
        assert_eq!(r.route("/").unwrap().component, "catchall");
    }

    #[test]
    fn path_info_and_params_are_computed_like_spin() {
        let r = router();
        let m = r.route("/api/forms/contact/token").unwrap();
        assert_eq!(m.path_info, "/contact/token");
        assert_eq!(m.based_route, "/api/forms/...");
        assert_eq!(m.raw_route_or_prefix(), "/api/forms");
        let m = r.route("/users/42/bar").unwrap();
        assert_eq!(m.params, vec![("id".to_owned(), "42".to_owned())]);
        assert_eq!(m.path_info, "/bar");
        assert_eq!(r.route("/api/forms").unwrap().path_info, "");
        assert_eq!(r.route("/api/forms/").unwrap().path_info, "/");
    }

    #[test]
    fn an_unrouted_path_has_no_match() {
        let r = Router::build([("/api/forms/...", "forms")]).unwrap();
        assert!(r.route("/other").is_none());
    }
}
