//! `PATCH /api/v1/privacy-requests/{id}` (`privacy:write`) with `If-Match: <ETag>` and one action:
//! `{"action": "approve"}` answers the request at once (package, erasure, opt-outs, completion mail);
//! `{"action": "deny", "reason": <code>, "text": ...}` refuses it, and the person is told why and that
//! they may complain; `{"action": "extend", "reason": ...}` moves the deadline once (GDPR: two more
//! months; CCPA: 45 more days) and tells the person why; `{"action": "rectify", "changes": {...}}`
//! corrects the person's records (each change re-enters its feed). A stale ETag is 412 and changes
//! nothing, so an approval racing a denial has exactly one winner; a transition the request's state does
//! not allow is 409 naming that state. Every step is an entry in the `requests` log.

use crate::auth::{PRIVACY_WRITE, if_match};
use crate::show_privacy_request::view;
use bytes::Bytes;
use http::{HeaderMap, Response};
use http_body_util::Full;
use shared::body::{BodyRules, FieldReader, RawFields};
use shared::http::ApiError;
use shared::privacy::decide::{Act, decide};
use shared::privacy::{DataRequest, PrivacySettings};
use shared::records::ApiKey;
use shared::store::{Backend, RecordKind, Store};
use shared::time::Timestamp;

/// The largest body read: any decision the OpenAPI document allows (2 000 characters of text, each
/// possibly a 12-byte JSON escape).
const MAX_BODY: usize = 32 * 1024;

pub async fn decide_privacy_request<B: Backend>(
    id: &str,
    headers: &HeaderMap,
    body: Full<Bytes>,
    key: &ApiKey,
    settings: &PrivacySettings,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let if_match = if_match(key, PRIVACY_WRITE, headers)?;
    // JSON (any `application/*+json` too), `changes` a map of field: new value.
    let rules = BodyRules::any_json().maps(&["changes"]);
    let (fields, _) = RawFields::read(headers, body, MAX_BODY, &rules).await?;
    let act = Act::read(FieldReader::new(fields))?;
    decide(store, settings, id, if_match, &act, key, now).await?;
    let (request, etag) = store
        .get_tagged::<DataRequest>(RecordKind::DataRequest, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    view(store, settings, &request, &etag, now).await
}
