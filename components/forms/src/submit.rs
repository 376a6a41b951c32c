//! `POST /api/forms/{form}`: store one form submission with IP, location, consent and spam verdict.

use crate::config::FormsConfig;
use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use serde::Serialize;
use shared::capture::{Offer, Post, lead_capture};
use shared::domain::FormId;
use shared::http::ApiError;
use shared::ids::new_id;
use shared::records::Submission;
use shared::store::{Backend, Log, RecordKind, Store};

#[derive(Serialize)]
struct Receipt<'a> {
    id: &'a str,
    status: &'static str,
}

pub async fn submit<K: Backend>(
    request: http::Request<Full<Bytes>>,
    config: &FormsConfig,
    store: &Store<K>,
    form: &str,
) -> Result<Response<String>, ApiError> {
    let form = FormId::parse(form).map_err(|_| ApiError::NotFound)?;
    let spec = config.form(&form).ok_or(ApiError::NotFound)?;
    let settings = &config.capture;
    let offer = Offer::Visit {
        consents: &spec.consents,
        required: &spec.required_consents,
    };
    let mut post = Post::read(request, settings, offer).await?;
    let contact = spec.contact.read(post.fields());
    post.finish()?;

    let spam = post.judge(settings, &form, spec.min_seconds);
    let id = new_id();
    let record = Submission::new(
        id.clone(),
        &form,
        spec.kind,
        post.at(),
        &contact,
        post.common.visit.clone(),
        post.origin(),
        post.common.consent.clone(),
        spam,
    );
    let event = post.event(Log::Submissions, spam, Some(form.as_str()));
    let capture = lead_capture(
        settings,
        &contact,
        RecordKind::Submission,
        &id,
        record,
        event,
    );
    let found = post.store(store, settings, capture).await?;
    post.honour_browser(store, settings, contact.email.as_ref(), found.spam(spam))
        .await;
    // A bot is answered exactly like a person, so it learns nothing from the reply.
    Ok(post.accepted(
        &spec.thank_you,
        &Receipt {
            id: &id,
            status: "received",
        },
    ))
}
