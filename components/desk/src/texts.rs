//! The desk's words in English and German, chosen by `?lang=`, else the browser's `Accept-Language`.

/// One language's texts.
pub struct Texts {
    pub lang: &'static str,
    pub desk: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_intro: &'static str,
    pub key_label: &'static str,
    pub key_hint: &'static str,
    pub sign_in: &'static str,
    pub wrong_key: &'static str,
    pub sign_out: &'static str,
    pub signed_in_as: &'static str,
    pub queue_title: &'static str,
    /// "{overdue} overdue, {soon} due this week".
    pub counts: &'static str,
    pub filter_legend: &'static str,
    pub filter_open: &'static str,
    pub filter_all: &'static str,
    pub show: &'static str,
    pub no_requests: &'static str,
    pub col_request: &'static str,
    pub col_rights: &'static str,
    pub col_received: &'static str,
    pub col_due: &'static str,
    pub col_jurisdiction: &'static str,
    pub col_status: &'static str,
    pub col_urgency: &'static str,
    pub overdue: &'static str,
    pub due_soon: &'static str,
    pub gdpr: &'static str,
    pub california: &'static str,
    pub notices_title: &'static str,
    pub notices_intro: &'static str,
    pub no_notices: &'static str,
    pub col_contact: &'static str,
    pub col_language: &'static str,
    pub col_due_by: &'static str,
    pub col_sources: &'static str,
    pub request_title: &'static str,
    pub back: &'static str,
    pub facts: &'static str,
    pub asked: &'static str,
    pub acknowledge_by: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub language: &'static str,
    pub details: &'static str,
    pub timeline: &'static str,
    pub col_when: &'static str,
    pub col_step: &'static str,
    pub col_by: &'static str,
    pub col_note: &'static str,
    pub found: &'static str,
    pub found_none: &'static str,
    pub col_kind: &'static str,
    pub col_count: &'static str,
    pub records: &'static str,
    pub decide: &'static str,
    pub read_only: &'static str,
    pub nothing_to_decide: &'static str,
    pub approve: &'static str,
    pub approve_hint: &'static str,
    pub deny: &'static str,
    pub reason: &'static str,
    pub choose_reason: &'static str,
    pub deny_text: &'static str,
    pub extend: &'static str,
    pub extend_reason: &'static str,
    pub rectify: &'static str,
    pub rectify_hint: &'static str,
    pub stale: &'static str,
    pub refused: &'static str,
    pub problem: &'static str,
}

const EN: Texts = Texts {
    lang: "en",
    desk: "Privacy desk",
    sign_in_title: "Sign in to the privacy desk",
    sign_in_intro: "Sign in with an API key that has the scope privacy:read (and privacy:write to decide). \
                    The key is checked once and never kept in the browser: you get a session of at most 8 hours.",
    key_label: "API key",
    key_hint: "It starts with mck_. Ask your administrator for one.",
    sign_in: "Sign in",
    wrong_key: "This key cannot open the desk: it is unknown, revoked or expired, or it lacks privacy:read.",
    sign_out: "Sign out",
    signed_in_as: "Signed in with key",
    queue_title: "Privacy requests",
    counts: "{overdue} overdue, {soon} due this week",
    filter_legend: "Show requests",
    filter_open: "Open (on the clock)",
    filter_all: "All",
    show: "Show",
    no_requests: "No requests here.",
    col_request: "Request",
    col_rights: "Rights",
    col_received: "Received",
    col_due: "Due",
    col_jurisdiction: "Jurisdiction",
    col_status: "Status",
    col_urgency: "Urgency",
    overdue: "Overdue",
    due_soon: "Due within 7 days",
    gdpr: "GDPR",
    california: "California (CCPA)",
    notices_title: "Art. 14 notices owed",
    notices_intro: "Contacts from other sources who must be told what is held and how to object.",
    no_notices: "No notice is owed.",
    col_contact: "Contact",
    col_language: "Language",
    col_due_by: "Due by",
    col_sources: "Sources",
    request_title: "Request",
    back: "Back to the queue",
    facts: "The request",
    asked: "Asked",
    acknowledge_by: "Acknowledge by",
    email: "Email",
    phone: "Phone",
    language: "Language",
    details: "Details",
    timeline: "Timeline",
    col_when: "When",
    col_step: "Step",
    col_by: "By",
    col_note: "Note",
    found: "What is held about the person",
    found_none: "Nothing else is held about this person.",
    col_kind: "Record kind",
    col_count: "Records",
    records: "The records",
    decide: "Decide",
    read_only: "Your key may read requests but not decide them (it lacks privacy:write).",
    nothing_to_decide: "Nothing is left to decide on this request.",
    approve: "Approve",
    approve_hint: "Answers the request now: the access package, erasure or opt-outs, and the completion mail.",
    deny: "Deny",
    reason: "Reason",
    choose_reason: "Choose a reason",
    deny_text: "Message to the person (optional)",
    extend: "Extend",
    extend_reason: "Why more time is needed (the person is told)",
    rectify: "Rectify",
    rectify_hint: "Fill in only the fields to correct; the others stay as they are.",
    stale: "This request changed since you opened it: reload the page, check it again, then decide.",
    refused: "This cannot be done",
    problem: "Something is wrong",
};

const DE: Texts = Texts {
    lang: "de",
    desk: "Datenschutz-Desk",
    sign_in_title: "Anmeldung am Datenschutz-Desk",
    sign_in_intro: "Melden Sie sich mit einem API-Schlüssel an, der den Bereich privacy:read hat (und privacy:write, um zu entscheiden). \
                    Der Schlüssel wird einmal geprüft und nie im Browser gespeichert: Sie erhalten eine Sitzung von höchstens 8 Stunden.",
    key_label: "API-Schlüssel",
    key_hint: "Er beginnt mit mck_. Ihre Administration stellt ihn aus.",
    sign_in: "Anmelden",
    wrong_key: "Dieser Schlüssel öffnet den Desk nicht: Er ist unbekannt, widerrufen oder abgelaufen, oder ihm fehlt privacy:read.",
    sign_out: "Abmelden",
    signed_in_as: "Angemeldet mit Schlüssel",
    queue_title: "Datenschutzanfragen",
    counts: "{overdue} überfällig, {soon} diese Woche fällig",
    filter_legend: "Anfragen anzeigen",
    filter_open: "Offen (Frist läuft)",
    filter_all: "Alle",
    show: "Anzeigen",
    no_requests: "Hier sind keine Anfragen.",
    col_request: "Anfrage",
    col_rights: "Rechte",
    col_received: "Eingegangen",
    col_due: "Fällig",
    col_jurisdiction: "Rechtsrahmen",
    col_status: "Status",
    col_urgency: "Dringlichkeit",
    overdue: "Überfällig",
    due_soon: "Fällig binnen 7 Tagen",
    gdpr: "DSGVO",
    california: "Kalifornien (CCPA)",
    notices_title: "Geschuldete Hinweise nach Art. 14",
    notices_intro: "Kontakte aus anderen Quellen, denen mitzuteilen ist, was gespeichert ist und wie sie widersprechen können.",
    no_notices: "Kein Hinweis ist offen.",
    col_contact: "Kontakt",
    col_language: "Sprache",
    col_due_by: "Fällig bis",
    col_sources: "Quellen",
    request_title: "Anfrage",
    back: "Zurück zur Liste",
    facts: "Die Anfrage",
    asked: "Gestellt",
    acknowledge_by: "Eingang zu bestätigen bis",
    email: "E-Mail",
    phone: "Telefon",
    language: "Sprache",
    details: "Einzelheiten",
    timeline: "Verlauf",
    col_when: "Wann",
    col_step: "Schritt",
    col_by: "Von",
    col_note: "Vermerk",
    found: "Was über die Person gespeichert ist",
    found_none: "Sonst ist über diese Person nichts gespeichert.",
    col_kind: "Art",
    col_count: "Datensätze",
    records: "Die Datensätze",
    decide: "Entscheiden",
    read_only: "Ihr Schlüssel darf Anfragen lesen, aber nicht entscheiden (ihm fehlt privacy:write).",
    nothing_to_decide: "Zu dieser Anfrage ist nichts mehr zu entscheiden.",
    approve: "Genehmigen",
    approve_hint: "Beantwortet die Anfrage jetzt: Auskunftspaket, Löschung oder Widerspruch und die Abschlussmail.",
    deny: "Ablehnen",
    reason: "Grund",
    choose_reason: "Grund wählen",
    deny_text: "Nachricht an die Person (optional)",
    extend: "Verlängern",
    extend_reason: "Warum mehr Zeit nötig ist (die Person erfährt es)",
    rectify: "Berichtigen",
    rectify_hint: "Füllen Sie nur die zu berichtigenden Felder aus; die anderen bleiben, wie sie sind.",
    stale: "Diese Anfrage hat sich geändert, seit Sie sie geöffnet haben: Laden Sie die Seite neu, prüfen Sie sie und entscheiden Sie dann.",
    refused: "Das ist nicht möglich",
    problem: "Etwas stimmt nicht",
};

impl Texts {
    /// The texts for `?lang=`, else the first of the browser's `Accept-Language` the desk speaks, else
    /// English.
    pub fn choose(query: Option<&str>, accept_language: Option<&str>) -> &'static Texts {
        let find = |lang: &str| [&EN, &DE].into_iter().find(|t| t.lang == lang);
        query
            .and_then(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .find(|(name, _)| name == "lang")
                    .and_then(|(_, value)| find(&value))
            })
            .or_else(|| {
                accept_language?.split(',').find_map(|item| {
                    let tag = item.split(';').next()?.trim();
                    find(&tag.get(..2)?.to_ascii_lowercase())
                })
            })
            .unwrap_or(&EN)
    }

    /// The words of one urgency (`overdue`, `due_soon`).
    pub fn urgency(&self, urgency: &str) -> &'static str {
        match urgency {
            "overdue" => self.overdue,
            _ => self.due_soon,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_query_then_the_browser_then_english() {
        assert_eq!(Texts::choose(Some("lang=de"), Some("en-GB")).lang, "de");
        assert_eq!(Texts::choose(None, Some("fr-FR, de-AT;q=0.8")).lang, "de");
        assert_eq!(Texts::choose(Some("lang=xx&status=open"), None).lang, "en");
        assert_eq!(EN.approve, "Approve");
        assert_eq!(
            (EN.deny, EN.extend, EN.rectify, EN.sign_out),
            ("Deny", "Extend", "Rectify", "Sign out")
        );
    }
}
