//! `POST /api/forms/{form}`: store one form submission with IP, location, consent and spam verdict.

use crate::config::FormsConfig;
use http::Response;
use http_body::Body;
use serde::Serialize;
use shared::capture::{Intake, Screening, VisitFields, do_not_contact, screen};
use shared::domain::FormId;
use shared::http::ApiError;
use shared::ids::new_id;
use shared::records::{Action, Actor, NetworkOrigin, Submission};
use shared::store::{Backend, Event, Log, RecordKind, Store};

#[derive(Serialize)]
struct Receipt<'a> {
    id: &'a str,
    status: &'static str,
}

pub async fn submit<B, K>(
    request: http::Request<B>,
    config: &FormsConfig,
    store: &Store<K>,
    form: &str,
) -> Result<Response<String>, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    K: Backend,
{
    let form = FormId::parse(form).map_err(|_| ApiError::NotFound)?;
    let spec = config.form(&form).ok_or(ApiError::NotFound)?;
    let settings = &config.capture;
    let mut intake = Intake::read(request, settings).await?;
    let common = VisitFields::read(
        &mut intake,
        settings,
        &spec.consents,
        &spec.required_consents,
    );
    let contact = spec.contact.read(&mut intake.fields);
    intake.fields.finish()?;

    let spam = screen(
        store,
        settings,
        &intake,
        Screening {
            form: &form,
            honeypot: common.honeypot.as_deref(),
            render_token: common.render_token.as_deref(),
            min_seconds: spec.min_seconds,
        },
    )
    .await?;
    let now = intake.received_at;
    let id = new_id();
    let origin = NetworkOrigin::of(&intake.client);
    let actor = Actor::Visitor {
        ip_truncated: origin.ip_truncated.clone(),
    };
    let mut record = Submission::new(
        id.clone(),
        &form,
        spec.kind,
        now,
        &contact,
        common.visit,
        origin,
        common.consent,
        spam,
    );
    record.do_not_contact = do_not_contact(store, settings, &contact).await?;
    let event = Event {
        log: Log::Submissions,
        action: if spam.is_some() {
            Action::CapturedAsSpam
        } else {
            Action::Captured
        },
        actor,
        detail: Some(form.as_str().to_owned()),
        at: now,
    };
    store
        .append(RecordKind::Submission, &id, &record, event)
        .await?;
    // A bot is answered exactly like a person, so it learns nothing from the reply.
    let thank_you = common.next.as_ref().unwrap_or(&spec.thank_you);
    Ok(intake.accepted(
        thank_you,
        &Receipt {
            id: &id,
            status: "received",
        },
    ))
}
