//! `POST /api/forms/{form}`: store one form submission with IP, location, consent and spam verdict.

use crate::config::FormsConfig;
use http::Response;
use http_body::Body;
use serde::Serialize;
use shared::capture::{Intake, VisitFields, judge};
use shared::domain::FormId;
use shared::http::ApiError;
use shared::ids::new_id;
use shared::records::{Action, Actor, NetworkOrigin, Submission};
use shared::store::{Backend, Change, Log, RecordKind, Store};
use shared::tokens::Purpose;

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

    let now = intake.received_at;
    let window = settings.rate_limit.window_seconds;
    let window_number = (now.unix_millis() / 1000) as u64 / window;
    let client_key = settings.signing_key.sign(
        Purpose::RateLimitKey,
        &[intake.client.ip().to_string().as_bytes()],
    );
    if store.count_post(window_number, &client_key[..22]).await? > settings.rate_limit.max {
        let retry_after = (window_number + 1) * window - (now.unix_millis() / 1000) as u64;
        return Err(ApiError::RateLimited { retry_after });
    }

    let spam = judge(
        &settings.signing_key,
        &form,
        common.honeypot.as_deref(),
        common.render_token.as_deref(),
        spec.min_seconds,
        now,
    );
    let id = new_id();
    let origin = NetworkOrigin::of(&intake.client);
    let actor = Actor::Visitor {
        ip_truncated: origin.ip_truncated.clone(),
    };
    let record = Submission::new(
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
    store
        .append(Change {
            log: Log::Submissions,
            kind: RecordKind::Submission,
            id: &id,
            record: &record,
            action: if spam.is_some() {
                Action::CapturedAsSpam
            } else {
                Action::Captured
            },
            actor,
            detail: Some(form.as_str().to_owned()),
            at: now,
        })
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
