//! The mail texts: every kind in every shipped language, an operator's changes, refusals that name
//! what is wrong.

use super::*;

fn lang(code: &str) -> Language {
    Language::parse(code).unwrap()
}

/// Every placeholder of `kind` filled with a value of its own name.
fn filled(texts: &MailTexts, language: &str, kind: MailKind) -> Mail {
    let values: Vec<(&str, String)> = kind
        .placeholders()
        .iter()
        .map(|p| (*p, format!("<{p}>")))
        .collect();
    let values: Vec<(&str, &str)> = values.iter().map(|(p, v)| (*p, v.as_str())).collect();
    texts.mail(lang(language), kind, &values)
}

#[test]
fn every_mail_kind_has_its_own_text_in_german_dutch_and_english() {
    let texts = MailTexts::shipped();
    assert_eq!(texts.languages(), vec![lang("de"), lang("en"), lang("nl")]);
    for kind in MailKind::ALL {
        let english = filled(&texts, "en", kind);
        for language in ["de", "en", "nl"] {
            let mail = filled(&texts, language, kind);
            for p in kind.placeholders() {
                assert!(
                    mail.body.contains(&format!("<{p}>")),
                    "{language} {kind:?} lacks {p}"
                );
            }
            if language != "en" {
                assert_ne!(mail.subject, english.subject, "{language} {kind:?}");
                assert_ne!(mail.body, english.body, "{language} {kind:?}");
            }
        }
    }
    for (key, _) in PHRASES {
        assert_ne!(
            texts.phrase(lang("de"), key, &[]),
            texts.phrase(lang("en"), key, &[]),
            "phrase {key}"
        );
    }
}

#[test]
fn an_operator_changes_one_mail_and_keeps_the_rest_shipped() {
    let texts = MailTexts::parse(
        "[de.confirmation]\nsubject = \"Bitte bestätigen\"\nbody = \"{confirm_url} {hours} {unsubscribe_url}\"\n",
    )
    .unwrap();
    let mail = texts.mail(
        lang("de"),
        MailKind::Confirmation,
        &[
            ("confirm_url", "C"),
            ("hours", "48"),
            ("unsubscribe_url", "U"),
        ],
    );
    assert_eq!(mail.subject, "Bitte bestätigen");
    assert_eq!(mail.body, "C 48 U");
    assert_eq!(
        texts.mail(lang("de"), MailKind::Notice, &[]),
        MailTexts::shipped().mail(lang("de"), MailKind::Notice, &[])
    );
}

#[test]
fn a_language_must_hold_every_mail_and_phrase_with_exactly_its_placeholders() {
    let refused = |raw: &str| MailTexts::parse(raw).unwrap_err();
    let error = format!(
        "{:#}",
        refused(
            "[fr.confirmation]\nsubject = \"s\"\nbody = \"{confirm_url} {hours} {unsubscribe_url}\"\n"
        )
    );
    assert!(
        error.contains("fr has no text for the privacy_verify mail"),
        "{error}"
    );
    let error = format!(
        "{:#}",
        refused("[de.confirmation]\nsubject = \"s\"\nbody = \"{confirm_url} {hours}\"\n")
    );
    assert!(
        error.contains("de.confirmation.body lacks {unsubscribe_url}"),
        "{error}"
    );
    let error = format!(
        "{:#}",
        refused(
            "[en.confirmation]\nsubject = \"s\"\nbody = \"{confirm_url} {hours} {unsubscribe_url} {name}\"\n"
        )
    );
    assert!(
        error.contains("{name} is not one of its placeholders"),
        "{error}"
    );
    let error = format!("{:#}", refused("[en.phrases]\nsalutation = \"Hi {name\"\n"));
    assert!(error.contains("unclosed"), "{error}");
    let error = format!(
        "{:#}",
        refused("[en.greeting]\nsubject = \"s\"\nbody = \"b\"\n")
    );
    assert!(error.contains("en.greeting is not a mail"), "{error}");
    let error = format!("{:#}", refused("[english.phrases]\n"));
    assert!(error.contains("not a two-letter language code"), "{error}");
}

#[test]
fn a_value_is_put_in_as_it_is_even_with_braces_of_its_own() {
    assert_eq!(
        fill("Hello {name}, {name}!", &[("name", "{x} Ada")]),
        "Hello {x} Ada, {x} Ada!"
    );
    assert_eq!(fill("open { end", &[]), "open { end");
}

#[test]
fn a_language_not_offered_is_written_in_english() {
    let texts = MailTexts::shipped();
    assert!(!texts.offers(lang("fr")));
    assert_eq!(
        texts.phrase(lang("fr"), "salutation_anonymous", &[]),
        texts.phrase(lang("en"), "salutation_anonymous", &[])
    );
}
