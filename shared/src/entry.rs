//! The frame of every component's HTTP entry point: configuration, store, answer and CORS, so that a
//! component's `lib.rs` holds only its route table.

use crate::capture::{CaptureSettings, respond};
use crate::http::{ApiError, prefers_html, read_body};
use crate::store::{SpinBackend, Store};
use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use spin_sdk::http::Request;

/// The most of a request body read before routing: above every endpoint's own limit (the largest, an
/// opt-out check of two full lists, is about 6 MB), which each handler still applies.
const MAX_BUFFERED: usize = 8 * 1024 * 1024;

/// One request, as a route table sees it: its body read already.
pub struct Incoming {
    pub request: http::Request<Full<Bytes>>,
    pub query: Option<String>,
    pub method: http::Method,
    pub headers: http::HeaderMap,
    path: String,
}

impl Incoming {
    /// The request's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The path's segments without the leading `/`: `/u/abc` → `["u", "abc"]`.
    pub fn segments(&self) -> Vec<&str> {
        self.path.trim_start_matches('/').split('/').collect()
    }
}

/// Answers `request`: loads the component's configuration (`config`), opens the store, runs `route`, and
/// turns its error into a page or JSON as the client prefers, with CORS headers for the origins that
/// `cors` allows (`None` for server-to-server endpoints).
pub async fn serve<C: 'static, B: From<String>>(
    request: Request,
    config: Result<&'static C, ApiError>,
    cors: fn(&C) -> Option<&CaptureSettings>,
    route: impl AsyncFnOnce(Incoming, &'static C, Store<SpinBackend>) -> Result<Response<B>, ApiError>,
) -> Response<B> {
    let headers = request.headers().clone();
    let config = match config {
        Ok(config) => config,
        Err(error) => return error.into_response(prefers_html(&headers)).map(B::from),
    };
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let query = request.uri().query().map(str::to_owned);
    // The whole body is read before anything answers: on Spin 4.1 an answer sent while the request's
    // body lay unread was seen cut off mid-stream ("invalid chunk", under fuzzing: a 400 for a
    // malformed If-Match, a signed-token page), whichever handler sent it.
    let (parts, body) = request.into_parts();
    let result = match read_body(&headers, body, MAX_BUFFERED).await {
        Ok(body) => {
            let incoming = Incoming {
                method: method.clone(),
                path: path.clone(),
                query,
                headers: headers.clone(),
                request: http::Request::from_parts(parts, Full::new(body)),
            };
            match Store::open() {
                Ok(store) => route(incoming, config, store).await,
                Err(error) => Err(error.into()),
            }
        }
        Err(error) => Err(error),
    };
    // A method the path does not take is 405 with the path's methods, whichever router said 404.
    let result = match (result, crate::routes::allowed(&path)) {
        (Err(ApiError::NotFound), Some(allow))
            if !allow.split(", ").any(|m| m == method.as_str()) =>
        {
            Err(ApiError::MethodNotAllowed { allow })
        }
        (result, _) => result,
    };
    match cors(config) {
        Some(settings) => respond(&headers, settings, result),
        None => {
            result.unwrap_or_else(|error| error.into_response(prefers_html(&headers)).map(B::from))
        }
    }
}

/// A component's HTTP entry point, written once for all: the `#[spin_sdk::http_service]` function that
/// answers each request with [`serve`], given the component's configuration (`config`, its loader's
/// future), the CORS settings `cors` picks from it (`None` for server-to-server components) and the
/// route table (`route`, an async closure over the [`Incoming`] request, the configuration and the
/// store). The route table sees the crate's modules, `Method` and `ApiError`.
///
/// ```ignore
/// #[cfg(target_arch = "wasm32")]
/// shared::entry::component! {
///     config: config::load(),
///     cors: |c| Some(&c.capture),
///     route: async |incoming, config, store| match (&incoming.method, &incoming.segments()[..]) {
///         (&Method::GET, ["api", "thing"]) => show_thing::show_thing(config, &store).await,
///         _ => Err(ApiError::NotFound),
///     },
/// }
/// ```
pub use crate::__component as component;

#[doc(hidden)]
#[macro_export]
macro_rules! __component {
    (config: $config:expr, cors: $cors:expr, route: $route:expr $(,)?) => {
        mod entry {
            use super::*;
            use ::http::Method;
            use $crate::http::ApiError;

            #[spin_sdk::http_service]
            async fn handle(request: spin_sdk::http::Request) -> impl spin_sdk::http::IntoResponse {
                $crate::entry::serve(request, $config.await, $cors, $route).await
            }
        }
    };
}
