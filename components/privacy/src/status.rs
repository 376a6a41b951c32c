//! The page that shows a person where their request stands (reached by the link in every mail), in the
//! request's language.

use http::{Response, StatusCode};
use shared::domain::Language;
use shared::http::{escape_html, page_in};
use shared::privacy::{DataRequest, PrivacySettings, RequestStatus, deny_reason};
use shared::texts::pages::PageWords;
use shared::time::Timestamp;

fn day(at: Option<Timestamp>) -> String {
    at.map(|t| t.to_rfc3339()[..10].to_owned())
        .unwrap_or_else(|| "–".into())
}

/// The words for `request`'s pages: its language.
pub fn words(request: &DataRequest) -> &'static PageWords {
    PageWords::for_person(request.language.as_deref(), None)
}

/// What a status means, in words.
fn meaning(w: &PageWords, status: RequestStatus) -> &'static str {
    let i = match status {
        RequestStatus::Unverified => 0,
        RequestStatus::Open => 1,
        RequestStatus::Extended => 2,
        RequestStatus::Completed => 3,
        RequestStatus::Denied => 4,
        RequestStatus::Expired => 5,
    };
    w.statuses[i]
}

/// The request's rights in people's words, comma-separated.
pub fn rights(w: &PageWords, request: &DataRequest) -> Vec<String> {
    request
        .rights
        .iter()
        .map(|r| escape_html(w.right(r.as_str())))
        .collect()
}

/// The request's status, rights and dates under `heading`, with `message` first.
pub fn status_page(
    settings: &PrivacySettings,
    request: &DataRequest,
    now: Timestamp,
    heading: &str,
    message: &str,
) -> Response<String> {
    let w = words(request);
    let status = request.status_at(now);
    let mut rows = vec![
        (w.row_status, escape_html(meaning(w, status))),
        (w.row_rights, rights(w, request).join(", ")),
        (w.row_asked, day(Some(request.asked_at))),
    ];
    if request.received_at.is_some() {
        rows.push((w.row_confirmed, day(request.received_at)));
        rows.push((w.row_due, day(request.due_at)));
    }
    if let Some(extension) = &request.extension {
        rows.push((w.row_extended, escape_html(&extension.reason)));
    }
    if let Some(code) = request
        .decision
        .as_ref()
        .and_then(|d| d.reason.as_deref())
        .filter(|code| deny_reason(code).is_some())
    {
        let language = Language::parse(w.lang).ok().unwrap_or(Language::ENGLISH);
        let reason = settings
            .texts
            .phrase(language, &format!("deny_{code}"), &[]);
        rows.push((w.row_reason, escape_html(&reason)));
    }
    let table: String = rows
        .iter()
        .map(|(k, v)| format!("<tr><th scope=row>{}</th><td>{v}</td></tr>", escape_html(k)))
        .collect();
    page_in(
        StatusCode::OK,
        w.lang,
        heading,
        &format!(
            "<p>{}</p><table><caption>{}</caption>{table}</table>",
            escape_html(message),
            escape_html(w.request_title)
        ),
    )
}
