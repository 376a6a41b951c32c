//! The words of the pages a mail's link opens (newsletter confirmation, unsubscribe, the privacy
//! request's status, the objection to a notice, the cookie-consent receipt), in each language the
//! product ships. A page is written in the person's language where the record behind the link keeps
//! one, else in the browser's.

use crate::domain::Language;

/// One language's words.
#[derive(Debug)]
pub struct PageWords {
    pub lang: &'static str,
    pub confirm_title: &'static str,
    pub confirm_text: &'static str,
    pub confirm_button: &'static str,
    pub confirmed_title: &'static str,
    pub confirmed_text: &'static str,
    pub already_confirmed_title: &'static str,
    pub already_confirmed_text: &'static str,
    pub unsubscribe_title: &'static str,
    pub unsubscribe_all: &'static str,
    /// With `{list}`, the list's name.
    pub unsubscribe_list: &'static str,
    pub unsubscribe_button: &'static str,
    pub unsubscribed_title: &'static str,
    pub unsubscribed_text: &'static str,
    pub verify_title: &'static str,
    pub verify_intro: &'static str,
    pub verify_after: &'static str,
    pub verify_button: &'static str,
    pub request_title: &'static str,
    pub request_where: &'static str,
    pub request_confirmed_title: &'static str,
    pub request_confirmed_text: &'static str,
    pub request_already_title: &'static str,
    pub request_already_text: &'static str,
    pub row_status: &'static str,
    pub row_rights: &'static str,
    pub row_asked: &'static str,
    pub row_confirmed: &'static str,
    pub row_due: &'static str,
    pub row_extended: &'static str,
    pub row_reason: &'static str,
    /// What each request status means: unverified, open, extended, completed, denied, expired.
    pub statuses: [&'static str; 6],
    /// Each right in people's words: access, rectification, erasure, objection, restriction,
    /// opt_out_sale_share.
    pub rights: [&'static str; 6],
    pub object_title: &'static str,
    pub object_explain: &'static str,
    pub object_erase: &'static str,
    pub object_button: &'static str,
    pub objected_title: &'static str,
    pub objected_text: &'static str,
    pub object_erasure_opened: &'static str,
    pub receipt_title: &'static str,
    /// With `{id}`, the consent id.
    pub receipt_intro: &'static str,
    pub receipt_gpc: &'static str,
    pub receipt_caption: &'static str,
    /// Column heads: number, when (UTC), how, choices, banner, expires.
    pub receipt_columns: [&'static str; 6],
    pub yes: &'static str,
    pub no: &'static str,
}

const EN: PageWords = PageWords {
    lang: "en",
    confirm_title: "Confirm your subscription",
    confirm_text: "Press the button to confirm that you want to receive our newsletter at this address.",
    confirm_button: "Confirm subscription",
    confirmed_title: "Subscription confirmed",
    confirmed_text: "Thank you! You will receive our newsletter from now on.",
    already_confirmed_title: "Already confirmed",
    already_confirmed_text: "Your subscription was already confirmed. Thank you!",
    unsubscribe_title: "Unsubscribe",
    unsubscribe_all: "You will receive no more marketing email from us at this address.",
    unsubscribe_list: "You will receive no more email of the list “{list}”.",
    unsubscribe_button: "Unsubscribe",
    unsubscribed_title: "You are unsubscribed",
    unsubscribed_text: "Done. You will not receive these emails any more.",
    verify_title: "Confirm your privacy request",
    verify_intro: "Press the button to confirm that you asked us to:",
    verify_after: "We then answer within one month and email you the result.",
    verify_button: "Confirm my request",
    request_title: "Your privacy request",
    request_where: "Here is where your request stands.",
    request_confirmed_title: "Request confirmed",
    request_confirmed_text: "Thank you. Your request is confirmed; we emailed you its due date.",
    request_already_title: "Already confirmed",
    request_already_text: "This request was already confirmed. Here is where it stands.",
    row_status: "Status",
    row_rights: "What you asked for",
    row_asked: "Asked on",
    row_confirmed: "Confirmed on",
    row_due: "Answer due by",
    row_extended: "Extended because",
    row_reason: "Reason",
    statuses: [
        "Waiting for you to confirm it with the link we emailed.",
        "Confirmed. We are working on it.",
        "Confirmed. We needed more time and told you why by email.",
        "Answered. We emailed you what we did.",
        "Refused. We emailed you the reason and your right to complain.",
        "Never confirmed, so nothing was done. You can ask again at any time.",
    ],
    rights: [
        "A copy of your data",
        "Correcting your data",
        "Erasing your data",
        "No more marketing",
        "Keeping your data but no longer using it",
        "Not selling or sharing your personal information",
    ],
    object_title: "Object to the use of your data",
    object_explain: "If you object, we put your email address and phone number on our do-not-contact list and delete the business contact data we received about you. We will not contact you again.",
    object_erase: "Also erase all other data you hold about me",
    object_button: "Object",
    objected_title: "Your objection is recorded",
    objected_text: "We will not contact you again. Your contact data has been deleted; only a one-way code of your address stays on our do-not-contact list, so that it is never used again.",
    object_erasure_opened: "We have also opened your erasure request and emailed you its due date.",
    receipt_title: "Your cookie consent",
    receipt_intro: "Consent id {id}. Newest decision first.",
    receipt_gpc: "Opt-out request honored: your browser sent Global Privacy Control (Sec-GPC), so selling and sharing are refused.",
    receipt_caption: "Your decisions",
    receipt_columns: ["#", "When (UTC)", "How", "Choices", "Banner", "Expires"],
    yes: "yes",
    no: "no",
};

const DE: PageWords = PageWords {
    lang: "de",
    confirm_title: "Newsletter-Anmeldung bestätigen",
    confirm_text: "Klicken Sie auf die Schaltfläche, um zu bestätigen, dass Sie unseren Newsletter an diese Adresse erhalten möchten.",
    confirm_button: "Anmeldung bestätigen",
    confirmed_title: "Anmeldung bestätigt",
    confirmed_text: "Vielen Dank! Sie erhalten ab sofort unseren Newsletter.",
    already_confirmed_title: "Bereits bestätigt",
    already_confirmed_text: "Ihre Anmeldung war bereits bestätigt. Vielen Dank!",
    unsubscribe_title: "Abmelden",
    unsubscribe_all: "Sie erhalten an diese Adresse keine Werbe-E-Mails mehr von uns.",
    unsubscribe_list: "Sie erhalten keine E-Mails der Liste „{list}“ mehr.",
    unsubscribe_button: "Abmelden",
    unsubscribed_title: "Sie sind abgemeldet",
    unsubscribed_text: "Erledigt. Sie erhalten diese E-Mails nicht mehr.",
    verify_title: "Datenschutzanfrage bestätigen",
    verify_intro: "Klicken Sie auf die Schaltfläche, um zu bestätigen, dass Sie uns um Folgendes gebeten haben:",
    verify_after: "Wir antworten Ihnen dann innerhalb eines Monats und senden Ihnen das Ergebnis per E-Mail.",
    verify_button: "Meine Anfrage bestätigen",
    request_title: "Ihre Datenschutzanfrage",
    request_where: "Hier sehen Sie den aktuellen Stand Ihrer Anfrage.",
    request_confirmed_title: "Anfrage bestätigt",
    request_confirmed_text: "Vielen Dank. Ihre Anfrage ist bestätigt; wir haben Ihnen per E-Mail mitgeteilt, bis wann wir antworten.",
    request_already_title: "Bereits bestätigt",
    request_already_text: "Diese Anfrage war bereits bestätigt. Hier sehen Sie den aktuellen Stand.",
    row_status: "Status",
    row_rights: "Ihr Anliegen",
    row_asked: "Gestellt am",
    row_confirmed: "Bestätigt am",
    row_due: "Antwort spätestens bis",
    row_extended: "Grund der Verlängerung",
    row_reason: "Grund",
    statuses: [
        "Wartet auf Ihre Bestätigung über den Link, den wir Ihnen per E-Mail gesendet haben.",
        "Bestätigt. Wir bearbeiten Ihre Anfrage.",
        "Bestätigt. Wir benötigen mehr Zeit und haben Ihnen den Grund per E-Mail mitgeteilt.",
        "Beantwortet. Wir haben Ihnen per E-Mail mitgeteilt, was wir getan haben.",
        "Abgelehnt. Wir haben Ihnen den Grund und Ihr Recht auf Beschwerde per E-Mail mitgeteilt.",
        "Nie bestätigt, daher ist nichts geschehen. Sie können jederzeit eine neue Anfrage stellen.",
    ],
    rights: [
        "Eine Kopie Ihrer Daten",
        "Berichtigung Ihrer Daten",
        "Löschung Ihrer Daten",
        "Keine Werbung mehr",
        "Ihre Daten behalten, aber nicht mehr nutzen",
        "Kein Verkauf und keine Weitergabe Ihrer Daten",
    ],
    object_title: "Widerspruch gegen die Nutzung Ihrer Daten",
    object_explain: "Wenn Sie widersprechen, setzen wir Ihre E-Mail-Adresse und Telefonnummer auf unsere Sperrliste und löschen die geschäftlichen Kontaktdaten, die wir über Sie erhalten haben. Wir werden Sie nicht mehr kontaktieren.",
    object_erase: "Auch alle anderen Daten löschen, die Sie über mich gespeichert haben",
    object_button: "Widersprechen",
    objected_title: "Ihr Widerspruch wurde erfasst",
    objected_text: "Wir werden Sie nicht mehr kontaktieren. Ihre Kontaktdaten wurden gelöscht; auf unserer Sperrliste bleibt nur ein nicht umkehrbarer Code Ihrer Adresse, damit sie nie wieder verwendet wird.",
    object_erasure_opened: "Außerdem haben wir Ihre Löschanfrage aufgenommen und Ihnen per E-Mail mitgeteilt, bis wann wir sie bearbeiten.",
    receipt_title: "Ihre Cookie-Einwilligung",
    receipt_intro: "Einwilligungs-ID {id}. Neueste Entscheidung zuerst.",
    receipt_gpc: "Opt-out-Anfrage berücksichtigt: Ihr Browser hat Global Privacy Control (Sec-GPC) gesendet, Verkauf und Weitergabe Ihrer Daten sind damit abgelehnt.",
    receipt_caption: "Ihre Entscheidungen",
    receipt_columns: [
        "#",
        "Zeitpunkt (UTC)",
        "Art",
        "Auswahl",
        "Banner",
        "Gültig bis",
    ],
    yes: "ja",
    no: "nein",
};

const NL: PageWords = PageWords {
    lang: "nl",
    confirm_title: "Bevestig uw aanmelding",
    confirm_text: "Klik op de knop om te bevestigen dat u onze nieuwsbrief op dit adres wilt ontvangen.",
    confirm_button: "Aanmelding bevestigen",
    confirmed_title: "Aanmelding bevestigd",
    confirmed_text: "Dank u! Vanaf nu ontvangt u onze nieuwsbrief.",
    already_confirmed_title: "Al bevestigd",
    already_confirmed_text: "Uw aanmelding was al bevestigd. Dank u!",
    unsubscribe_title: "Afmelden",
    unsubscribe_all: "U ontvangt op dit adres geen marketingmails meer van ons.",
    unsubscribe_list: "U ontvangt geen e-mails van de lijst “{list}” meer.",
    unsubscribe_button: "Afmelden",
    unsubscribed_title: "U bent afgemeld",
    unsubscribed_text: "Klaar. U ontvangt deze e-mails niet meer.",
    verify_title: "Bevestig uw privacyverzoek",
    verify_intro: "Klik op de knop om te bevestigen dat u ons het volgende heeft gevraagd:",
    verify_after: "We antwoorden dan binnen een maand en mailen u het resultaat.",
    verify_button: "Mijn verzoek bevestigen",
    request_title: "Uw privacyverzoek",
    request_where: "Hier ziet u hoe het met uw verzoek staat.",
    request_confirmed_title: "Verzoek bevestigd",
    request_confirmed_text: "Dank u. Uw verzoek is bevestigd; we hebben u gemaild wanneer u uiterlijk antwoord krijgt.",
    request_already_title: "Al bevestigd",
    request_already_text: "Dit verzoek was al bevestigd. Hier ziet u hoe het ermee staat.",
    row_status: "Status",
    row_rights: "Wat u heeft gevraagd",
    row_asked: "Ingediend op",
    row_confirmed: "Bevestigd op",
    row_due: "Antwoord uiterlijk op",
    row_extended: "Reden van verlenging",
    row_reason: "Reden",
    statuses: [
        "Wacht op uw bevestiging via de link die we u hebben gemaild.",
        "Bevestigd. We zijn ermee bezig.",
        "Bevestigd. We hadden meer tijd nodig en hebben u per e-mail laten weten waarom.",
        "Afgehandeld. We hebben u per e-mail laten weten wat we hebben gedaan.",
        "Afgewezen. We hebben u per e-mail de reden laten weten en gewezen op uw recht om een klacht in te dienen.",
        "Nooit bevestigd, dus er is niets mee gedaan. U kunt op elk moment een nieuw verzoek indienen.",
    ],
    rights: [
        "Een kopie van uw gegevens",
        "Correctie van uw gegevens",
        "Verwijdering van uw gegevens",
        "Geen marketing meer",
        "Uw gegevens bewaren, maar niet meer gebruiken",
        "Uw gegevens niet verkopen of delen",
    ],
    object_title: "Bezwaar maken tegen het gebruik van uw gegevens",
    object_explain: "Als u bezwaar maakt, zetten we uw e-mailadres en telefoonnummer op onze lijst van contacten die we niet meer benaderen, en verwijderen we de zakelijke contactgegevens die we over u hebben ontvangen. We nemen geen contact meer met u op.",
    object_erase: "Verwijder ook alle andere gegevens die u over mij heeft",
    object_button: "Bezwaar maken",
    objected_title: "Uw bezwaar is geregistreerd",
    objected_text: "We nemen geen contact meer met u op. Uw contactgegevens zijn verwijderd; alleen een onomkeerbare code van uw adres blijft op onze lijst van contacten die we niet meer benaderen, zodat het nooit meer wordt gebruikt.",
    object_erasure_opened: "Ook hebben we uw verzoek tot verwijdering in behandeling genomen en u gemaild wanneer u uiterlijk antwoord krijgt.",
    receipt_title: "Uw cookietoestemming",
    receipt_intro: "Toestemmings-ID {id}. Nieuwste beslissing bovenaan.",
    receipt_gpc: "Opt-outverzoek gehonoreerd: uw browser heeft Global Privacy Control (Sec-GPC) meegestuurd, het verkopen en delen van uw gegevens is daarmee geweigerd.",
    receipt_caption: "Uw beslissingen",
    receipt_columns: [
        "#",
        "Tijdstip (UTC)",
        "Manier",
        "Keuzes",
        "Banner",
        "Geldig tot",
    ],
    yes: "ja",
    no: "nee",
};

/// Every language the pages are written in.
pub const PAGES: [&PageWords; 3] = [&EN, &DE, &NL];

impl PageWords {
    /// The words in `language`, English when the pages are not written in it.
    pub fn of(language: Option<Language>) -> &'static PageWords {
        language
            .and_then(|l| PAGES.iter().find(|w| w.lang == l.as_str()))
            .copied()
            .unwrap_or(&EN)
    }

    /// The words for a person whose record keeps `kept` (a language code), else for the browser's
    /// `Accept-Language`.
    pub fn for_person(kept: Option<&str>, accept_language: Option<&str>) -> &'static PageWords {
        let offered: Vec<Language> = PAGES
            .iter()
            .filter_map(|w| Language::parse(w.lang).ok())
            .collect();
        let kept = kept
            .and_then(|k| Language::parse(k).ok())
            .filter(|l| offered.contains(l));
        let browser = accept_language.and_then(|h| Language::negotiate(h, &offered));
        Self::of(kept.or(browser))
    }

    /// A right's code (`access`, `opt_out_sale_share`) in people's words.
    pub fn right(&self, code: &str) -> &'static str {
        const CODES: [&str; 6] = [
            "access",
            "rectification",
            "erasure",
            "objection",
            "restriction",
            "opt_out_sale_share",
        ];
        CODES
            .iter()
            .position(|c| *c == code)
            .map_or("", |i| self.rights[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_in_the_kept_language_else_the_browsers_else_english() {
        assert_eq!(PageWords::for_person(Some("de"), Some("nl")).lang, "de");
        assert_eq!(PageWords::for_person(Some("fr"), Some("nl-BE")).lang, "nl");
        assert_eq!(PageWords::for_person(None, Some("fr")).lang, "en");
        assert_eq!(
            PageWords::of(None).right("opt_out_sale_share"),
            EN.rights[5]
        );
    }
}
