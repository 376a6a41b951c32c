//! Reading Spin variables once per component instance.

use std::collections::HashMap;

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
