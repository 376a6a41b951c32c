//! Responses every component builds: JSON, HTML pages, static assets, redirects, each with the headers
//! that keep them out of caches and content sniffing.

use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

/// A JSON response.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response<String> {
    let body = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    with_type(status, body, "application/json")
}

/// A health probe's `200` answer: JSON, never cached (each probe must reach the store).
pub fn probe_response<T: Serialize>(body: &T) -> Response<String> {
    let mut response = json_response(StatusCode::OK, body);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An HTML response.
pub fn html_response(status: StatusCode, body: String) -> Response<String> {
    with_type(status, body, "text/html; charset=utf-8")
}

/// The look of every page a person reaches (the privacy centre's, the demo site's): one stylesheet.
pub const LOOK: &str = "body{font:16px/1.5 system-ui,sans-serif;color:#222;background:#f6f7f9;margin:0}\
main{max-width:40rem;margin:0 auto;padding:1rem 1.25rem}\
section{background:#fff;border:1px solid #dde;border-radius:.5rem;padding:1rem 1.25rem}\
label{display:block;margin:.5rem 0}\
input:not([type=checkbox]),textarea{display:block;width:100%;box-sizing:border-box;font:inherit;padding:.4rem .5rem;border:1px solid #767687;border-radius:.3rem;margin-top:.15rem}\
fieldset{border:1px solid #dde;border-radius:.3rem;margin:.75rem 0}\
label.check{display:flex;gap:.5rem;align-items:flex-start;margin:.3rem 0}\
label.check input{margin-top:.3rem}\
.hint{color:#555;font-size:.9rem;margin:0}\
button{font:inherit;padding:.5rem 1.1rem;border-radius:.4rem;border:1px solid #1d3c78;background:#1d3c78;color:#fff;cursor:pointer;margin-top:.5rem}\
.hp{position:absolute;left:-9999px}\
.status{padding:.75rem 1rem;border-radius:.3rem;background:#e6f0e6;border:1px solid #7a7}\
a{color:#1d3c78}\
table{border-collapse:collapse;margin:.5rem 0}caption{text-align:left;font-weight:600;margin-bottom:.25rem}\
th,td{text-align:left;vertical-align:top;padding:.3rem .6rem .3rem 0;border-bottom:1px solid #dde}";

/// A small self-contained HTML page (the pages people reach from links in emails), in English. `body`
/// is HTML the caller built with [`escape_html`] around anything not its own.
pub fn page(status: StatusCode, title: &str, body: &str) -> Response<String> {
    page_in(status, "en", title, body)
}

/// As [`page`], in `lang` (an ISO 639-1 code): its content in one `main` landmark.
pub fn page_in(status: StatusCode, lang: &str, title: &str, body: &str) -> Response<String> {
    let lang = lang_tag(lang);
    let html = format!(
        "<!doctype html><html lang={lang}><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <meta name=robots content=noindex><title>{title}</title><style>{LOOK}</style>\
         <main><h1>{title}</h1><section>{body}</section></main>",
        title = escape_html(title)
    );
    let mut response = html_response(status, html);
    // The pages are reached by links with tokens in them: keep the token out of referrers and framing.
    let headers = response.headers_mut();
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if let Ok(csp) = HeaderValue::from_str(page_csp()) {
        headers.insert("content-security-policy", csp);
    }
    response
}

/// The `Content-Security-Policy` of a [`page_in`] page: no script, no other source, and only its own
/// inline stylesheet ([`LOOK`], allowed by its SHA-256, so the page stays one self-contained answer).
/// Forms are not limited: a confirmation's post may end on the website's thank-you page.
pub fn page_csp() -> &'static str {
    static CSP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; style-src '{}'; img-src 'self'; frame-ancestors 'none'; \
             base-uri 'none'",
            look_hash()
        )
    })
}

/// `sha256-` and the base64 SHA-256 of [`LOOK`], as a CSP source allows the inline stylesheet.
fn look_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        use base64::Engine;
        use sha2::Digest;
        let digest = sha2::Sha256::digest(LOOK);
        format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    })
}

/// The `Content-Security-Policy` of a page that runs the cookie banner (the demo site, the privacy
/// centre): scripts, stylesheets and fetches from the app itself only (no inline script), the shared
/// look's inline stylesheet by its SHA-256, never framed. No `form-action` here: the demo site's forms
/// end on the configured thank-you page, which may be the company's website; a page whose forms stay on
/// the app adds `form-action 'self'`.
pub fn banner_page_csp() -> &'static str {
    static CSP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self' '{}'; connect-src 'self'; \
             img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
            look_hash()
        )
    })
}

/// A page's `lang` attribute from a language code: its letters only (it is written unquoted).
fn lang_tag(lang: &str) -> String {
    lang.chars()
        .filter(char::is_ascii_alphabetic)
        .take(8)
        .collect()
}

/// The `Content-Security-Policy` of the staff console's pages: the app's own stylesheet, no script at
/// all, forms only back to the app, never framed.
pub const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
frame-ancestors 'none'; base-uri 'none'";

/// A page of the staff console (the privacy desk) in `lang`: its stylesheet at `stylesheet` (a path of
/// the app), `body` HTML the caller built with [`escape_html`] around anything not its own. Nothing of
/// it lingers: `no-store`, no referrer, never framed, and a CSP without inline script or style.
pub fn console_page(
    status: StatusCode,
    lang: &str,
    title: &str,
    stylesheet: &str,
    body: &str,
) -> Response<String> {
    let lang = lang_tag(lang);
    let html = format!(
        "<!doctype html><html lang={lang}><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <meta name=robots content=noindex><title>{title}</title>\
         <link rel=stylesheet href=\"{stylesheet}\"></head><body>{body}</body></html>",
        title = escape_html(title),
        stylesheet = escape_html(stylesheet),
    );
    let mut response = html_response(status, html);
    let headers = response.headers_mut();
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(CONSOLE_CSP),
    );
    response
}

/// `response` with a `Set-Cookie` of `cookie` (a whole cookie line, as `shared::staff::session` makes).
pub fn with_cookie(mut response: Response<String>, cookie: &str) -> Response<String> {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// A static asset (`200`) with its content type and `Cache-Control` policy, e.g. the demo site's pages
/// and the banner script.
pub fn asset(content_type: &'static str, body: &str, cache: &'static str) -> Response<String> {
    let mut response = with_type(StatusCode::OK, body.to_owned(), content_type);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `303 See Other` to `location` (already checked against the allow-list by the caller).
pub fn see_other(location: &str) -> Response<String> {
    let mut response = with_type(StatusCode::SEE_OTHER, String::new(), "text/plain");
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// An empty response (CORS preflight).
pub fn no_content() -> Response<String> {
    let mut response = Response::new(String::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

fn with_type(status: StatusCode, body: String, content_type: &'static str) -> Response<String> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_s_csp_allows_exactly_its_own_inline_style_and_no_script() {
        use base64::Engine;
        use sha2::Digest;
        let page = page_in(StatusCode::OK, "en", "T", "<p>x</p>");
        let csp = page.headers()["content-security-policy"].to_str().unwrap();
        let html = page.body();
        let style = &html[html.find("<style>").unwrap() + 7..html.find("</style>").unwrap()];
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style));
        assert!(csp.contains(&format!("style-src 'sha256-{hash}'")), "{csp}");
        assert!(csp.starts_with("default-src 'none'"), "{csp}");
        assert!(
            !csp.contains("script-src") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("base-uri 'none'"));
    }
}
