//! `GET /desk?status=`: the queue. Requests on the clock (or those in one status, or all) soonest due
//! first, with their urgency, rights, received and due dates, jurisdiction and status; counts at the
//! top; each row links to its request. Below, for a key with `contacts:read`, the contacts whose Art. 14
//! notice is owed. The read is registered.

use crate::door::{Officer, entry};
use crate::page::{View, desk_page};
use http::{Response, StatusCode};
use shared::http::{ApiError, escape_html};
use shared::jobs::notices;
use shared::privacy::{DataRequest, RequestStatus};
use shared::records::Action;
use shared::staff::keys::{CONTACTS_READ, has};
use shared::store::{Backend, Store};
use shared::time::Timestamp;

/// Log entries read at most for the owed notices (the notices job's backlog), as the API reads them.
const BACKLOG: u64 = 100_000;

/// Which requests the queue shows.
#[derive(Clone, Copy, PartialEq)]
enum Filter {
    /// Open or extended: the clock runs.
    Active,
    All,
    Only(RequestStatus),
}

impl Filter {
    fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut filter = Self::Active;
        for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match name.as_ref() {
                "lang" => {}
                "status" => {
                    filter = match value.as_ref() {
                        "active" | "" => Self::Active,
                        "all" => Self::All,
                        other => Self::Only(
                            RequestStatus::parse(other).ok_or(ApiError::BadRequest {
                                code: "invalid_status",
                                message: "status must be active, all, unverified, open, extended, \
                                          completed, denied or expired"
                                    .into(),
                            })?,
                        ),
                    }
                }
                _ => {
                    return Err(ApiError::BadRequest {
                        code: "unknown_parameter",
                        message: format!("{name} is not a parameter of the queue (status, lang)"),
                    });
                }
            }
        }
        Ok(filter)
    }

    fn keeps(self, request: &DataRequest, now: Timestamp) -> bool {
        let status = request.status_at(now);
        match self {
            Self::Active => status.is_on_the_clock(),
            Self::All => true,
            Self::Only(wanted) => status == wanted,
        }
    }

    fn value(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::All => "all",
            Self::Only(status) => status.as_str(),
        }
    }
}

/// A date as the desk shows it (`2026-12-07`), the full time in its `datetime`.
pub fn day(at: Option<Timestamp>) -> String {
    match at {
        Some(at) => {
            let full = at.to_rfc3339();
            format!(
                "<time datetime=\"{full}\">{}</time>",
                full.get(..10).unwrap_or(&full)
            )
        }
        None => "–".into(),
    }
}

/// GDPR or California, as the request says.
pub fn jurisdiction(view: View, request: &DataRequest) -> &'static str {
    if request.california_resident {
        view.texts.california
    } else {
        view.texts.gdpr
    }
}

pub async fn show_queue<B: Backend>(
    query: Option<&str>,
    officer: &Officer,
    view: View,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    let t = view.texts;
    let filter = Filter::parse(query)?;
    let mut requests = store.requests().await?;
    let overdue = requests
        .iter()
        .filter(|r| r.urgency(now) == Some("overdue"))
        .count();
    let soon = requests
        .iter()
        .filter(|r| r.urgency(now) == Some("due_soon"))
        .count();
    requests.retain(|r| filter.keeps(r, now));
    requests.sort_by_key(|r| (r.due_at.is_none(), r.due_at, r.asked_at));

    let rows: String = requests
        .iter()
        .map(|r| {
            let urgency = match r.urgency(now) {
                Some(u) => format!(
                    "<span class={}>{}</span>",
                    if u == "overdue" { "overdue" } else { "soon" },
                    escape_html(t.urgency(u))
                ),
                None => String::new(),
            };
            let rights: Vec<&str> = r.rights.iter().map(|r| r.as_str()).collect();
            format!(
                "<tr><td><a href=\"{href}\">{id}</a></td><td>{urgency}</td><td>{rights}</td>\
                 <td>{received}</td><td>{due}</td><td>{jurisdiction}</td><td>{status}</td></tr>",
                href = escape_html(&view.href(&format!("/desk/requests/{}", r.id))),
                id = escape_html(&r.id),
                rights = escape_html(&rights.join(", ")),
                received = day(r.received_at),
                due = day(r.due_at),
                jurisdiction = escape_html(jurisdiction(view, r)),
                status = escape_html(r.status_at(now).as_str()),
            )
        })
        .collect();
    let table = if requests.is_empty() {
        format!("<p>{}</p>", escape_html(t.no_requests))
    } else {
        format!(
            "<table><caption>{caption}</caption><thead><tr><th scope=col>{}</th><th scope=col>{}</th>\
             <th scope=col>{}</th><th scope=col>{}</th><th scope=col>{}</th><th scope=col>{}</th>\
             <th scope=col>{}</th></tr></thead><tbody>{rows}</tbody></table>",
            escape_html(t.col_request),
            escape_html(t.col_urgency),
            escape_html(t.col_rights),
            escape_html(t.col_received),
            escape_html(t.col_due),
            escape_html(t.col_jurisdiction),
            escape_html(t.col_status),
            caption = escape_html(t.queue_title),
        )
    };
    let options: String = ["active", "all"]
        .into_iter()
        .chain(RequestStatus::ALL.iter().map(|s| s.as_str()))
        .map(|value| {
            let label = match value {
                "active" => t.filter_open,
                "all" => t.filter_all,
                other => other,
            };
            format!(
                "<option value={value}{}>{}</option>",
                if value == filter.value() {
                    " selected"
                } else {
                    ""
                },
                escape_html(label)
            )
        })
        .collect();
    let lang = if view.lang_in_links {
        format!("<input type=hidden name=lang value={}>", t.lang)
    } else {
        String::new()
    };
    let counts = t
        .counts
        .replace("{overdue}", &overdue.to_string())
        .replace("{soon}", &soon.to_string());
    let notices = if has(&officer.key, CONTACTS_READ) {
        notices_queue(view, officer, store, now).await?
    } else {
        String::new()
    };
    store
        .note_many(entry(
            officer.actor(),
            Action::Read,
            format!(
                "desk privacy-requests listed status={} count={}",
                filter.value(),
                requests.len()
            ),
            now,
        ))
        .await?;
    let body = format!(
        "<p class=counts>{counts}</p>\
         <form method=get action=\"/desk\"><label for=status>{legend}</label>\
         <select id=status name=status>{options}</select>{lang} <button>{show}</button></form>\
         {table}{notices}",
        counts = escape_html(&counts),
        legend = escape_html(t.filter_legend),
        show = escape_html(t.show),
    );
    Ok(desk_page(
        StatusCode::OK,
        view,
        t.queue_title,
        Some(officer.signed()),
        &body,
    ))
}

/// The second queue: contacts from other sources whose Art. 14 notice is owed, soonest deadline first.
async fn notices_queue<B: Backend>(
    view: View,
    officer: &Officer,
    store: &Store<B>,
    now: Timestamp,
) -> Result<String, ApiError> {
    let t = view.texts;
    let mut owed = notices::owed(store, now, BACKLOG).await?;
    owed.sort_by_key(|c| c.notice_due_by);
    // The contacts' addresses are shown: a read, registered as the API's notice list registers it.
    store
        .note_many(entry(
            officer.actor(),
            Action::Read,
            format!("desk contact notices status=due ({} listed)", owed.len()),
            now,
        ))
        .await?;
    let rows: String = owed
        .iter()
        .map(|c| {
            let sources: Vec<&str> = c.sources.iter().map(|s| s.name.as_str()).collect();
            let due = if c.notice_due_by < now {
                format!(
                    "{} <span class=overdue>{}</span>",
                    day(Some(c.notice_due_by)),
                    escape_html(t.overdue)
                )
            } else {
                day(Some(c.notice_due_by))
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{due}</td><td>{}</td></tr>",
                escape_html(&c.email),
                escape_html(&c.language),
                escape_html(&sources.join(", ")),
            )
        })
        .collect();
    let table = if owed.is_empty() {
        format!("<p>{}</p>", escape_html(t.no_notices))
    } else {
        format!(
            "<table><caption>{}</caption><thead><tr><th scope=col>{}</th><th scope=col>{}</th>\
             <th scope=col>{}</th><th scope=col>{}</th></tr></thead><tbody>{rows}</tbody></table>",
            escape_html(t.notices_title),
            escape_html(t.col_contact),
            escape_html(t.col_language),
            escape_html(t.col_due_by),
            escape_html(t.col_sources),
        )
    };
    Ok(format!(
        "<section aria-labelledby=notices><h2 id=notices>{}</h2><p>{}</p>{table}</section>",
        escape_html(t.notices_title),
        escape_html(t.notices_intro),
    ))
}
