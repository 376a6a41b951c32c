//! What the health probes ask of the store: whether it answers a read in time, whether it takes a
//! write, and which backend it is. Nothing here is registered or names anyone.

use super::backend::{Backend, Flavour};
use super::core::{Store, StoreError};
use super::keys::Key;
use crate::time::Timestamp;

impl<B: Backend> Store<B> {
    /// Readiness: reads the backend probe within `millis`, and only then (a write cannot be timed
    /// out, so it waits for a store that answered) creates the probe if it is new and writes the
    /// health probe key. Answers the backend's name.
    pub async fn ready_within(
        &self,
        millis: u64,
        at: Timestamp,
    ) -> Result<&'static str, StoreError> {
        let probe = Key::BackendProbe.to_string();
        let bytes = match self.backend.get_within(&probe, millis).await? {
            Some(bytes) => bytes,
            None => {
                self.backend.increment(&probe, 0).await?;
                self.backend.get(&probe).await?.unwrap_or_default()
            }
        };
        let stamp = serde_json::to_vec(&at).map_err(StoreError::Encode)?;
        self.backend
            .set_many(vec![(Key::HealthProbe.to_string(), stamp)])
            .await?;
        Ok(Flavour::name_of_zero_counter(&bytes))
    }

    /// Liveness: one read within `millis`, nothing written.
    pub async fn live_within(&self, millis: u64) -> Result<(), StoreError> {
        self.backend
            .get_within(&Key::HealthProbe.to_string(), millis)
            .await?;
        Ok(())
    }
}
