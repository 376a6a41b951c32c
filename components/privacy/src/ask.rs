//! `POST /api/privacy/requests`: ask for access, rectification, erasure, objection, restriction or an
//! opt-out of sale/share. The answer is the same whatever is held, throttled or flagged as spam (`202
//! {"status": "check_your_email"}`, or a 303 to the privacy page for a plain form), so the endpoint
//! reveals nobody. Opt-outs take effect at once; everything else waits for the emailed link.

use crate::config::PrivacyConfig;
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;
use shared::body::BodyRules;
use shared::capture::{Offer, Post, honour_browser};
use shared::domain::{
    EmailAddress, FormId, Invalid, Language, PhoneNumber, RequestDetails, Right, Rights,
    parse_banner_id,
};
use shared::http::{ApiError, json_response, see_other};
use shared::ids::new_id;
use shared::mailer::enqueue;
use shared::privacy::answer::apply_opt_outs;
use shared::privacy::{DataRequest, RESEND_MINUTES, RequestStatus, Step, mail};
use shared::records::{Action, Actor};
use shared::store::{Backend, Capture, Event, Log, RecordKind, Store, Updated};
use shared::time::Timestamp;

/// The render-token form id of the request form.
pub const FORM: &str = "privacy";
/// Requests one mailbox may ask for in a day; more are answered alike and dropped (registered).
pub const MAX_PER_MAILBOX_PER_DAY: u64 = 3;

#[derive(Serialize)]
struct Answer {
    status: &'static str,
}

/// What the form sent, each field parsed.
struct Asked {
    email: EmailAddress,
    phone: Option<PhoneNumber>,
    rights: Rights,
    details: Option<RequestDetails>,
    california_resident: bool,
    consent_id: Option<String>,
    lang: Option<String>,
    /// The post came with `Sec-GPC: 1`.
    gpc: bool,
}

/// A language tag (`de`, `de-AT`, `nl`, ...) as its primary code: the language of the person's mails
/// (English where no texts are written in it) and of the page after a form post.
fn lang(raw: &str) -> Result<String, Invalid> {
    Language::parse(raw).map(|l| l.as_str().to_owned())
}

pub async fn ask<K: Backend>(
    request: http::Request<Full<Bytes>>,
    config: &PrivacyConfig,
    store: &Store<K>,
) -> Result<Response<String>, ApiError> {
    let settings = &config.capture;
    let rules = BodyRules::form().lists(&["rights"]);
    let mut post = Post::read_as(request, settings, Offer::Controls, &rules).await?;
    let browser = post.intake.accept_language.clone();
    let fields = post.fields();
    let email = fields.required("email", EmailAddress::parse);
    let phone = fields.optional("phone", PhoneNumber::parse);
    let sent_rights = fields.present("rights");
    let rights = fields.list("rights", Right::parse);
    let details = fields.optional("details", RequestDetails::parse);
    let california_resident = fields.tick("california_resident").unwrap_or(false);
    let consent = fields.optional("consent_id", parse_banner_id);
    // `language` is the name every other form uses; `lang` the centre's own (the same field).
    let language = fields.optional("language", lang);
    let lang = fields.optional("lang", lang).or(language).or_else(|| {
        let offered = ["en", "de", "nl"].map(|l| Language::parse(l).expect("a valid code"));
        Language::negotiate(browser.as_deref()?, &offered).map(|l| l.as_str().to_owned())
    });
    let rights = match Rights::new(rights) {
        Ok(rights) => Some(rights),
        // A list whose every value was refused is already named; an empty or missing one is not.
        Err(_) if sent_rights && fields.has_error("rights") => None,
        Err(invalid) => {
            fields.reject("rights", invalid.code, &invalid.message);
            None
        }
    };
    fields.finish()?;
    let (Some(email), Some(rights)) = (email, rights) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "fields passed without email or rights"
        )));
    };
    let asked = Asked {
        email,
        phone,
        rights,
        details,
        california_resident,
        consent_id: consent,
        lang,
        gpc: post.intake.gpc,
    };

    let form = FormId::parse(FORM).expect("a valid id");
    let spam = post.judge(settings, &form, config.min_seconds);
    let spam = post
        .store(store, settings, Capture::counting_only())
        .await?
        .spam(spam);
    let now = post.at();
    let actor = post.actor();
    let note =
        |action, detail: String| Event::by(actor.clone(), Log::Requests, action, Some(detail), now);
    if let Some(reason) = spam {
        let reason = serde_json::to_value(reason).unwrap_or_default();
        store
            .note_many(note(
                Action::CapturedAsSpam,
                format!(
                    "privacy request not taken: {}",
                    reason.as_str().unwrap_or("spam")
                ),
            ))
            .await?;
    } else {
        take(store, config, &asked, actor.clone(), now).await?;
    }
    Ok(if post.intake.html {
        let lang = asked
            .lang
            .as_deref()
            .and_then(crate::texts::Texts::for_lang)
            .map_or("en", |t| t.lang);
        see_other(&format!("/privacy?sent=1&lang={lang}"))
    } else {
        json_response(
            StatusCode::ACCEPTED,
            &Answer {
                status: "check_your_email",
            },
        )
    })
}

/// The same request asked again while its link still works: re-sends the link at most once per
/// [`RESEND_MINUTES`] instead of opening another request. Answers whether it was one.
async fn again<K: Backend>(
    store: &Store<K>,
    config: &PrivacyConfig,
    asked: &Asked,
    email_pseudonym: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let Some(open) = store.latest_request(email_pseudonym).await? else {
        return Ok(false);
    };
    let same = open.status_at(now) == RequestStatus::Unverified
        && open.rights == asked.rights.as_slice()
        && open.phone.as_deref() == asked.phone.as_ref().map(|p| p.as_str());
    if !same {
        return Ok(false);
    }
    let due = open
        .verification_sent_at
        .is_none_or(|sent| sent.plus_seconds(RESEND_MINUTES * 60) <= now);
    let event = Event::by(
        actor.clone(),
        Log::Requests,
        Action::Updated,
        Some(
            if due {
                "asked again: link re-sent"
            } else {
                "asked again: link sent recently"
            }
            .into(),
        ),
        now,
    );
    if !due {
        store.note(&open.id, event).await?;
        return Ok(true);
    }
    let updated = store
        .update(
            RecordKind::DataRequest,
            &open.id,
            event,
            |r: &mut DataRequest| {
                let still = r.status_at(now) == RequestStatus::Unverified
                    && r.verification_sent_at
                        .is_none_or(|sent| sent.plus_seconds(RESEND_MINUTES * 60) <= now);
                if still {
                    r.verification_sent_at = Some(now);
                }
                still
            },
        )
        .await?;
    if let Updated::Changed(request) = updated {
        enqueue(store, mail::verification(&config.privacy, &request)?, now).await?;
    }
    Ok(true)
}

/// Stores the request (unless the mailbox asked too often today), puts its opt-outs in force and queues
/// the verification mail.
async fn take<K: Backend>(
    store: &Store<K>,
    config: &PrivacyConfig,
    asked: &Asked,
    actor: Actor,
    now: Timestamp,
) -> Result<(), ApiError> {
    let privacy = &config.privacy;
    let email_pseudonym = privacy.pseudonym(&asked.email.normalized());
    let day = (now.unix_millis() / 86_400_000).max(0) as u64;
    let event =
        |action, detail: String| Event::by(actor.clone(), Log::Requests, action, Some(detail), now);
    // The browser's signal reaches the person whether or not a new request is opened below.
    honour_browser(
        store,
        asked.consent_id.as_deref(),
        asked.gpc,
        &email_pseudonym,
        &actor,
        now,
    )
    .await?;
    if again(store, config, asked, &email_pseudonym, &actor, now).await? {
        return Ok(());
    }
    if store.count_request_ask(day, &email_pseudonym).await? > MAX_PER_MAILBOX_PER_DAY {
        store
            .note_many(event(
                Action::Refused,
                format!("privacy request not taken: more than {MAX_PER_MAILBOX_PER_DAY} for one mailbox today"),
            ))
            .await?;
        return Ok(());
    }
    // An unknown consent id is dropped without a word: the answer must not tell which ids exist.
    let consent_id = match &asked.consent_id {
        Some(id) if store.consent_exists(id).await? => Some(id.clone()),
        _ => None,
    };
    let rights = asked.rights.as_slice().to_vec();
    let mut request = DataRequest::asked(
        new_id(),
        rights.clone(),
        email_pseudonym,
        now,
        now.plus_seconds(privacy.verify_ttl_minutes * 60),
    );
    request.email = Some(asked.email.as_str().to_owned());
    request.phone = asked.phone.as_ref().map(|p| p.as_str().to_owned());
    request.phone_pseudonym = asked.phone.as_ref().map(|p| privacy.pseudonym(p.as_str()));
    request.details = asked.details.as_ref().map(|d| d.as_str().to_owned());
    request.california_resident = asked.california_resident;
    request.language = asked.lang.clone();
    request.consent_id = consent_id;
    request.verification_sent_at = Some(now);
    request.step(Step::Received, now, "visitor", None);
    if asked.rights.as_slice().iter().any(|r| r.is_opt_out()) {
        apply_opt_outs(store, &request, &actor, now).await?;
        request.step(Step::OptOutsApplied, now, "visitor", None);
        if asked.rights.only_opt_outs() {
            // Nothing left for anyone to decide: answered when asked.
            request.status = RequestStatus::Completed;
            request.fulfilled_at = Some(now);
            request.step(Step::Fulfilled, now, "system", None);
        }
    }
    // Composed before anything is written, so a mail that cannot be built leaves no half-taken request.
    let verification = mail::verification(privacy, &request)?;
    let names: Vec<&str> = rights.iter().map(|r| r.as_str()).collect();
    store
        .create_request(
            &request,
            event(
                Action::Captured,
                format!("received rights={}", names.join(",")),
            ),
        )
        .await?;
    for later in &request.timeline[1..] {
        store
            .note(
                &request.id,
                event(Action::Updated, later.step.as_str().to_owned()),
            )
            .await?;
    }
    enqueue(store, verification, now).await?;
    Ok(())
}
