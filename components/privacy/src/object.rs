//! `/privacy/object/{token}`: the objection link of an Art. 14 notice. GET shows what objecting does and
//! changes nothing (mail scanners fetch links); POST, with no fields needed (the signed link is the
//! proof), puts the address and phone on the do-not-contact registry and erases the contact; with
//! `erase=on` it also opens an erasure request that needs no second verification. In the contact's
//! language.

use crate::config::PrivacyConfig;
use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body_util::Full;
use shared::contacts::object::object;
use shared::domain::Language;
use shared::http::{ApiError, escape_html, last_header, page_in, read_body};
use shared::links::ObjectLink;
use shared::records::{Actor, ImportedContact};
use shared::store::{Backend, RecordKind, Store};
use shared::time::Timestamp;

/// The page's words in one language.
struct Words {
    title: &'static str,
    explain: &'static str,
    erase: &'static str,
    button: &'static str,
    done_title: &'static str,
    done: &'static str,
    erasure_opened: &'static str,
}

const EN: Words = Words {
    title: "Object to the use of your data",
    explain: "If you object, we put your email address and phone number on our do-not-contact list and delete the business contact data we received about you. We will not contact you again.",
    erase: "Also erase all other data you hold about me",
    button: "Object",
    done_title: "Your objection is recorded",
    done: "We will not contact you again. Your contact data has been deleted; only a one-way code of your address stays on our do-not-contact list, so that it is never used again.",
    erasure_opened: "We have also opened your erasure request and emailed you its due date.",
};

const DE: Words = Words {
    title: "Widerspruch gegen die Nutzung Ihrer Daten",
    explain: "Wenn Sie widersprechen, setzen wir Ihre E-Mail-Adresse und Telefonnummer auf unsere Sperrliste und löschen die geschäftlichen Kontaktdaten, die wir über Sie erhalten haben. Wir werden Sie nicht mehr kontaktieren.",
    erase: "Außerdem alle anderen Daten löschen, die Sie über mich gespeichert haben",
    button: "Widersprechen",
    done_title: "Ihr Widerspruch ist eingetragen",
    done: "Wir werden Sie nicht mehr kontaktieren. Ihre Kontaktdaten sind gelöscht; auf unserer Sperrliste bleibt nur ein nicht umkehrbarer Code Ihrer Adresse, damit sie nie wieder verwendet wird.",
    erasure_opened: "Außerdem haben wir Ihren Löschantrag eröffnet und Ihnen die Frist per E-Mail mitgeteilt.",
};

const NL: Words = Words {
    title: "Bezwaar tegen het gebruik van uw gegevens",
    explain: "Als u bezwaar maakt, zetten we uw e-mailadres en telefoonnummer op onze lijst van personen die niet benaderd willen worden en wissen we de zakelijke contactgegevens die we over u hebben ontvangen. We nemen geen contact meer met u op.",
    erase: "Ook alle andere gegevens wissen die u over mij bewaart",
    button: "Bezwaar maken",
    done_title: "Uw bezwaar is vastgelegd",
    done: "We nemen geen contact meer met u op. Uw contactgegevens zijn gewist; op onze lijst blijft alleen een onomkeerbare code van uw adres staan, zodat het nooit meer wordt gebruikt.",
    erasure_opened: "We hebben ook uw verzoek om gegevens te wissen geopend en u de termijn per e-mail laten weten.",
};

/// The contact's language if it is still held, else the browser's, else English.
fn words(contact: Option<&ImportedContact>, headers: &HeaderMap) -> (&'static str, &'static Words) {
    let offered = [Language::ENGLISH, lang("de"), lang("nl")];
    let language = contact
        .and_then(|c| Language::parse(&c.language).ok())
        .filter(|l| offered.contains(l))
        .or_else(|| {
            last_header(headers, "accept-language").and_then(|h| Language::negotiate(h, &offered))
        })
        .unwrap_or(Language::ENGLISH);
    match language.as_str() {
        "de" => ("de", &DE),
        "nl" => ("nl", &NL),
        _ => ("en", &EN),
    }
}

fn lang(code: &str) -> Language {
    Language::parse(code).expect("a valid code")
}

async fn open<B: Backend>(
    config: &PrivacyConfig,
    store: &Store<B>,
    token: &str,
) -> Result<(ObjectLink, Option<ImportedContact>), ApiError> {
    let link = ObjectLink::open(&config.privacy.keys, token)?;
    let contact = store.get(RecordKind::Contact, &link.contact).await?;
    Ok((link, contact))
}

/// GET: what objecting does, and the button; changes nothing.
pub async fn show_objection<B: Backend>(
    headers: &HeaderMap,
    config: &PrivacyConfig,
    store: &Store<B>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let (_, contact) = open(config, store, token).await?;
    let (lang, w) = words(contact.as_ref(), headers);
    let body = format!(
        "<p>{}</p><form method=post><p><label><input type=checkbox name=erase value=on> {}</label></p>\
         <button type=submit>{}</button></form>",
        escape_html(w.explain),
        escape_html(w.erase),
        escape_html(w.button)
    );
    Ok(page_in(StatusCode::OK, lang, w.title, &body))
}

/// POST: the objection (and, with `erase=on`, the erasure request).
pub async fn object_to_use<B: Backend>(
    headers: &HeaderMap,
    body: Full<Bytes>,
    actor: Actor,
    config: &PrivacyConfig,
    store: &Store<B>,
    token: &str,
) -> Result<Response<String>, ApiError> {
    let (link, contact) = open(config, store, token).await?;
    let body = read_body(headers, body, 4096).await?;
    let erase = form_urlencoded::parse(&body).any(|(k, v)| k == "erase" && v == "on");
    let (lang, w) = words(contact.as_ref(), headers);
    let now = Timestamp::now();
    let done = object(store, &config.privacy, &link.contact, erase, actor, now).await?;
    let mut text = format!("<p>{}</p>", escape_html(w.done));
    if done.erasure_request.is_some() {
        text.push_str(&format!("<p>{}</p>", escape_html(w.erasure_opened)));
    }
    Ok(page_in(StatusCode::OK, lang, w.done_title, &text))
}
