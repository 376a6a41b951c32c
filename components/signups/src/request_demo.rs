//! `POST /api/demo`: a demo request, stored as a lead with status `requested` for marketing to follow up.

use crate::config::SignupsConfig;
use http::Response;
use http_body::Body;
use serde::Serialize;
use shared::capture::{
    ContactField, ContactFields, Intake, Screening, VisitFields, do_not_contact, screen,
};
use shared::domain::{ConsentId, FormId, PreferredTime};
use shared::http::ApiError;
use shared::ids::new_id;
use shared::records::{Action, Actor, DemoRequest, DemoStatus, NetworkOrigin, SCHEMA_VERSION};
use shared::store::{Backend, Event, Log, RecordKind, Store};

/// The render-token form id of the demo request.
pub const FORM: &str = "demo";
const CONSENTS: [&str; 3] = ["privacy_policy", "marketing_email", "phone_contact"];
const REQUIRED_CONSENTS: [&str; 1] = ["privacy_policy"];

#[derive(Serialize)]
struct Receipt<'a> {
    id: &'a str,
    status: DemoStatus,
}

pub async fn request_demo<B, K>(
    request: http::Request<B>,
    config: &SignupsConfig,
    store: &Store<K>,
) -> Result<Response<String>, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    K: Backend,
{
    use ContactField::*;
    let settings = &config.capture;
    let mut intake = Intake::read(request, settings).await?;
    let ids = |list: &[&str]| {
        list.iter()
            .map(|c| ConsentId::parse(c).expect("a valid id"))
            .collect::<Vec<_>>()
    };
    let common = VisitFields::read(
        &mut intake,
        settings,
        &ids(&CONSENTS),
        &ids(&REQUIRED_CONSENTS),
    );
    let fields = ContactFields::new(
        vec![Name, Email, Company, Title, Phone, Country, Message],
        vec![Name, Email, Company],
    )
    .expect("required fields are offered");
    let contact = fields.read(&mut intake.fields);
    let preferred_time = intake
        .fields
        .optional("preferred_time", PreferredTime::parse);
    intake.fields.finish()?;

    let form = FormId::parse(FORM).expect("a valid id");
    let screening = Screening {
        form: &form,
        honeypot: common.honeypot.as_deref(),
        render_token: common.render_token.as_deref(),
        min_seconds: config.min_submit_seconds(),
    };
    let spam = screen(store, settings, &intake, screening).await?;
    let now = intake.received_at;
    let id = new_id();
    let origin = NetworkOrigin::of(&intake.client);
    let actor = Actor::Visitor {
        ip_truncated: origin.ip_truncated.clone(),
    };
    let record = DemoRequest {
        v: SCHEMA_VERSION,
        id: id.clone(),
        received_at: now,
        status: DemoStatus::Requested,
        free_mail: contact
            .email
            .as_ref()
            .is_some_and(|e| config.is_free_mail(e)),
        contact: (&contact).into(),
        preferred_time: preferred_time.map(|p| p.as_str().to_owned()),
        visit: common.visit,
        origin,
        consent: common.consent,
        spam,
        do_not_contact: do_not_contact(store, settings, &contact).await?,
    };
    let action = if spam.is_some() {
        Action::CapturedAsSpam
    } else {
        Action::Captured
    };
    let event = Event {
        log: Log::DemoRequests,
        action,
        actor,
        detail: None,
        at: now,
    };
    store
        .append(RecordKind::DemoRequest, &id, &record, event)
        .await?;
    let thank_you = common.next.as_ref().unwrap_or(&config.demo_thank_you);
    Ok(intake.accepted(
        thank_you,
        &Receipt {
            id: &id,
            status: DemoStatus::Requested,
        },
    ))
}
