//! `GET /api/consent/{id}`: the receipt of a consent id: its current decision and full history, newest
//! first, as JSON or, for `Accept: text/html`, a small readable page. O(history).

use http::{HeaderMap, Response, StatusCode};
use serde::Serialize;
use shared::http::{ApiError, escape_html, json_response, page, prefers_html};
use shared::ids::is_id;
use shared::records::ConsentDecision;
use shared::store::{Backend, Store};

#[derive(Serialize)]
struct Receipt<'a> {
    consent_id: &'a str,
    current: &'a ConsentDecision,
    history: &'a [ConsentDecision],
}

pub async fn show_receipt<K: Backend>(
    headers: &HeaderMap,
    store: &Store<K>,
    id: &str,
) -> Result<Response<String>, ApiError> {
    if !is_id(id) {
        return Err(ApiError::NotFound);
    }
    let history = store.consent_history(id).await?;
    let Some(current) = history.first() else {
        return Err(ApiError::NotFound);
    };
    if !prefers_html(headers) {
        return Ok(json_response(
            StatusCode::OK,
            &Receipt {
                consent_id: id,
                current,
                history: &history,
            },
        ));
    }
    let rows: String = history
        .iter()
        .map(|d| {
            let choices: Vec<String> = d
                .decisions
                .iter()
                .map(|(category, granted)| {
                    format!(
                        "{}: {}",
                        escape_html(category),
                        if *granted { "yes" } else { "no" }
                    )
                })
                .collect();
            format!(
                "<tr><td>{}</td><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.n,
                d.at.to_rfc3339(),
                d.method,
                choices.join(", "),
                escape_html(&d.banner_version),
                d.expires_at.to_rfc3339()
            )
        })
        .collect();
    let gpc = if current.gpc {
        "<p>Your browser sent Global Privacy Control (Sec-GPC): selling and sharing are refused.</p>"
    } else {
        ""
    };
    Ok(page(
        StatusCode::OK,
        "Your cookie consent",
        &format!(
            "<p>Consent id <code>{}</code>. Newest decision first.</p>{gpc}\
             <table><tr><th>#</th><th>When (UTC)</th><th>How</th><th>Choices</th><th>Banner</th><th>Expires</th></tr>{rows}</table>",
            escape_html(id)
        ),
    ))
}
