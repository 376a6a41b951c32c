//! `POST /api/opt-out/phone`: anyone may ask not to be called. The number goes on the do-not-contact
//! registry as a pseudonym, which survives the erasure of everything else about the person.

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use serde::Serialize;
use shared::capture::{CaptureSettings, Offer, Post};
use shared::domain::{FormId, PhoneNumber};
use shared::http::ApiError;
use shared::records::OptOutSource;
use shared::store::{Backend, Capture, Channel, Log, Store};

/// The render-token form id of the do-not-call form (no minimum time: it is one field).
pub const FORM: &str = "do-not-call";

#[derive(Serialize)]
struct Answer {
    status: &'static str,
}

pub async fn do_not_call<K: Backend>(
    request: http::Request<Full<Bytes>>,
    settings: &CaptureSettings,
    store: &Store<K>,
) -> Result<Response<String>, ApiError> {
    let mut post = Post::read(request, settings, Offer::Bare).await?;
    let phone = post.fields().required("phone", PhoneNumber::parse);
    post.finish()?;
    let phone = phone.expect("a required field is present once finish() passed");
    let form = FormId::parse(FORM).expect("a valid id");
    let pseudonym = settings.pseudonym(phone.as_str());
    let spam = post.judge(settings, &form, 0);
    post.store(store, settings, Capture::counting_only())
        .await?;
    if spam.is_some() {
        // A bot's opt-out would block calls to a number nobody asked about: registered, not applied.
        store
            .note(
                &Channel::Phone.opt_out_id(&pseudonym),
                post.event(Log::OptOuts, spam, None),
            )
            .await?;
    } else {
        store
            .opt_out(
                Channel::Phone,
                &pseudonym,
                OptOutSource::DoNotCallRequest,
                post.actor(),
                post.at(),
            )
            .await?;
    }
    match &post.common.next {
        Some(url) => Ok(post.accepted(url, &Answer { status: "recorded" })),
        None if post.intake.html => Ok(shared::http::page(
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
