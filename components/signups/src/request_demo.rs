//! `POST /api/demo`: a demo request, stored as a lead with status `requested` for marketing to follow up.

use crate::config::SignupsConfig;
use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use serde::Serialize;
use shared::capture::{ContactField, ContactFields, Offer, Post, lead_capture};
use shared::domain::{ConsentId, FormId, PreferredTime};
use shared::http::ApiError;
use shared::ids::new_id;
use shared::records::{DemoRequest, DemoStatus, SCHEMA_VERSION};
use shared::store::{Backend, Log, RecordKind, Store};

/// The render-token form id of the demo request.
pub const FORM: &str = "demo";
const CONSENTS: [&str; 3] = ["privacy_policy", "marketing_email", "phone_contact"];
const REQUIRED_CONSENTS: [&str; 1] = ["privacy_policy"];

#[derive(Serialize)]
struct Receipt<'a> {
    id: &'a str,
    status: DemoStatus,
}

pub async fn request_demo<K: Backend>(
    request: http::Request<Full<Bytes>>,
    config: &SignupsConfig,
    store: &Store<K>,
) -> Result<Response<String>, ApiError> {
    use ContactField::*;
    let settings = &config.capture;
    let ids = |list: &[&str]| {
        list.iter()
            .map(|c| ConsentId::parse(c).expect("a valid id"))
            .collect::<Vec<_>>()
    };
    let offer = Offer::Visit {
        consents: &ids(&CONSENTS),
        required: &ids(&REQUIRED_CONSENTS),
    };
    let mut post = Post::read(request, settings, offer).await?;
    let fields = ContactFields::new(
        vec![Name, Email, Company, Title, Phone, Country, Message],
        vec![Name, Email, Company],
    )
    .expect("required fields are offered");
    let contact = fields.read(post.fields());
    let preferred_time = post
        .fields()
        .optional("preferred_time", PreferredTime::parse);
    post.finish()?;

    let form = FormId::parse(FORM).expect("a valid id");
    let spam = post.judge(settings, &form, config.min_submit_seconds());
    let id = new_id();
    let record = DemoRequest {
        v: SCHEMA_VERSION,
        id: id.clone(),
        received_at: post.at(),
        status: DemoStatus::Requested,
        free_mail: contact
            .email
            .as_ref()
            .is_some_and(|e| config.is_free_mail(e)),
        contact: (&contact).into(),
        preferred_time: preferred_time.map(|p| p.as_str().to_owned()),
        visit: post.common.visit.clone(),
        origin: post.origin(),
        consent: post.common.consent.clone(),
        spam,
        do_not_contact: Vec::new(),
    };
    let event = post.event(Log::DemoRequests, spam, None);
    let capture = lead_capture(
        settings,
        &contact,
        RecordKind::DemoRequest,
        &id,
        record,
        event,
    );
    let found = post.store(store, settings, capture).await?;
    post.honour_browser(store, settings, contact.email.as_ref(), found.spam(spam))
        .await;
    Ok(post.accepted(
        &config.demo_thank_you,
        &Receipt {
            id: &id,
            status: DemoStatus::Requested,
        },
    ))
}
