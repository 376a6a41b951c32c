//! The parts of a Spin manifest v2 (`spin.toml`) the test host needs: variables, HTTP triggers and the
//! components' sources, store grants, outbound grants and variable templates.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A parsed manifest, with component sources resolved against the manifest's directory (as Spin does).
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The directory holding the manifest: relative paths (sources, `.spin/`) are resolved against it.
    pub dir: PathBuf,
    pub name: String,
    pub variables: BTreeMap<String, Variable>,
    /// In manifest order; Spin keeps the last trigger of a duplicated route.
    pub http_triggers: Vec<HttpTrigger>,
    pub components: BTreeMap<String, Component>,
}

/// An application variable (`[variables]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub description: Option<String>,
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone)]
pub struct HttpTrigger {
    pub route: String,
    pub component: String,
}

/// One `[component.<id>]` table.
#[derive(Debug, Clone)]
pub struct Component {
    pub id: String,
    /// Absolute path of the `.wasm`.
    pub source: PathBuf,
    pub key_value_stores: Vec<String>,
    pub allowed_outbound_hosts: Vec<String>,
    /// `[component.<id>.variables]`: name → template such as `"{{ signing_key }}"`.
    pub variables: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, Variable>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Deserialize)]
struct RawApplication {
    name: String,
}

#[derive(Deserialize, Default)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
}

#[derive(Deserialize)]
struct RawHttpTrigger {
    route: toml::Value,
    component: String,
}

#[derive(Deserialize)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

impl Manifest {
    /// Reads and parses the manifest at `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading manifest {}", path.display()))?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        Self::parse(&text, &dir).with_context(|| format!("parsing manifest {}", path.display()))
    }

    /// Parses manifest text; `dir` is the directory relative paths are resolved against.
    pub fn parse(text: &str, dir: &Path) -> Result<Self> {
        let raw: RawManifest = toml::from_str(text)?;
        if raw.spin_manifest_version.as_integer() != Some(2)
            && raw.spin_manifest_version.as_str() != Some("2")
        {
            bail!("only spin_manifest_version = 2 is supported");
        }
        for (name, var) in &raw.variables {
            check_name(name)?;
            // Spin: a variable is either required or has a default, never both.
            if var.required && var.default.is_some() {
                bail!("variable {name:?}: a required variable cannot have a default");
            }
        }
        let mut http_triggers = Vec::new();
        for t in raw.trigger.http {
            let route = match t.route {
                toml::Value::String(s) => s,
                // `{ private = true }`: reachable only by service chaining, so never routed here.
                toml::Value::Table(ref tbl)
                    if tbl.get("private") == Some(&toml::Value::Boolean(true)) =>
                {
                    continue;
                }
                other => bail!("unsupported route {other}"),
            };
            if !raw.component.contains_key(&t.component) {
                bail!(
                    "trigger route {route:?} names unknown component {:?}",
                    t.component
                );
            }
            http_triggers.push(HttpTrigger {
                route,
                component: t.component,
            });
        }
        let mut components = BTreeMap::new();
        for (id, c) in raw.component {
            let source = match c.source {
                toml::Value::String(s) => dir.join(s),
                other => {
                    bail!("component {id:?}: only local file sources are supported, got {other}")
                }
            };
            for (name, template) in &c.variables {
                check_name(name)?;
                for var in template_vars(template)? {
                    if !raw.variables.contains_key(&var) {
                        // Spin's expressions crate: "unknown variable" at app load.
                        bail!("component {id:?} variable {name:?}: unknown variable {var:?}");
                    }
                }
            }
            components.insert(
                id.clone(),
                Component {
                    id,
                    source,
                    key_value_stores: c.key_value_stores,
                    allowed_outbound_hosts: c.allowed_outbound_hosts,
                    variables: c.variables,
                },
            );
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            name: raw.application.name,
            variables: raw.variables,
            http_triggers,
            components,
        })
    }
}

/// A piece of a variable template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Var(String),
}

/// Splits `"a {{ b }} c"` into literal and variable parts (Spin's template syntax).
pub fn parse_template(template: &str) -> Result<Vec<Part>> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Lit(rest[..start].to_owned()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .with_context(|| format!("unterminated expression in template {template:?}"))?;
        let name = after[..end].trim();
        check_name(name)?;
        parts.push(Part::Var(name.to_owned()));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Lit(rest.to_owned()));
    }
    Ok(parts)
}

fn check_name(name: &str) -> Result<()> {
    validate_variable_name(name).map_err(|e| anyhow::anyhow!("invalid variable name: {e}"))
}

fn template_vars(template: &str) -> Result<Vec<String>> {
    Ok(parse_template(template)?
        .into_iter()
        .filter_map(|p| match p {
            Part::Var(v) => Some(v),
            Part::Lit(_) => None,
        })
        .collect())
}

/// Spin's variable-name rule (crates/expressions `Key::validate`): lower-case ASCII letters, digits and
/// single underscores, starting with a letter and ending with a letter or digit; and the manifest's rule
/// for snake-case ids: every `_`-separated word starts with a letter (`hosts_2` is refused).
pub fn validate_variable_name(key: &str) -> Result<(), String> {
    if key.is_empty() {
        Err("must not be empty".to_string())
    } else if let Some(invalid) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        Err(format!(
            "invalid character {invalid:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        ))
    } else if !key.as_bytes()[0].is_ascii_lowercase() {
        Err("must start with a lowercase ASCII letter".to_string())
    } else if !key.as_bytes()[key.len() - 1].is_ascii_alphanumeric() {
        Err("must end with a lowercase ASCII letter or digit".to_string())
    } else if key.contains("__") {
        Err("must not contain multiple consecutive underscores".to_string())
    } else if key
        .split('_')
        .any(|word| !word.starts_with(|c: char| c.is_ascii_alphabetic()))
    {
        // The manifest's own rule for snake-case ids (spin-manifest `SnakeId`), which `[variables]` keys are.
        Err("'_'-separated words must start with an ASCII letter".to_string())
    } else {
        Ok(())
    }
    .map_err(|reason| format!("{key:?}: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_literals_and_variables() {
        assert_eq!(
            parse_template("a {{ b }}-{{c}}").unwrap(),
            vec![
                Part::Lit("a ".into()),
                Part::Var("b".into()),
                Part::Lit("-".into()),
                Part::Var("c".into())
            ]
        );
    }

    #[test]
    fn variable_names_follow_spins_rules_as_spin_4_1_was_seen_to_apply_them() {
        for good in ["signing_key", "webhook_allowed_hosts_b", "mail2_from", "k"] {
            assert!(validate_variable_name(good).is_ok(), "{good}");
        }
        // `webhook_allowed_hosts_2` was refused by Spin 4.1 at load: "'_'-separated words must start with
        // an ASCII letter".
        for bad in [
            "webhook_allowed_hosts_2",
            "Key",
            "2key",
            "a__b",
            "a_",
            "a-b",
        ] {
            assert!(validate_variable_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_project_manifest_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spin.toml");
        let m = Manifest::load(&path).unwrap();
        assert!(m.components.contains_key("forms"));
        assert!(m.variables["signing_key"].required);
    }
}
