//! `GET /api/v1/{collection}?after=&limit=&format=`: one page of a collection's change feed ([`feed`]),
//! as JSON (`{"items": [...], "next_cursor": "..."}`), NDJSON (one item per line) or CSV (a header row,
//! then one row per item, [`crate::csv`]), the next cursor of NDJSON and CSV in the `Next-Cursor` header,
//! chosen by `format=json|ndjson|csv` or `Accept`; `limit=all` streams NDJSON or CSV to the end
//! ([`crate::export`]). Needs the collection's scope; full IP addresses only with `ip:read`. Every pull is
//! registered in the `access` log: the key, the collection, the entries read and the number of records.

use crate::auth::{IP_READ, actor, has, require};
use crate::feed::{self, Collection, Limit, params};
use crate::format::{Format, ndjson, negotiate};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::Serialize;
use serde_json::Value;
use shared::http::{ApiError, Reply, json_response};
use shared::records::{Action, ApiKey};
use shared::store::{Backend, Event, Log, Store};
use shared::time::Timestamp;
use std::rc::Rc;

/// The header that carries the next cursor of an NDJSON or CSV page.
pub const NEXT_CURSOR: &str = "next-cursor";

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
            let end = store
                .reader(collection.log, now)
                .newest(after, head)
                .await?;
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
    let event = Event::by(
        actor(key),
        Log::Access,
        Action::Read,
        Some(format!(
            "collection={} after={after} to={} count={}",
            collection.name,
            page.next,
            page.items.len()
        )),
        now,
    );
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

/// An NDJSON or CSV answer whose next cursor travels in [`NEXT_CURSOR`].
fn headed(body: Reply, format: Format, next_cursor: &str) -> Response<Reply> {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_static(format.media_type());
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(cursor) = HeaderValue::from_str(next_cursor) {
        headers.insert(NEXT_CURSOR, cursor);
    }
    response
}
