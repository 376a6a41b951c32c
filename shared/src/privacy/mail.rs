//! The mails of a data-subject request: verification, acknowledgement, extension, denial, completion,
//! each in the request's language (`mail_texts`), from the privacy sender. Each links the request's
//! status page, so the person can always see where it stands.

use super::settings::PrivacySettings;
use super::{DataRequest, Outcome};
use crate::domain::Language;
use crate::http::ApiError;
use crate::links::{PrivacyLink, PrivacyLinkKind};
use crate::mailer::Message;
use crate::texts::MailKind;
use crate::time::Timestamp;

/// The link that verifies the request and later shows its status.
pub fn status_url(settings: &PrivacySettings, request: &DataRequest) -> String {
    let token = PrivacyLink {
        request: request.id.clone(),
        expires_at: request.verify_until,
    }
    .seal(&settings.keys, PrivacyLinkKind::Verify);
    format!("{}/privacy/verify/{token}", settings.public_base_url)
}

/// The access package's download link, valid until `until`.
pub fn download_url(settings: &PrivacySettings, request: &DataRequest, until: Timestamp) -> String {
    let token = PrivacyLink {
        request: request.id.clone(),
        expires_at: until,
    }
    .seal(&settings.keys, PrivacyLinkKind::Download);
    format!("{}/privacy/download/{token}", settings.public_base_url)
}

/// The language the request's mails and pages are written in.
pub fn language(settings: &PrivacySettings, request: &DataRequest) -> Language {
    settings.language(
        request
            .language
            .as_deref()
            .and_then(|l| Language::parse(l).ok()),
    )
}

/// The request's rights in people's words, one a line.
fn rights_list(settings: &PrivacySettings, request: &DataRequest) -> String {
    let language = language(settings, request);
    request
        .rights
        .iter()
        .map(|r| {
            let key = format!("right_{}", r.as_str());
            format!("  - {}", settings.texts.phrase(language, &key, &[]))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn date(at: Option<Timestamp>) -> String {
    at.map(|t| t.to_rfc3339()[..10].to_owned())
        .unwrap_or_else(|| "-".into())
}

/// Mail `kind` to the request's address in its language, with `values` and the status link `{url}`.
fn compose(
    settings: &PrivacySettings,
    request: &DataRequest,
    kind: MailKind,
    values: &[(&str, &str)],
) -> Result<Message, ApiError> {
    let to = request.email.as_deref().ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("request {} has no address", request.id))
    })?;
    let url = status_url(settings, request);
    let rights = rights_list(settings, request);
    let mut all = vec![("url", url.as_str()), ("rights", rights.as_str())];
    all.extend_from_slice(values);
    let mail = settings.texts.mail(language(settings, request), kind, &all);
    Message::new(to, &settings.mail_from, &mail.subject, &mail.body)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("composing a privacy mail: {e:?}")))
}

/// Asks the person to confirm the request (or, for opt-outs only, tells them they are in effect).
pub fn verification(
    settings: &PrivacySettings,
    request: &DataRequest,
) -> Result<Message, ApiError> {
    let opt_outs = request.rights().as_slice().iter().any(|r| r.is_opt_out());
    let in_effect = if opt_outs {
        let phrase = settings
            .texts
            .phrase(language(settings, request), "in_effect", &[]);
        format!("{phrase}\n\n")
    } else {
        String::new()
    };
    let minutes = settings.verify_ttl_minutes.to_string();
    let values = [("in_effect", in_effect.as_str()), ("minutes", &minutes)];
    let kind = if request.rights().only_opt_outs() {
        MailKind::PrivacyReceived
    } else {
        MailKind::PrivacyVerify
    };
    compose(settings, request, kind, &values)
}

/// Confirms that a verified request is on the clock, with its due date.
pub fn acknowledgement(
    settings: &PrivacySettings,
    request: &DataRequest,
) -> Result<Message, ApiError> {
    let (received, due) = (date(request.received_at), date(request.due_at));
    let values = [("received", received.as_str()), ("due", &due)];
    compose(settings, request, MailKind::PrivacyAcknowledgement, &values)
}

/// Tells the person the deadline was extended, and why.
pub fn extension(settings: &PrivacySettings, request: &DataRequest) -> Result<Message, ApiError> {
    let reason = request
        .extension
        .as_ref()
        .map(|e| e.reason.as_str())
        .unwrap_or_default();
    let due = date(request.due_at);
    let values = [("due", due.as_str()), ("reason", reason)];
    compose(settings, request, MailKind::PrivacyExtension, &values)
}

/// Tells the person the request was refused, why, and that they may complain.
pub fn denial(settings: &PrivacySettings, request: &DataRequest) -> Result<Message, ApiError> {
    let decision = request.decision.as_ref();
    let reason = decision
        .and_then(|d| d.reason.as_deref())
        .filter(|code| super::deny_reason(code).is_some())
        .map(|code| {
            let key = format!("deny_{code}");
            settings
                .texts
                .phrase(language(settings, request), &key, &[])
        })
        .unwrap_or_default();
    let text = decision.and_then(|d| d.text.as_deref()).unwrap_or_default();
    let values = [("reason", reason.as_str()), ("text", text)];
    compose(settings, request, MailKind::PrivacyDenial, &values)
}

/// Tells the person what was done; for access, with the download link.
pub fn completion(
    settings: &PrivacySettings,
    request: &DataRequest,
    outcome: &Outcome,
    download: Option<&str>,
) -> Result<Message, ApiError> {
    let language = language(settings, request);
    let phrase = |key: &str, values: &[(&str, &str)]| settings.texts.phrase(language, key, values);
    let mut details = Vec::new();
    if let Some(url) = download {
        let until = date(outcome.download_until);
        details.push(phrase(
            "completion_download",
            &[("until", &until), ("download_url", url)],
        ));
    }
    if !outcome.erased.is_empty() {
        details.push(phrase("completion_erased", &[]));
    }
    for (kind, reason) in &outcome.kept {
        details.push(phrase(
            "completion_kept",
            &[("kind", kind), ("reason", reason)],
        ));
    }
    if outcome.rectified.is_some() {
        details.push(phrase("completion_rectified", &[]));
    }
    // Each part is a paragraph of its own, before the status line.
    let details: String = details.iter().map(|p| format!("{p}\n\n")).collect();
    compose(
        settings,
        request,
        MailKind::PrivacyCompletion,
        &[("details", &details)],
    )
}
