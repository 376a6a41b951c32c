//! Application variables and each component's view of them, resolved like Spin: explicit overrides (the
//! host API, for tests), then `SPIN_VARIABLE_<NAME>` environment variables, then manifest defaults; a
//! component sees only the names in its `[component.x.variables]`, rendered from their templates.

use crate::manifest::{Manifest, Part, parse_template};
use anyhow::{Result, bail};
use std::collections::{BTreeMap, HashMap};

/// How the app's variables get their values.
#[derive(Debug, Clone, Default)]
pub struct VariableSources {
    /// Highest priority: values given through the host API.
    pub overrides: HashMap<String, String>,
    /// Read `SPIN_VARIABLE_<UPPER_NAME>` from the environment (Spin's default env provider).
    pub env: bool,
    /// For the local run only: give a required *secret* variable with no value a random ephemeral value
    /// (with a loud warning) instead of failing app load as Spin does.
    pub ephemeral_secrets: bool,
}

/// Resolves every app variable, failing like Spin when a required one has no value.
pub fn resolve_app_variables(
    manifest: &Manifest,
    sources: &VariableSources,
) -> Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, var) in &manifest.variables {
        let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
        let value = sources
            .overrides
            .get(name)
            .cloned()
            .or_else(|| sources.env.then(|| std::env::var(&env_name).ok()).flatten())
            .or_else(|| var.default.clone());
        match value {
            Some(v) => {
                values.insert(name.clone(), v);
            }
            None if var.secret && sources.ephemeral_secrets => {
                eprintln!(
                    "WARNING: required secret variable {name:?} has no value; using a RANDOM EPHEMERAL \
                     value for this run only. Anything signed with it stops verifying on restart. \
                     Set {env_name} to keep it."
                );
                values.insert(name.clone(), random_hex(32)?);
            }
            None => missing.push(name.clone()),
        }
    }
    for name in sources.overrides.keys() {
        if !manifest.variables.contains_key(name) {
            bail!("override for {name:?}, which the manifest does not declare");
        }
    }
    if !missing.is_empty() {
        // Spin's wording (crates/expressions `ensure_required_variables_resolvable`).
        bail!("no provider resolved required variable(s): {missing:?}");
    }
    Ok(values)
}

/// A component's variables: name → rendered value.
pub fn component_variables(
    templates: &BTreeMap<String, String>,
    app: &BTreeMap<String, String>,
) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for (name, template) in templates {
        let mut value = String::new();
        for part in parse_template(template)? {
            match part {
                Part::Lit(l) => value.push_str(&l),
                Part::Var(v) => match app.get(&v) {
                    Some(s) => value.push_str(s),
                    None => bail!("unknown variable {v:?}"),
                },
            }
        }
        out.insert(name.clone(), value);
    }
    Ok(out)
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("getrandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
