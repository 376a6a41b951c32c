//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the whole public HTTP API (forms, signups,
//! opt-out, consent, the site, this API). The integration tests keep it true: every route in
//! `spin.toml` is documented, every documented operation answers, and every JSON response the tests
//! see validates against its schema.

use http::Response;

/// The document, as served.
pub const OPENAPI: &str = include_str!("openapi.json");

pub fn describe_api() -> Response<String> {
    shared::http::asset("application/json", OPENAPI, "public, max-age=300")
}
