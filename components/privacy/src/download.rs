//! `GET /privacy/download/{token}`: the access package of an answered request, as JSON (`Accept:
//! application/json` or `?format=json`: machine-readable, GDPR Art. 20) or as a readable page that links
//! the JSON. The link expires; every download is registered.

use crate::config::PrivacyConfig;
use crate::package_page::package_page;
use http::{HeaderMap, Response, StatusCode};
use shared::capture::client_ip;
use shared::domain::Right;
use shared::http::{ApiError, json_response, last_header};
use shared::links::{LinkError, PrivacyLink, PrivacyLinkKind};
use shared::privacy::answer::{find, package};
use shared::privacy::{DataRequest, RequestStatus, Step};
use shared::records::{Action, Actor};
use shared::store::{Backend, Event, Log, RecordKind, Store};
use shared::time::Timestamp;

fn wants_json(headers: &HeaderMap, query: Option<&str>) -> bool {
    let by_query = query.is_some_and(|q| {
        form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "format" && v == "json")
    });
    let by_accept = last_header(headers, "accept").is_some_and(|accept| {
        let json = accept.find("application/json");
        let html = accept.find("text/html");
        json.is_some() && html.is_none_or(|h| json < Some(h))
    });
    by_query || by_accept
}

pub async fn download<K: Backend>(
    headers: &HeaderMap,
    query: Option<&str>,
    config: &PrivacyConfig,
    store: &Store<K>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let now = Timestamp::now();
    let link = PrivacyLink::open(&config.privacy.keys, token, PrivacyLinkKind::Download)?;
    if link.expired(now) {
        return Err(LinkError::Expired.into());
    }
    let request: DataRequest = store
        .get(RecordKind::DataRequest, &link.request)
        .await?
        .ok_or(ApiError::NotFound)?;
    let answered = request.status == RequestStatus::Completed && request.fulfilled_at.is_some();
    if !answered || !request.rights.contains(&Right::Access) {
        return Err(ApiError::NotFound);
    }
    let found = find(store, &config.privacy, &request, now).await?;
    let package = package(store, &config.privacy, &request, &found, now).await?;
    let json = wants_json(headers, query);
    let actor = Actor::Visitor {
        ip_truncated: client_ip(headers, &config.capture)?.truncated().to_string(),
    };
    let event = Event::by(
        actor,
        Log::Requests,
        Action::Read,
        Some(format!(
            "downloaded as {}",
            if json { "json" } else { "html" }
        )),
        now,
    );
    store
        .update(
            RecordKind::DataRequest,
            &request.id,
            event,
            |r: &mut DataRequest| {
                r.step(Step::Downloaded, now, "visitor", None);
                true
            },
        )
        .await?;
    Ok(if json {
        json_response(StatusCode::OK, &package)
    } else {
        package_page(&package, &format!("/privacy/download/{token}?format=json"))
    })
}
