//! The forms component's configuration: the website's forms (the `forms` variable, TOML) and the
//! capture settings, read once per component instance.

use anyhow::bail;
use shared::capture::{CaptureSettings, FormSpec, Forms};
use shared::domain::FormId;

/// The variables this component reads besides the capture settings' (all granted in `spin.toml`).
pub const VARIABLES: [&str; 1] = ["forms"];

/// Everything the component needs to know.
#[derive(Debug)]
pub struct FormsConfig {
    pub capture: CaptureSettings,
    forms: Forms,
}

impl FormsConfig {
    pub fn from_variables(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let capture = CaptureSettings::from_variables(&get)?;
        let forms = Forms::parse(&get("forms").unwrap_or_default())?;
        for (id, spec) in forms.iter() {
            if !capture.redirect_allowed(&spec.thank_you) {
                bail!(
                    "variable forms: form {id:?}: thank_you {:?} is not on redirect_allow_list",
                    spec.thank_you.as_str()
                );
            }
        }
        Ok(Self { capture, forms })
    }

    pub fn form(&self, id: &FormId) -> Option<&FormSpec> {
        self.forms.get(id)
    }
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
    use shared::domain::FormKind;

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
