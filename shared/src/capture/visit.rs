//! Reading the fields every capture post may carry besides its own ([`VisitFields`]), after the
//! intake and before the endpoint reads its own.

use super::intake::Intake;
use super::settings::CaptureSettings;
use super::spam::{HONEYPOT_FIELD, RENDER_TOKEN_FIELD};
use crate::body::FieldReader;
use crate::domain::{
    ConsentChoices, ConsentId, Language, PolicyVersion, TextHash, UtmValue, WebUrl, parse_banner_id,
};
use crate::records::{ConsentSnapshot, VisitContext};

const UTM_FIELDS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// The fields every capture post may carry besides its own: where the visit came from, what consent
/// text was shown and which boxes were ticked, the spam controls and an optional thank-you URL.
pub struct VisitFields {
    pub visit: VisitContext,
    pub consent: ConsentSnapshot,
    pub honeypot: Option<String>,
    pub render_token: Option<String>,
    pub next: Option<WebUrl>,
    /// The cookie banner's consent id, linking the browser to the person the post names (see
    /// [`super::honour_browser`]).
    pub consent_id: Option<String>,
}

impl VisitFields {
    /// Reads the common fields. A checkbox in `required_consents` left unticked is a field error;
    /// a checkbox not offered is an unknown field.
    pub fn read(
        intake: &mut Intake,
        settings: &CaptureSettings,
        offered: &[ConsentId],
        required_consents: &[ConsentId],
    ) -> Self {
        let browser = intake
            .accept_language
            .as_deref()
            .and_then(Language::preferred);
        let fields = &mut intake.fields;
        let language = fields.optional("language", Language::parse).or(browser);
        let page_url = fields.optional("page_url", WebUrl::parse);
        let referrer = fields.optional("referrer", WebUrl::parse);
        let utm: Vec<(&'static str, UtmValue)> = UTM_FIELDS
            .iter()
            .filter_map(|name| fields.optional(name, UtmValue::parse).map(|v| (*name, v)))
            .collect();
        let policy_version = fields.optional("consent_policy_version", PolicyVersion::parse);
        let text_hash = fields.optional("consent_text_hash", TextHash::parse);
        let mut ticked = Vec::new();
        for id in offered {
            let name = format!("consent_{}", id.as_str());
            if fields.tick(&name) == Some(true) {
                ticked.push(id.clone());
            }
        }
        let choices = ConsentChoices::from_ticked(offered, |id| ticked.contains(id));
        for id in required_consents {
            if !choices.granted(id) {
                fields.reject(
                    &format!("consent_{}", id.as_str()),
                    "consent_required",
                    "must be accepted",
                );
            }
        }
        if !offered.is_empty() && policy_version.is_none() {
            fields.reject(
                "consent_policy_version",
                "required",
                "is required with consent checkboxes",
            );
        }
        let next = read_next(fields, settings);
        let consent_id = fields.optional("consent_id", parse_banner_id);
        let visit = VisitContext {
            language: language.map(|l| l.as_str().to_owned()),
            ..VisitContext::new(
                page_url.as_ref(),
                referrer.as_ref(),
                &utm,
                intake.user_agent.as_deref(),
            )
        };
        Self {
            visit,
            consent: ConsentSnapshot::new(
                policy_version.as_ref(),
                text_hash.as_ref(),
                &choices,
                intake.gpc,
            ),
            honeypot: fields.raw(HONEYPOT_FIELD),
            render_token: fields.raw(RENDER_TOKEN_FIELD),
            next,
            consent_id,
        }
    }

    /// The spam controls only, and `_next` when `next` gives the settings to check it against.
    pub(super) fn bare(intake: &mut Intake, next: Option<&CaptureSettings>) -> Self {
        let fields = &mut intake.fields;
        let next = next.and_then(|settings| read_next(fields, settings));
        Self {
            visit: Default::default(),
            consent: Default::default(),
            honeypot: fields.raw(HONEYPOT_FIELD),
            render_token: fields.raw(RENDER_TOKEN_FIELD),
            next,
            consent_id: None,
        }
    }
}

/// The optional `_next` field: where to send the browser afterwards, if it is on the allow-list.
fn read_next(fields: &mut FieldReader, settings: &CaptureSettings) -> Option<WebUrl> {
    let next = fields.optional("_next", WebUrl::parse);
    if let Some(url) = &next
        && !settings.redirect_allowed(url)
    {
        fields.reject(
            "_next",
            "redirect_not_allowed",
            "is not on the redirect allow-list",
        );
    }
    next
}
