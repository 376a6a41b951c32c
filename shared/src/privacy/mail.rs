//! The mails of a data-subject request: verification, acknowledgement, extension, denial, completion.
//! Each links the request's status page, so the person can always see where it stands.

use super::settings::PrivacySettings;
use super::{DataRequest, Outcome, deny_reason};
use crate::http::ApiError;
use crate::links::{PrivacyLink, PrivacyLinkKind};
use crate::mailer::Message;
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

fn rights_list(request: &DataRequest) -> String {
    request
        .rights
        .iter()
        .map(|r| format!("  - {}", r.as_str().replace('_', " ")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn date(at: Option<Timestamp>) -> String {
    at.map(|t| t.to_rfc3339()[..10].to_owned())
        .unwrap_or_else(|| "-".into())
}

fn compose(
    settings: &PrivacySettings,
    request: &DataRequest,
    subject: &str,
    text: &str,
) -> Result<Message, ApiError> {
    let to = request.email.as_deref().ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("request {} has no address", request.id))
    })?;
    Message::new(to, &settings.mail_from, subject, text)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("composing a privacy mail: {e:?}")))
}

/// Asks the person to confirm the request (or, for opt-outs only, tells them they are in effect).
pub fn verification(
    settings: &PrivacySettings,
    request: &DataRequest,
) -> Result<Message, ApiError> {
    let url = status_url(settings, request);
    let opt_outs = request.rights().as_slice().iter().any(|r| r.is_opt_out());
    let in_effect = if opt_outs {
        "Your opt-outs (no more marketing, restriction, no sale or sharing) are already in effect.\n\n"
    } else {
        ""
    };
    let text = if request.rights().only_opt_outs() {
        format!(
            "Hello,\n\nwe received your privacy request:\n\n{}\n\n{in_effect}Nothing else is needed from you. \
             You can see its status here:\n\n{url}\n",
            rights_list(request)
        )
    } else {
        format!(
            "Hello,\n\nwe received a privacy request for this address:\n\n{}\n\n{in_effect}To make sure it comes from you, \
             please confirm it here within {} minutes:\n\n{url}\n\nIf you did not ask for this, ignore this email and \
             nothing will happen.\n",
            rights_list(request),
            settings.verify_ttl_minutes
        )
    };
    compose(
        settings,
        request,
        "Please confirm your privacy request",
        &text,
    )
}

/// Confirms that a verified request is on the clock, with its due date.
pub fn acknowledgement(
    settings: &PrivacySettings,
    request: &DataRequest,
) -> Result<Message, ApiError> {
    let text = format!(
        "Hello,\n\nthank you for confirming your privacy request:\n\n{}\n\nWe received it on {} and will answer by {} \
         at the latest. You can see its status at any time here:\n\n{}\n",
        rights_list(request),
        date(request.received_at),
        date(request.due_at),
        status_url(settings, request)
    );
    compose(settings, request, "We received your privacy request", &text)
}

/// Tells the person the deadline was extended, and why.
pub fn extension(settings: &PrivacySettings, request: &DataRequest) -> Result<Message, ApiError> {
    let reason = request
        .extension
        .as_ref()
        .map(|e| e.reason.as_str())
        .unwrap_or_default();
    let text = format!(
        "Hello,\n\nwe need more time to answer your privacy request. The new deadline is {}.\n\nThe reason:\n\n{reason}\n\n\
         Status: {}\n",
        date(request.due_at),
        status_url(settings, request)
    );
    compose(
        settings,
        request,
        "Your privacy request: more time needed",
        &text,
    )
}

/// Tells the person the request was refused, why, and that they may complain.
pub fn denial(settings: &PrivacySettings, request: &DataRequest) -> Result<Message, ApiError> {
    let decision = request.decision.as_ref();
    let reason = decision
        .and_then(|d| d.reason.as_deref())
        .and_then(deny_reason)
        .unwrap_or_default();
    let text = decision.and_then(|d| d.text.as_deref()).unwrap_or_default();
    let body = format!(
        "Hello,\n\nwe cannot carry out your privacy request.\n\n{reason}\n\n{text}\n\nYou have the right to lodge a \
         complaint with a supervisory authority (GDPR Art. 77), in particular in the EU member state where you live \
         or work, and to seek a judicial remedy.\n\nStatus: {}\n",
        status_url(settings, request)
    );
    compose(settings, request, "Your privacy request", &body)
}

/// Tells the person what was done; for access, with the download link.
pub fn completion(
    settings: &PrivacySettings,
    request: &DataRequest,
    outcome: &Outcome,
    download: Option<&str>,
) -> Result<Message, ApiError> {
    let mut text = format!(
        "Hello,\n\nwe have answered your privacy request:\n\n{}\n\n",
        rights_list(request)
    );
    if let Some(url) = download {
        text.push_str(&format!(
            "Your data is ready to download until {} (a readable page, and JSON for other services):\n\n{url}\n\n",
            date(outcome.download_until)
        ));
    }
    if !outcome.erased.is_empty() {
        text.push_str(
            "Your data has been erased. We keep only a one-way code of your address on our do-not-contact \
             list, so that we never email you again unless you sign up anew.\n\n",
        );
    }
    for (kind, reason) in &outcome.kept {
        text.push_str(&format!(
            "Kept, because the law requires it: {kind} ({reason}).\n"
        ));
    }
    if outcome.rectified.is_some() {
        text.push_str("The corrections you asked for have been made.\n");
    }
    text.push_str(&format!("\nStatus: {}\n", status_url(settings, request)));
    compose(settings, request, "Your privacy request is complete", &text)
}
