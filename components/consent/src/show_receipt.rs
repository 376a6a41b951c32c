//! `GET /api/consent/{id}`: the receipt of a consent id: its current decision and full history, newest
//! first, as JSON or, for `Accept: text/html`, a small readable page (with what Google Consent Mode was
//! told and the site's own TCF / GPP strings sent with the current decision). O(history).

use http::{HeaderMap, Response, StatusCode};
use serde::Serialize;
use shared::domain::Grant;
use shared::http::{ApiError, escape_html, json_response, last_header, page_in, prefers_html};
use shared::ids::is_id;
use shared::records::ConsentDecision;
use shared::store::{Backend, Store};
use shared::texts::pages::PageWords;

#[derive(Serialize)]
struct Receipt<'a> {
    consent_id: &'a str,
    /// The current decision came with Global Privacy Control, and sale and sharing were refused
    /// (CCPA regulations §7025(c)(6): the business shows that it processed the signal).
    gpc_honored: bool,
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
                gpc_honored: current.gpc_honored(),
                current,
                history: &history,
            },
        ));
    }
    let w = PageWords::for_person(
        Some(current.locale.as_str()),
        last_header(headers, "accept-language"),
    );
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
                        if *granted { w.yes } else { w.no }
                    )
                })
                .collect();
            let method = serde_json::to_value(d.method)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.n,
                d.at.to_rfc3339(),
                escape_html(&method),
                choices.join(", "),
                escape_html(&d.banner_version),
                d.expires_at.to_rfc3339()
            )
        })
        .collect();
    let gpc = if current.gpc_honored() {
        format!("<p>{}</p>", escape_html(w.receipt_gpc))
    } else {
        String::new()
    };
    // The site's own CMP strings, by their IAB names (the same in every language).
    let sid = current
        .gpp_sid
        .as_ref()
        .map(|ids| ids.iter().map(i16::to_string).collect::<Vec<_>>().join("_"));
    // What Google Consent Mode was told, by its own names.
    let told = (!current.consent_mode.is_empty()).then(|| {
        current
            .consent_mode
            .iter()
            .map(|(t, g)| {
                format!(
                    "{}: {}",
                    t.as_str(),
                    if *g == Grant::Granted {
                        "granted"
                    } else {
                        "denied"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    });
    let strings: String = [
        ("Google Consent Mode", told),
        ("TCF TC string", current.tc_string.clone()),
        ("GPP string", current.gpp_string.clone()),
        ("GPP section ids", sid),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value.map(|v| format!("<dt>{name}</dt><dd><code>{}</code></dd>", escape_html(&v)))
    })
    .collect();
    let strings = if strings.is_empty() {
        strings
    } else {
        format!("<dl>{strings}</dl>")
    };
    let heads: String = w
        .receipt_columns
        .iter()
        .map(|c| format!("<th scope=col>{}</th>", escape_html(c)))
        .collect();
    let intro =
        escape_html(w.receipt_intro).replace("{id}", &format!("<code>{}</code>", escape_html(id)));
    Ok(page_in(
        StatusCode::OK,
        w.lang,
        w.receipt_title,
        &format!(
            "<p>{intro}</p>{gpc}<table><caption>{}</caption><tr>{heads}</tr>{rows}</table>{strings}",
            escape_html(w.receipt_caption)
        ),
    ))
}
