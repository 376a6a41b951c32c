//! `GET /privacy`: the privacy centre a person sees: the request form in their language (en, de, nl),
//! with a fresh render token and the cookie banner's consent id (from its cookie) so the consent history
//! is included. After a plain form post it says to check the mailbox.

use crate::ask::FORM;
use crate::config::PrivacyConfig;
use crate::texts::Texts;
use http::{HeaderMap, Response, StatusCode};
use shared::capture::issue_render_token;
use shared::domain::FormId;
use shared::http::{LOOK, banner_page_csp, escape_html, html_response, last_header};
use shared::ids::is_id;
use shared::time::Timestamp;

/// The cookie banner's consent id, from its `mc_consent` cookie (URL-encoded JSON with an `id`).
fn consent_id(headers: &HeaderMap) -> Option<String> {
    let cookies = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    for cookie in cookies.flat_map(|c| c.split(';')) {
        let Some(raw) = cookie.trim().strip_prefix("mc_consent=") else {
            continue;
        };
        let decoded: String = form_urlencoded::parse(format!("v={raw}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())?;
        let state: serde_json::Value = serde_json::from_str(&decoded).ok()?;
        let id = state.get("id")?.as_str()?;
        return is_id(id).then(|| id.to_owned());
    }
    None
}

fn query_value<'a>(query: Option<&'a str>, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub fn show_centre(
    headers: &HeaderMap,
    query: Option<&str>,
    config: &PrivacyConfig,
) -> Response<String> {
    let t = Texts::choose(
        query_value(query, "lang").as_deref(),
        last_header(headers, "accept-language"),
    );
    let sent = query_value(query, "sent").is_some_and(|v| v == "1");
    let form = FormId::parse(FORM).expect("a valid id");
    let token = issue_render_token(&config.capture.keys, &form, Timestamp::now());
    let consent = consent_id(headers)
        .map(|id| {
            format!(
                "<input type=hidden name=consent_id value=\"{}\">",
                escape_html(&id)
            )
        })
        .unwrap_or_default();
    let rights: String = t
        .rights
        .iter()
        .map(|(name, label)| {
            format!(
                "<label class=check><input type=checkbox name=rights value=\"{name}\"> {}</label>",
                escape_html(label)
            )
        })
        .collect();
    let status = if sent {
        format!("<p class=status role=status>{}</p>", escape_html(t.sent))
    } else {
        String::new()
    };
    let langs: String = ["en", "de", "nl"]
        .iter()
        .map(|l| {
            if *l == t.lang {
                format!("<strong>{l}</strong>")
            } else {
                format!("<a href=\"/privacy?lang={l}\" hreflang={l} lang={l}>{l}</a>")
            }
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let html = format!(
        "<!doctype html><html lang={lang}><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width,initial-scale=1\"><title>{title}</title>\
         <script src=\"/consent.js\"></script><style>{LOOK}</style></head><body><main>\
         <nav aria-label=\"Language\">{langs}</nav><h1>{title}</h1>{status}<p>{intro}</p><section>\
         <form method=post action=\"/api/privacy/requests\">\
         <label>{email_label}<input type=email name=email required autocomplete=email></label>\
         <label>{phone_label}<input type=tel name=phone autocomplete=tel aria-describedby=phone-hint></label>\
         <p class=hint id=phone-hint>{phone_hint}</p>\
         <fieldset><legend>{rights_legend}</legend>{rights}</fieldset>\
         <p class=hint>{opt_out_note}</p>\
         <label>{details_label}<textarea name=details rows=4 maxlength=2000 aria-describedby=details-hint></textarea></label>\
         <p class=hint id=details-hint>{details_hint}</p>\
         <label class=check><input type=checkbox name=california_resident value=on> {california}</label>\
         <input type=hidden name=_token value=\"{token}\"><input type=hidden name=lang value={lang}>{consent}\
         <label class=hp aria-hidden=true>Leave empty<input type=text name=_gotcha tabindex=-1 autocomplete=off></label>\
         <button type=submit>{submit}</button></form></section><p class=hint>{deadlines}</p>\
         <p><a href=\"/\">{back}</a></p></main></body></html>",
        lang = t.lang,
        title = escape_html(t.title),
        intro = escape_html(t.intro),
        email_label = escape_html(t.email),
        phone_label = escape_html(t.phone),
        phone_hint = escape_html(t.phone_hint),
        rights_legend = escape_html(t.rights_legend),
        opt_out_note = escape_html(t.opt_out_note),
        details_label = escape_html(t.details),
        details_hint = escape_html(t.details_hint),
        california = escape_html(t.california),
        token = escape_html(&token),
        submit = escape_html(t.submit),
        deadlines = escape_html(t.deadlines),
        back = escape_html(t.back_home),
    );
    let mut response = html_response(StatusCode::OK, html);
    let headers = response.headers_mut();
    // The page holds a fresh render token: never cache it.
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    // The banner's script and stylesheet, the shared look; its one form posts back to the app.
    if let Ok(csp) =
        http::HeaderValue::from_str(&format!("{}; form-action 'self'", banner_page_csp()))
    {
        headers.insert(http::header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consent_id_is_read_from_the_banner_cookie() {
        let mut headers = HeaderMap::new();
        let state = "%7B%22id%22%3A%22AAAAAAAAAAAAAAAAAAAAAA%22%2C%22d%22%3A%7B%7D%7D";
        headers.insert(
            http::header::COOKIE,
            format!("a=b; mc_consent={state}").parse().unwrap(),
        );
        assert_eq!(
            consent_id(&headers).as_deref(),
            Some("AAAAAAAAAAAAAAAAAAAAAA")
        );
        headers.insert(http::header::COOKIE, "mc_consent=%7B%7D".parse().unwrap());
        assert_eq!(consent_id(&headers), None);
    }
}
