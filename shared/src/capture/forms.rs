//! The website's forms (the `forms` variable, TOML): which contact fields and consent checkboxes each
//! form takes, which it requires, where a plain form post goes afterwards.

use super::contact::{ContactField, ContactFields};
use crate::domain::{ConsentId, FormId, FormKind, WebUrl};
use anyhow::{Context, bail};
use serde::Deserialize;
use std::collections::BTreeMap;

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

/// The newsletter lists (the `newsletter_lists` variable: ids, comma-separated; the first is the
/// default).
pub fn newsletter_lists(raw: &str) -> anyhow::Result<Vec<ConsentId>> {
    let lists = raw
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            ConsentId::parse(l)
                .map_err(|e| anyhow::anyhow!("variable newsletter_lists: {l:?} {}", e.message))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if lists.is_empty() {
        bail!("variable newsletter_lists must name at least one list");
    }
    Ok(lists)
}

/// Every form, by id.
#[derive(Debug, Clone, Default)]
pub struct Forms(BTreeMap<String, FormSpec>);

impl Forms {
    /// Reads the `forms` variable.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw: BTreeMap<String, RawForm> =
            toml::from_str(raw).context("variable forms is not valid TOML")?;
        let mut forms = BTreeMap::new();
        for (id, form) in raw {
            let spec = spec(&id, form).with_context(|| format!("variable forms: form {id:?}"))?;
            forms.insert(id, spec);
        }
        Ok(Self(forms))
    }

    pub fn get(&self, id: &FormId) -> Option<&FormSpec> {
        self.0.get(id.as_str())
    }

    /// Every form with its id, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FormSpec)> {
        self.0.iter().map(|(id, spec)| (id.as_str(), spec))
    }
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

fn spec(id: &str, form: RawForm) -> anyhow::Result<FormSpec> {
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
    if consents.iter().any(|c| c.as_str() == "id") {
        bail!(
            "consent \"id\" would be the field consent_id, which is the cookie banner's consent id"
        );
    }
    let required_consents = ids(form.required_consents)?;
    if let Some(stray) = required_consents.iter().find(|c| !consents.contains(c)) {
        bail!(
            "required consent {:?} is not among its consents",
            stray.as_str()
        );
    }
    let thank_you =
        WebUrl::parse(&form.thank_you).map_err(|e| anyhow::anyhow!("thank_you {}", e.message))?;
    Ok(FormSpec {
        kind: form.kind,
        contact,
        consents,
        required_consents,
        thank_you,
        min_seconds: form.min_seconds,
    })
}
