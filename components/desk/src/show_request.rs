//! `GET /desk/requests/{id}`: one request. What it asks and by when, its timeline, what is held about
//! the person per record kind (counts, and the records themselves to check, IP addresses truncated
//! unless the key has `ip:read`), and the decisions its state allows as form posts carrying its `ETag`
//! and the session's CSRF token (none for a key without `privacy:write`). The read of the request and
//! of each record shown is registered.

use crate::door::{Officer, entry};
use crate::page::{View, alert, csrf_field, desk_page};
use crate::show_queue::{day, jurisdiction};
use http::{Response, StatusCode};
use serde_json::Value;
use shared::domain::Right;
use shared::http::{ApiError, escape_html};
use shared::privacy::answer::find;
use shared::privacy::{DENY_REASONS, DataRequest, PrivacySettings, RequestStatus};
use shared::records::{Action, RecordKind};
use shared::staff::keys::{IP_READ, PRIVACY_WRITE, has};
use shared::store::{Backend, Store};
use shared::time::Timestamp;

#[allow(clippy::too_many_arguments)]
pub async fn show_request<B: Backend>(
    id: &str,
    officer: &Officer,
    view: View,
    message: Option<&str>,
    status: StatusCode,
    settings: &PrivacySettings,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let t = view.texts;
    let (request, etag) = store
        .get_tagged::<DataRequest>(RecordKind::DataRequest, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    store
        .note(
            id,
            entry(
                officer.actor(),
                Action::Read,
                "desk privacy-request".into(),
                now,
            ),
        )
        .await?;
    let found = held(view, &request, officer, settings, store, now).await?;
    let body = format!(
        "{alert}{facts}{timeline}{found}{decide}<p><a href=\"{back}\">{back_words}</a></p>",
        alert = message.map(alert).unwrap_or_default(),
        facts = facts(view, &request, now),
        timeline = timeline(view, &request),
        decide = decisions(view, officer, &request, &etag, now),
        back = escape_html(&view.href("/desk")),
        back_words = escape_html(t.back),
    );
    Ok(desk_page(
        status,
        view,
        &format!("{} {}", t.request_title, request.id),
        Some(officer.signed()),
        &body,
    ))
}

/// What the request asks, of whom, by when.
fn facts(view: View, r: &DataRequest, now: Timestamp) -> String {
    let t = view.texts;
    let rights: Vec<&str> = r.rights.iter().map(|r| r.as_str()).collect();
    let urgency = r
        .urgency(now)
        .map(|u| format!(" ({})", escape_html(t.urgency(u))))
        .unwrap_or_default();
    let mut rows = vec![
        (t.col_status, escape_html(r.status_at(now).as_str())),
        (t.col_rights, escape_html(&rights.join(", "))),
        (t.col_jurisdiction, escape_html(jurisdiction(view, r))),
        (t.asked, day(Some(r.asked_at))),
        (t.col_received, day(r.received_at)),
        (t.col_due, format!("{}{urgency}", day(r.due_at))),
    ];
    if r.california_resident {
        rows.push((t.acknowledge_by, day(r.acknowledge_by)));
    }
    for (label, value) in [
        (t.email, &r.email),
        (t.phone, &r.phone),
        (t.language, &r.language),
        (t.details, &r.details),
    ] {
        if let Some(value) = value {
            rows.push((label, escape_html(value)));
        }
    }
    let rows: String = rows
        .into_iter()
        .map(|(label, value)| format!("<dt>{}</dt><dd>{value}</dd>", escape_html(label)))
        .collect();
    format!(
        "<section aria-labelledby=facts><h2 id=facts>{}</h2><dl>{rows}</dl></section>",
        escape_html(t.facts)
    )
}

/// Every step so far.
fn timeline(view: View, r: &DataRequest) -> String {
    let t = view.texts;
    let rows: String = r
        .timeline
        .iter()
        .map(|e| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                day(Some(e.at)),
                escape_html(e.step.as_str()),
                escape_html(&e.by),
                escape_html(e.note.as_deref().unwrap_or("")),
            )
        })
        .collect();
    format!(
        "<section aria-labelledby=timeline><h2 id=timeline>{title}</h2><table><caption>{title}</caption>\
         <thead><tr><th scope=col>{}</th><th scope=col>{}</th><th scope=col>{}</th><th scope=col>{}</th>\
         </tr></thead><tbody>{rows}</tbody></table></section>",
        escape_html(t.col_when),
        escape_html(t.col_step),
        escape_html(t.col_by),
        escape_html(t.col_note),
        title = escape_html(t.timeline),
    )
}

/// What is held about the person: counts per kind, then the records.
async fn held<B: Backend>(
    view: View,
    request: &DataRequest,
    officer: &Officer,
    settings: &PrivacySettings,
    store: &Store<B>,
    now: Timestamp,
) -> Result<String, ApiError> {
    let t = view.texts;
    let found = find(store, settings, request, now).await?;
    let full_ips = has(&officer.key, IP_READ);
    let mut counts = String::new();
    let mut records = String::new();
    for (kind, ids) in found.by_kind() {
        if kind == RecordKind::DataRequest.as_str() {
            continue;
        }
        let Some(record_kind) = RecordKind::parse(kind) else {
            continue;
        };
        counts.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            escape_html(kind),
            ids.len()
        ));
        let stored: Vec<Option<Value>> = store.records(record_kind, &ids).await?;
        for (id, record) in ids.iter().zip(stored) {
            let Some(mut record) = record else { continue };
            // Shown whole, so registered as read (the person's "who saw my data").
            let detail = format!("desk record of privacy-request {}", request.id);
            store
                .note(id, entry(officer.actor(), Action::Read, detail, now))
                .await?;
            if !full_ips {
                shared::records::truncate_ips(&mut record);
            }
            let text = serde_json::to_string_pretty(&record).unwrap_or_default();
            records.push_str(&format!(
                "<details><summary>{} {}</summary><pre>{}</pre></details>",
                escape_html(kind),
                escape_html(id),
                escape_html(&text)
            ));
        }
    }
    let inner = if counts.is_empty() {
        format!("<p>{}</p>", escape_html(t.found_none))
    } else {
        format!(
            "<table><caption>{}</caption><thead><tr><th scope=col>{}</th><th scope=col>{}</th></tr></thead>\
             <tbody>{counts}</tbody></table><h3>{}</h3>{records}",
            escape_html(t.found),
            escape_html(t.col_kind),
            escape_html(t.col_count),
            escape_html(t.records),
        )
    };
    Ok(format!(
        "<section aria-labelledby=found><h2 id=found>{}</h2>{inner}</section>",
        escape_html(t.found)
    ))
}

/// The decisions the request's state allows, for a key that may decide.
fn decisions(view: View, officer: &Officer, r: &DataRequest, etag: &str, now: Timestamp) -> String {
    let t = view.texts;
    let heading = format!("<h2 id=decide>{}</h2>", escape_html(t.decide));
    let status = r.status_at(now);
    let open = matches!(status, RequestStatus::Open | RequestStatus::Extended);
    let inner = if !has(&officer.key, PRIVACY_WRITE) {
        format!("<p>{}</p>", escape_html(t.read_only))
    } else if !open {
        format!("<p>{}</p>", escape_html(t.nothing_to_decide))
    } else {
        let action = escape_html(&view.href(&format!("/desk/requests/{}", r.id)));
        let hidden = format!(
            "{}<input type=hidden name=etag value=\"{}\">",
            csrf_field(officer.signed().csrf),
            escape_html(etag)
        );
        let form = |name: &str, title: &str, fields: String| {
            format!(
                "<section aria-labelledby=act-{name}><h3 id=act-{name}>{title}</h3>\
                 <form method=post action=\"{action}\">{hidden}\
                 <input type=hidden name=action value={name}>{fields}<button>{title}</button></form></section>",
                title = escape_html(title),
            )
        };
        let mut out = form(
            "approve",
            t.approve,
            format!("<p class=hint>{}</p>", escape_html(t.approve_hint)),
        );
        let reasons: String = DENY_REASONS
            .iter()
            .map(|(code, text)| {
                format!(
                    "<option value={code}>{} ({code})</option>",
                    escape_html(text)
                )
            })
            .collect();
        out.push_str(&form(
            "deny",
            t.deny,
            format!(
                "<label for=deny-reason>{}</label><select id=deny-reason name=reason required>\
                 <option value=\"\">{}</option>{reasons}</select>\
                 <label for=deny-text>{}</label><textarea id=deny-text name=text rows=3 maxlength=2000></textarea>",
                escape_html(t.reason),
                escape_html(t.choose_reason),
                escape_html(t.deny_text)
            ),
        ));
        if status == RequestStatus::Open {
            out.push_str(&form(
                "extend",
                t.extend,
                format!(
                    "<label for=extend-reason>{}</label>\
                     <textarea id=extend-reason name=reason rows=2 maxlength=2000 required></textarea>",
                    escape_html(t.extend_reason)
                ),
            ));
        }
        if r.rights.contains(&Right::Rectification) {
            let inputs: String = ["name", "company", "title", "phone", "country"]
                .iter()
                .map(|field| {
                    format!(
                        "<label for=fix-{field}>{field}</label>\
                         <input id=fix-{field} name=\"changes.{field}\" autocomplete=off>"
                    )
                })
                .collect();
            out.push_str(&form(
                "rectify",
                t.rectify,
                format!("<p class=hint>{}</p>{inputs}", escape_html(t.rectify_hint)),
            ));
        }
        out
    };
    format!("<section aria-labelledby=decide>{heading}{inner}</section>")
}
