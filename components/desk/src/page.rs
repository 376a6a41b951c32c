//! The frame of every desk page: the header with the sign-out button, one `main` landmark, the desk's
//! own stylesheet, and the headers that keep nothing lingering (`no-store`, no referrer, no framing, a
//! CSP without inline script); and the page an error becomes.

use crate::texts::Texts;
use http::{Response, StatusCode};
use shared::http::{ApiError, console_page, escape_html};

/// Where the desk's stylesheet is served.
pub const STYLESHEET: &str = "/desk/desk.css";

/// How a page was asked for: its words, and the `?lang=` its links carry on (only when the page was
/// asked for with one: otherwise the browser's language keeps choosing).
#[derive(Clone, Copy)]
pub struct View {
    pub texts: &'static Texts,
    pub lang_in_links: bool,
}

impl View {
    /// The view a request asks for: `?lang=`, else its `Accept-Language`.
    pub fn of(headers: &http::HeaderMap, query: Option<&str>) -> Self {
        let lang_in_links = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .any(|(name, _)| name == "lang");
        let accept = shared::http::last_header(headers, "accept-language");
        Self {
            texts: Texts::choose(query, accept),
            lang_in_links,
        }
    }

    /// `path` as a link of this view.
    pub fn href(&self, path: &str) -> String {
        if self.lang_in_links {
            format!("{path}?lang={}", self.texts.lang)
        } else {
            path.to_owned()
        }
    }
}

/// The session a page is drawn for: who is signed in, and the CSRF token of its forms.
pub struct Signed<'a> {
    pub key_name: &'a str,
    pub csrf: &'a str,
}

/// A desk page: `title` as its heading, `body` HTML the caller built with [`escape_html`] around
/// anything not its own; with a sign-out button when `signed` is given.
pub fn desk_page(
    status: StatusCode,
    view: View,
    title: &str,
    signed: Option<Signed>,
    body: &str,
) -> Response<String> {
    let t = view.texts;
    let bar = match signed {
        Some(s) => format!(
            "<p class=who>{} <b>{}</b></p>\
             <form method=post action=\"{}\" class=inline>{}<button>{}</button></form>",
            escape_html(t.signed_in_as),
            escape_html(s.key_name),
            escape_html(&view.href("/desk/sign-out")),
            csrf_field(s.csrf),
            escape_html(t.sign_out),
        ),
        None => String::new(),
    };
    let html = format!(
        "<header><a class=brand href=\"{home}\">{desk}</a>{bar}</header>\
         <main><h1>{title}</h1>{body}</main>",
        home = escape_html(&view.href("/desk")),
        desk = escape_html(t.desk),
        title = escape_html(title),
    );
    console_page(
        status,
        t.lang,
        &format!("{title} · {}", t.desk),
        STYLESHEET,
        &html,
    )
}

/// The hidden field that carries the session's CSRF token.
pub fn csrf_field(csrf: &str) -> String {
    format!(
        "<input type=hidden name=csrf value=\"{}\">",
        escape_html(csrf)
    )
}

/// A message box (`role=alert` draws a screen reader's attention to it).
pub fn alert(message: &str) -> String {
    format!("<p class=alert role=alert>{}</p>", escape_html(message))
}

/// The page an error becomes: its status, and what the officer can do about it.
pub fn failure(error: ApiError, view: View, signed: Option<Signed>) -> Response<String> {
    error.log();
    let t = view.texts;
    let status = error.status();
    let (_, message) = error.code_and_message();
    let message = match &error {
        ApiError::PreconditionFailed | ApiError::PreconditionRequired => t.stale.to_owned(),
        _ => message,
    };
    let items = match error.field_items() {
        items if items.is_empty() => items,
        items => format!("<ul>{items}</ul>"),
    };
    let title = if status.is_client_error() {
        t.refused
    } else {
        t.problem
    };
    let body = format!(
        "{}{items}<p><a href=\"{}\">{}</a></p>",
        alert(&message),
        escape_html(&view.href("/desk")),
        escape_html(t.back)
    );
    let mut response = desk_page(status, view, title, signed, &body);
    error.add_headers(&mut response);
    response
}

/// The desk's stylesheet: the site's look, and the desk's tables, header and alerts.
pub fn stylesheet() -> String {
    format!(
        "{}\
         main{{max-width:64rem}}\
         header{{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;\
         background:#1d3c78;color:#fff;padding:.5rem 1.25rem}}\
         header a.brand{{color:#fff;font-weight:600;text-decoration:none}}\
         header .who{{margin:0 0 0 auto}}\
         header button{{margin:0;background:#fff;color:#1d3c78}}\
         form.inline{{display:inline}}\
         table{{width:100%;background:#fff}}\
         .alert{{padding:.75rem 1rem;border-radius:.3rem;background:#fbeaea;border:1px solid #a33;color:#611}}\
         .counts{{font-size:1.1rem;font-weight:600}}\
         .overdue{{color:#8a1010;font-weight:600}}\
         .soon{{color:#7a4a00;font-weight:600}}\
         section{{margin:1rem 0}}\
         pre{{white-space:pre-wrap;word-break:break-word;background:#f6f7f9;padding:.5rem;border-radius:.3rem}}\
         select{{font:inherit;padding:.3rem}}\
         dl{{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}}\
         dt{{font-weight:600}}dd{{margin:0}}",
        shared::http::LOOK
    )
}
