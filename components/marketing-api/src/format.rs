//! The formats a feed is served in: JSON, NDJSON and CSV ([`crate::csv`]), which one a client asked
//! for, and their media types.

use http::{HeaderMap, header};
use serde_json::Value;
use shared::http::ApiError;

/// The formats served.
pub const SERVED: &str = "application/json, application/x-ndjson or text/csv";

/// The media type of a CSV page.
pub const CSV: &str = "text/csv; charset=utf-8; header=present";

/// The media type of an NDJSON page.
pub const NDJSON: &str = "application/x-ndjson";

/// A page's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Ndjson,
    Csv,
}

impl Format {
    /// The media type of a page in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => CSV,
            Self::Ndjson => NDJSON,
            Self::Json => "application/json",
        }
    }
}

/// Items as NDJSON: one JSON document per line.
pub fn ndjson(items: &[Value]) -> String {
    items.iter().map(|item| format!("{item}\n")).collect()
}

/// The format: `format=json|ndjson|csv`, else the first of `Accept`'s media ranges that is served
/// (`application/x-ndjson`; `text/csv`; `application/json`, `application/*`, `*/*` or no `Accept`: JSON); 406 when
/// none is.
pub fn negotiate(headers: &HeaderMap, query: Option<&str>) -> Result<Format, ApiError> {
    let refused = ApiError::NotAcceptable { served: SERVED };
    let format = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "format")
        .map(|(_, value)| value.into_owned());
    if let Some(format) = format {
        return match format.as_str() {
            "json" | "application/json" => Ok(Format::Json),
            "ndjson" | "application/x-ndjson" => Ok(Format::Ndjson),
            "csv" | "text/csv" => Ok(Format::Csv),
            _ => Err(refused),
        };
    }
    let Some(accept) = headers.get(header::ACCEPT) else {
        return Ok(Format::Json);
    };
    let accept = accept.to_str().unwrap_or_default();
    if accept.trim().is_empty() {
        return Ok(Format::Json);
    }
    accept
        .split(',')
        .find_map(|range| {
            let media = range.split(';').next().unwrap_or_default().trim();
            let is = |name: &str| media.eq_ignore_ascii_case(name);
            if is("application/x-ndjson") {
                Some(Format::Ndjson)
            } else if is("text/csv") {
                Some(Format::Csv)
            } else if is("application/json") || is("application/*") || is("*/*") {
                Some(Format::Json)
            } else {
                None
            }
        })
        .ok_or(refused)
}
#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn json_ndjson_or_csv_is_served_to_whoever_takes_it_and_nothing_else() {
        let json = |h: &HeaderMap, q| matches!(negotiate(h, q), Ok(Format::Json));
        let ndjson = |h: &HeaderMap, q| matches!(negotiate(h, q), Ok(Format::Ndjson));
        assert!(json(&HeaderMap::new(), None));
        assert!(json(&accept("application/json"), None));
        assert!(json(&accept("text/html, */*;q=0.1"), None));
        assert!(json(&HeaderMap::new(), Some("format=json")));
        let csv = |h: &HeaderMap, q| matches!(negotiate(h, q), Ok(Format::Csv));
        assert!(ndjson(&accept("text/plain, application/x-ndjson"), None));
        assert!(ndjson(&accept("application/json"), Some("format=ndjson")));
        assert!(csv(&accept("text/csv"), None));
        assert!(csv(
            &accept("text/csv; charset=utf-8, application/json"),
            None
        ));
        assert!(csv(&accept("application/json"), Some("format=csv")));
        assert!(negotiate(&accept("text/plain"), None).is_err());
        assert!(negotiate(&accept("application/xml"), None).is_err());
        assert!(negotiate(&HeaderMap::new(), Some("format=xml")).is_err());
    }
}
