//! The forms component's configuration: the website's forms (the `forms` variable, TOML) and the
//! capture settings, read once per component instance.

use anyhow::{Context, bail};
use serde::Deserialize;
use shared::capture::{CaptureSettings, ContactField, ContactFields};
use shared::domain::{ConsentId, FormId, FormKind, WebUrl};
use std::collections::BTreeMap;

/// The variables this component reads besides the capture settings' (all granted in `spin.toml`).
pub const VARIABLES: [&str; 1] = ["forms"];

/// One website form.
#[derive(Debug, Clone)]
pub struct FormSpec {
    pub kind: FormKind,
    pub contact: ContactFields,
    pub consents: Vec<ConsentId>,
    pub required_consents: Vec<ConsentId>,
    pub thank_you: WebUrl,
    /// Seconds a person needs at least between rendering and posting; 0 turns the check off.
    pub min_seconds: u32,
}

/// Everything the component needs to know.
#[derive(Debug)]
pub struct FormsConfig {
    pub capture: CaptureSettings,
    forms: BTreeMap<String, FormSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    kind: FormKind,
    fields: Vec<ContactField>,
    #[serde(default)]
    required: Vec<ContactField>,
    #[serde(default)]
    consents: Vec<String>,
    #[serde(default)]
    required_consents: Vec<String>,
    thank_you: String,
    #[serde(default)]
    min_seconds: u32,
}

impl FormsConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let capture = CaptureSettings::from_variables(&get)?;
        let raw: BTreeMap<String, RawForm> = toml::from_str(&get("forms").unwrap_or_default())
            .context("variable forms is not valid TOML")?;
        let mut forms = BTreeMap::new();
        for (id, form) in raw {
            let spec = spec(&capture, &id, form)
                .with_context(|| format!("variable forms: form {id:?}"))?;
            forms.insert(id, spec);
        }
        Ok(Self { capture, forms })
    }

    pub fn form(&self, id: &FormId) -> Option<&FormSpec> {
        self.forms.get(id.as_str())
    }
}

fn spec(capture: &CaptureSettings, id: &str, form: RawForm) -> anyhow::Result<FormSpec> {
    FormId::parse(id).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let contact = ContactFields::new(form.fields, form.required)
        .map_err(|f| anyhow::anyhow!("required field {f:?} is not among its fields"))?;
    let ids = |list: Vec<String>| -> anyhow::Result<Vec<ConsentId>> {
        list.iter()
            .map(|c| {
                ConsentId::parse(c).map_err(|e| anyhow::anyhow!("consent {c:?} {}", e.message))
            })
            .collect()
    };
    let consents = ids(form.consents)?;
    let required_consents = ids(form.required_consents)?;
    if let Some(stray) = required_consents.iter().find(|c| !consents.contains(c)) {
        bail!(
            "required consent {:?} is not among its consents",
            stray.as_str()
        );
    }
    let thank_you =
        WebUrl::parse(&form.thank_you).map_err(|e| anyhow::anyhow!("thank_you {}", e.message))?;
    if !capture.redirect_allowed(&thank_you) {
        bail!(
            "thank_you {:?} is not on redirect_allow_list",
            thank_you.as_str()
        );
    }
    Ok(FormSpec {
        kind: form.kind,
        contact,
        consents,
        required_consents,
        thank_you,
        min_seconds: form.min_seconds,
    })
}

/// The configuration, read on the instance's first request and kept for its lifetime.
#[cfg(target_arch = "wasm32")]
pub async fn load() -> Result<&'static FormsConfig, shared::http::ApiError> {
    static CONFIG: std::sync::OnceLock<FormsConfig> = std::sync::OnceLock::new();
    shared::variables::load_once(&CONFIG, &[&CaptureSettings::VARIABLES, &VARIABLES], |get| {
        FormsConfig::from_variables(get)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(forms: &str) -> impl Fn(&str) -> Option<String> + '_ {
        move |name| {
            Some(match name {
                "signing_key" => "0123456789abcdef0123456789abcdef".into(),
                "suppression_key" => "fedcba9876543210fedcba9876543210".into(),
                "redirect_allow_list" => "https://www.example.com/".into(),
                "max_body_bytes" => "16384".into(),
                "rate_limit" => "20/600".into(),
                "forms" => forms.into(),
                _ => return None,
            })
        }
    }

    const CONTACT: &str = r#"
        [contact]
        kind = "contact"
        fields = ["name", "email", "message"]
        required = ["email"]
        consents = ["privacy_policy"]
        required_consents = ["privacy_policy"]
        thank_you = "https://www.example.com/thanks"
        min_seconds = 3
    "#;

    #[test]
    fn forms_are_read_from_toml() {
        let config = FormsConfig::from_variables(vars(CONTACT)).unwrap();
        let form = config.form(&FormId::parse("contact").unwrap()).unwrap();
        assert_eq!(form.kind, FormKind::Contact);
        assert_eq!(form.min_seconds, 3);
        assert!(config.form(&FormId::parse("other").unwrap()).is_none());
    }

    #[test]
    fn inconsistent_forms_are_refused_with_the_reason() {
        let cases = [
            (
                CONTACT.replace("required = [\"email\"]", "required = [\"phone\"]"),
                "required field",
            ),
            (
                CONTACT.replace(
                    "https://www.example.com/thanks",
                    "https://evil.example.net/",
                ),
                "redirect_allow_list",
            ),
            (
                CONTACT.replace("kind = \"contact\"", "kind = \"contact\"\nreligion = true"),
                "unknown field",
            ),
            (
                CONTACT.replace("fields = [\"name\"", "fields = [\"gender\""),
                "unknown variant",
            ),
        ];
        for (toml, reason) in cases {
            let err = FormsConfig::from_variables(vars(&toml)).unwrap_err();
            assert!(
                format!("{err:#}").contains(reason),
                "{err:#} should mention {reason}"
            );
        }
    }
}
