//! The privacy centre's words in each language the banner speaks (en, de, nl).

/// One language's texts.
pub struct Texts {
    pub lang: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub phone_hint: &'static str,
    pub rights_legend: &'static str,
    pub rights: [(&'static str, &'static str); 6],
    pub details: &'static str,
    pub details_hint: &'static str,
    pub california: &'static str,
    pub submit: &'static str,
    pub sent: &'static str,
    pub opt_out_note: &'static str,
    pub deadlines: &'static str,
    pub back_home: &'static str,
}

const EN: Texts = Texts {
    lang: "en",
    title: "Privacy centre",
    intro: "Ask to see, correct or erase the data we hold about you, or tell us to stop using it for marketing. \
            We send a link to your email address to make sure the request comes from you.",
    email: "Your email address",
    phone: "Phone number (optional)",
    phone_hint: "Only if you want us to look for it too, in international format (+49 30 123456).",
    rights_legend: "What would you like us to do?",
    rights: [
        ("access", "Send me a copy of my data"),
        ("rectification", "Correct my data"),
        ("erasure", "Erase my data"),
        ("objection", "No more marketing"),
        ("restriction", "Keep my data but stop using it"),
        (
            "opt_out_sale_share",
            "Do not sell or share my personal information",
        ),
    ],
    details: "Details (optional)",
    details_hint: "For a correction: what is wrong, and what it should say.",
    california: "I live in California",
    submit: "Send request",
    sent: "Thank you. If we can act on this request, you will find an email from us in a few minutes: please follow its link to confirm.",
    opt_out_note: "Opt-outs (no more marketing, restriction, no sale or sharing) take effect at once.",
    deadlines: "We answer within one month of your confirmation (California residents: we acknowledge within 10 business days and answer within 45 days).",
    back_home: "Back to the website",
};

const DE: Texts = Texts {
    lang: "de",
    title: "Datenschutz-Center",
    intro: "Hier können Sie Auskunft, Berichtigung oder Löschung Ihrer Daten verlangen oder der Nutzung für Werbung widersprechen. \
            Wir senden einen Link an Ihre E-Mail-Adresse, um sicherzugehen, dass die Anfrage von Ihnen kommt.",
    email: "Ihre E-Mail-Adresse",
    phone: "Telefonnummer (optional)",
    phone_hint: "Nur wenn wir auch danach suchen sollen, im internationalen Format (+49 30 123456).",
    rights_legend: "Was sollen wir tun?",
    rights: [
        ("access", "Mir eine Kopie meiner Daten senden"),
        ("rectification", "Meine Daten berichtigen"),
        ("erasure", "Meine Daten löschen"),
        ("objection", "Keine Werbung mehr"),
        (
            "restriction",
            "Meine Daten behalten, aber nicht mehr nutzen",
        ),
        (
            "opt_out_sale_share",
            "Meine Daten nicht verkaufen oder weitergeben",
        ),
    ],
    details: "Einzelheiten (optional)",
    details_hint: "Bei einer Berichtigung: was falsch ist und wie es richtig lautet.",
    california: "Ich wohne in Kalifornien",
    submit: "Anfrage senden",
    sent: "Vielen Dank. Wenn wir diese Anfrage bearbeiten können, erhalten Sie in wenigen Minuten eine E-Mail: Bitte bestätigen Sie über den Link darin.",
    opt_out_note: "Widersprüche (keine Werbung, Einschränkung, kein Verkauf oder Weitergabe) gelten sofort.",
    deadlines: "Wir antworten innerhalb eines Monats nach Ihrer Bestätigung (Einwohner Kaliforniens: Eingangsbestätigung binnen 10 Werktagen, Antwort binnen 45 Tagen).",
    back_home: "Zurück zur Website",
};

const NL: Texts = Texts {
    lang: "nl",
    title: "Privacycentrum",
    intro: "Vraag inzage, correctie of verwijdering van de gegevens die we over u hebben, of laat ons stoppen met marketing. \
            We sturen een link naar uw e-mailadres om zeker te weten dat het verzoek van u komt.",
    email: "Uw e-mailadres",
    phone: "Telefoonnummer (optioneel)",
    phone_hint: "Alleen als we daar ook naar moeten zoeken, in internationaal formaat (+31 20 1234567).",
    rights_legend: "Wat wilt u dat we doen?",
    rights: [
        ("access", "Stuur mij een kopie van mijn gegevens"),
        ("rectification", "Corrigeer mijn gegevens"),
        ("erasure", "Verwijder mijn gegevens"),
        ("objection", "Geen marketing meer"),
        (
            "restriction",
            "Bewaar mijn gegevens maar gebruik ze niet meer",
        ),
        ("opt_out_sale_share", "Verkoop of deel mijn gegevens niet"),
    ],
    details: "Toelichting (optioneel)",
    details_hint: "Bij een correctie: wat er niet klopt en wat het moet zijn.",
    california: "Ik woon in Californië",
    submit: "Verzoek versturen",
    sent: "Dank u. Als we dit verzoek kunnen behandelen, ontvangt u binnen enkele minuten een e-mail: bevestig via de link daarin.",
    opt_out_note: "Bezwaren (geen marketing, beperking, niet verkopen of delen) gaan direct in.",
    deadlines: "We antwoorden binnen een maand na uw bevestiging (inwoners van Californië: ontvangstbevestiging binnen 10 werkdagen, antwoord binnen 45 dagen).",
    back_home: "Terug naar de website",
};

impl Texts {
    /// The texts of `lang` (`en`, `de`, `nl`), if it is one of them.
    pub fn for_lang(lang: &str) -> Option<&'static Texts> {
        [&EN, &DE, &NL].into_iter().find(|t| t.lang == lang)
    }

    /// The texts for `?lang=`, else the first of the browser's `Accept-Language` we speak, else English.
    pub fn choose(query_lang: Option<&str>, accept_language: Option<&str>) -> &'static Texts {
        query_lang
            .and_then(Self::for_lang)
            .or_else(|| {
                accept_language?.split(',').find_map(|item| {
                    let tag = item.split(';').next()?.trim();
                    Self::for_lang(&tag.get(..2)?.to_ascii_lowercase())
                })
            })
            .unwrap_or(&EN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_query_then_the_browser_then_english() {
        assert_eq!(Texts::choose(Some("nl"), Some("de-DE")).lang, "nl");
        assert_eq!(Texts::choose(None, Some("fr-FR, de-AT;q=0.8")).lang, "de");
        assert_eq!(Texts::choose(Some("xx"), None).lang, "en");
        for texts in [&EN, &DE, &NL] {
            let names: Vec<&str> = texts.rights.iter().map(|(n, _)| *n).collect();
            let wire: Vec<&str> = shared::domain::Right::ALL
                .iter()
                .map(|r| r.as_str())
                .collect();
            assert_eq!(names, wire, "{}", texts.lang);
        }
    }
}
