//! `POST /api/opt-out/phone`: anyone may ask not to be called. The number goes on the do-not-contact
//! registry as a pseudonym, which survives the erasure of everything else about the person.

use http::Response;
use http_body::Body;
use serde::Serialize;
use shared::capture::{CaptureSettings, Intake, Screening, screen};
use shared::domain::{FormId, PhoneNumber};
use shared::http::ApiError;
use shared::records::{Action, Actor, OptOutSource};
use shared::store::{Backend, Channel, Event, Log, Store};

/// The render-token form id of the do-not-call form (no minimum time: it is one field).
pub const FORM: &str = "do-not-call";

#[derive(Serialize)]
struct Answer {
    status: &'static str,
}

pub async fn do_not_call<B, K>(
    request: http::Request<B>,
    settings: &CaptureSettings,
    store: &Store<K>,
) -> Result<Response<String>, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    K: Backend,
{
    let mut intake = Intake::read(request, settings).await?;
    let phone = intake.fields.required("phone", PhoneNumber::parse);
    let next = intake
        .fields
        .optional("_next", shared::domain::WebUrl::parse);
    let honeypot = intake.fields.raw(shared::capture::HONEYPOT_FIELD);
    if let Some(url) = &next
        && !settings.redirect_allowed(url)
    {
        intake.fields.reject(
            "_next",
            "redirect_not_allowed",
            "is not on the redirect allow-list",
        );
    }
    intake.fields.finish()?;
    let phone = phone.expect("a required field is present once finish() passed");
    let form = FormId::parse(FORM).expect("a valid id");
    let screening = Screening {
        form: &form,
        honeypot: honeypot.as_deref(),
        render_token: None,
        min_seconds: 0,
    };
    let actor = Actor::Visitor {
        ip_truncated: intake.client.truncated().to_string(),
    };
    let pseudonym = settings.pseudonym(phone.as_str());
    let at = intake.received_at;
    if screen(store, settings, &intake, screening).await?.is_some() {
        // A bot's opt-out would block calls to a number nobody asked about: registered, not applied.
        let event = Event {
            log: Log::OptOuts,
            action: Action::CapturedAsSpam,
            actor,
            detail: None,
            at,
        };
        store
            .note(&Channel::Phone.opt_out_id(&pseudonym), event)
            .await?;
    } else {
        store
            .opt_out(
                Channel::Phone,
                &pseudonym,
                OptOutSource::DoNotCallRequest,
                actor,
                at,
            )
            .await?;
    }
    match next {
        Some(url) => Ok(intake.accepted(&url, &Answer { status: "recorded" })),
        None if intake.html => Ok(shared::http::page(
            http::StatusCode::OK,
            "We will not call you",
            "<p>Your number is on our do-not-call list.</p>",
        )),
        None => Ok(shared::http::json_response(
            http::StatusCode::CREATED,
            &Answer { status: "recorded" },
        )),
    }
}
