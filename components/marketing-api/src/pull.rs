//! `GET /api/v1/{collection}?after=&limit=&format=`: one page of a collection's change feed ([`feed`]),
//! as JSON (`{"items": [...], "next_cursor": "..."}`), NDJSON (one item per line) or CSV (a header row,
//! then one row per item, [`crate::csv`]), the next cursor of NDJSON and CSV in the `Next-Cursor` header,
//! chosen by `format=json|ndjson|csv` or `Accept`; `limit=all` streams NDJSON or CSV to the end
//! ([`crate::export`]). Needs the collection's scope; full IP addresses only with `ip:read`. Every pull is
//! registered in the `access` log: the key, the collection, the entries read and the number of records.

use crate::auth::{IP_READ, actor, has, require};
use crate::feed::{self, Collection, Limit, params};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::Serialize;
use serde_json::Value;
use shared::http::{ApiError, Reply, json_response};
use shared::records::{Action, ApiKey};
use shared::store::{Backend, Event, Log, Store};
use shared::time::Timestamp;
use std::rc::Rc;

/// The formats served.
pub const SERVED: &str = "application/json, application/x-ndjson or text/csv";

/// The header that carries the next cursor of an NDJSON or CSV page.
pub const NEXT_CURSOR: &str = "next-cursor";

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

#[derive(Serialize)]
struct Body<'a> {
    items: &'a [Value],
    next_cursor: String,
}

pub async fn pull<B: Backend + 'static>(
    headers: &HeaderMap,
    query: Option<&str>,
    collection: &'static Collection,
    key: &ApiKey,
    store: Rc<Store<B>>,
    now: Timestamp,
) -> Result<Response<Reply>, ApiError> {
    require(key, collection.scope)?;
    let format = negotiate(headers, query)?;
    let (after, limit) = params(collection, query)?;
    let head = store.log_head(collection.log).await?;
    if after > head {
        // A cursor ahead of the feed names an entry that does not exist (yet).
        return Err(ApiError::NotFound);
    }
    let full_ips = has(key, IP_READ);
    let limit = match limit {
        Limit::Page(limit) => limit,
        Limit::All => {
            // Holes above the newest written entry are left to the next pull.
            let end = feed::newest_written(&store, collection.log, after, head).await?;
            let export = crate::export::Export {
                collection,
                format,
                full_ips,
                key_id: key.id.clone(),
                actor: actor(key),
                after,
                end,
                started: now,
            };
            let next_cursor = collection.cursor(end);
            let body = export.stream(store).await?;
            return Ok(headed(body, format, &next_cursor));
        }
    };
    let page = feed::page(&store, collection, after, head, limit, full_ips, now).await?;
    let event = Event {
        log: Log::Access,
        action: Action::Read,
        actor: actor(key),
        detail: Some(format!(
            "collection={} after={after} to={} count={}",
            collection.name,
            page.next,
            page.items.len()
        )),
        at: now,
    };
    store.note_many(event).await?;
    let next_cursor = collection.cursor(page.next);
    Ok(match format {
        Format::Json => json_response(
            StatusCode::OK,
            &Body {
                items: &page.items,
                next_cursor,
            },
        )
        .map(Reply::from),
        Format::Ndjson => headed(ndjson(&page.items).into(), format, &next_cursor),
        Format::Csv => {
            let body = crate::csv::document(collection.columns, &page.items);
            headed(body.into(), format, &next_cursor)
        }
    })
}

/// Items as NDJSON: one JSON document per line.
pub fn ndjson(items: &[Value]) -> String {
    items.iter().map(|item| format!("{item}\n")).collect()
}

/// An NDJSON or CSV answer whose next cursor travels in [`NEXT_CURSOR`].
fn headed(body: Reply, format: Format, next_cursor: &str) -> Response<Reply> {
    let content_type = match format {
        Format::Csv => CSV,
        Format::Ndjson => NDJSON,
        Format::Json => "application/json",
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(cursor) = HeaderValue::from_str(next_cursor) {
        headers.insert(NEXT_CURSOR, cursor);
    }
    response
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
