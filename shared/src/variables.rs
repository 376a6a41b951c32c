//! Reading Spin variables once per component instance.

use crate::http::ApiError;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Reads the named variables; an undefined one is absent from the map.
pub async fn read(names: &[&str]) -> anyhow::Result<HashMap<String, String>> {
    let mut values = HashMap::new();
    for name in names {
        match spin_sdk::variables::get(name).await {
            Ok(value) => {
                values.insert((*name).to_owned(), value);
            }
            Err(spin_sdk::variables::Error::Undefined(_)) => {}
            Err(e) => anyhow::bail!("reading variable {name}: {e:?}"),
        }
    }
    Ok(values)
}

/// A component's configuration, built from its variables on the instance's first request and kept in
/// `cell` for the instance's lifetime (Spin reuses instances; variable values cannot change while the app
/// runs). `names` lists the variables in groups (the shared settings' and the component's own). A bad
/// value is a 500 whose cause is logged.
pub async fn load_once<T>(
    cell: &'static OnceLock<T>,
    names: &[&[&str]],
    build: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> anyhow::Result<T>,
) -> Result<&'static T, ApiError> {
    if let Some(config) = cell.get() {
        return Ok(config);
    }
    let values = read(&names.concat()).await?;
    let config = build(&|name| values.get(name).cloned())?;
    Ok(cell.get_or_init(|| config))
}
