//! The page that shows a person where their request stands (reached by the link in every mail).

use http::{Response, StatusCode};
use shared::http::{escape_html, page};
use shared::privacy::{DataRequest, RequestStatus, deny_reason};
use shared::time::Timestamp;

fn day(at: Option<Timestamp>) -> String {
    at.map(|t| t.to_rfc3339()[..10].to_owned())
        .unwrap_or_else(|| "–".into())
}

/// What a status means, in words.
fn meaning(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Unverified => "Waiting for you to confirm it with the link we emailed.",
        RequestStatus::Open => "Confirmed. We are working on it.",
        RequestStatus::Extended => "Confirmed. We needed more time and told you why by email.",
        RequestStatus::Completed => "Answered. We emailed you what we did.",
        RequestStatus::Denied => "Refused. We emailed you the reason and your right to complain.",
        RequestStatus::Expired => {
            "Never confirmed, so nothing was done. You can ask again at any time."
        }
    }
}

/// The request's status, rights and dates under `heading`, with `message` first.
pub fn status_page(
    request: &DataRequest,
    now: Timestamp,
    heading: &str,
    message: &str,
) -> Response<String> {
    let status = request.status_at(now);
    let rights: Vec<String> = request
        .rights
        .iter()
        .map(|r| escape_html(&r.as_str().replace('_', " ")))
        .collect();
    let mut rows = vec![
        (
            "Status",
            format!("{} — {}", status.as_str(), meaning(status)),
        ),
        ("Rights", rights.join(", ")),
        ("Asked", day(Some(request.asked_at))),
    ];
    if request.received_at.is_some() {
        rows.push(("Confirmed", day(request.received_at)));
        rows.push(("Answer due by", day(request.due_at)));
    }
    if let Some(extension) = &request.extension {
        rows.push(("Extended because", escape_html(&extension.reason)));
    }
    if let Some(reason) = request
        .decision
        .as_ref()
        .and_then(|d| d.reason.as_deref())
        .and_then(deny_reason)
    {
        rows.push(("Reason", escape_html(reason)));
    }
    let table: String = rows
        .iter()
        .map(|(k, v)| format!("<tr><th scope=row>{k}</th><td>{v}</td></tr>"))
        .collect();
    page(
        StatusCode::OK,
        heading,
        &format!(
            "<p>{}</p><table><caption>Your privacy request</caption>{table}</table>",
            escape_html(message)
        ),
    )
}
