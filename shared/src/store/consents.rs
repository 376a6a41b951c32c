//! Cookie-consent decisions: each id's history, numbered without gaps, written by group commit.

use super::backend::Backend;
use super::capture::{Capture, Captured, Write};
use super::core::{Store, StoreError, decode};
use super::keys::Key;
use crate::records::{ConsentDecision, ConsentLink, Event, SCHEMA_VERSION};
use crate::time::Timestamp;
use serde::de::DeserializeOwned;

impl<B: Backend> Store<B> {
    /// Whether consent id `id` was ever issued (its first decision exists).
    pub async fn consent_exists(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .backend
            .get(&Key::ConsentHistoryEntry(id, 1).to_string())
            .await?
            .is_some())
    }

    /// Appends `decision` to its id's history and to the `consents` log, together with the other posts
    /// in flight in this instance (group commit). A new id's first decision is number 1 without
    /// touching a counter (nobody else knows the id yet); a later decision takes its number from the
    /// id's own counter first, so concurrent decisions for one id all land, numbered without gaps.
    pub async fn record_consent(
        &self,
        decision: &mut ConsentDecision,
        first: bool,
        event: Event,
    ) -> Result<u64, StoreError> {
        let id = decision.consent_id.clone();
        decision.n = if first {
            1
        } else {
            let later = self
                .backend
                .increment(&Key::ConsentHistoryHead(&id).to_string(), 1)
                .await?;
            u64::try_from(later).unwrap_or_default() + 1
        };
        let event = Event {
            detail: Some(format!("decision {}", decision.n)),
            ..event
        };
        let write = Write::consent(decision, event)?;
        match self
            .capture(Capture::writing(move |_| Ok(vec![write])))
            .await?
        {
            Captured::Stored(_) => Ok(decision.n),
            Captured::RateLimited => Err(StoreError::Conflict("a decision has no rate limit")),
        }
    }

    /// Every decision of consent id `id`, newest first: one counter read and one batch read, O(history).
    /// A number whose decision is still being written is left out.
    pub async fn consent_history(&self, id: &str) -> Result<Vec<ConsentDecision>, StoreError> {
        let later = self
            .backend
            .increment(&Key::ConsentHistoryHead(id).to_string(), 0)
            .await?;
        let count = u64::try_from(later).unwrap_or_default() + 1;
        let keys: Vec<String> = (1..=count)
            .rev()
            .map(|n| Key::ConsentHistoryEntry(id, n).to_string())
            .collect();
        let values = self.read_many(keys.clone()).await?;
        keys.iter()
            .zip(values)
            .filter_map(|(key, value)| value.map(|bytes| decode(key, &bytes)))
            .collect()
    }

    /// Consent decisions by (consent id, decision number), in one batch read, in the order asked.
    pub async fn consent_decisions<R: DeserializeOwned>(
        &self,
        wanted: &[(&str, u64)],
    ) -> Result<Vec<Option<R>>, StoreError> {
        let keys: Vec<String> = wanted
            .iter()
            .map(|(id, n)| Key::ConsentHistoryEntry(id, *n).to_string())
            .collect();
        self.get_decoded(keys).await
    }

    /// The newest decision of consent id `id` that is written: one counter read and a read of the top
    /// two numbers (the newest may still be being written).
    pub async fn latest_consent(&self, id: &str) -> Result<Option<ConsentDecision>, StoreError> {
        let later = self
            .backend
            .increment(&Key::ConsentHistoryHead(id).to_string(), 0)
            .await?;
        let top = u64::try_from(later).unwrap_or_default() + 1;
        let wanted: Vec<(&str, u64)> = [top, top - 1]
            .into_iter()
            .filter(|n| *n >= 1)
            .map(|n| (id, n))
            .collect();
        let found: Vec<Option<ConsentDecision>> = self.consent_decisions(&wanted).await?;
        Ok(found.into_iter().flatten().next())
    }

    /// Notes that consent id `id` was sent with the person `pseudonym`, once: a claim on the pair, then
    /// (the first time) one counter increment and one write, so a browser that posts often does not
    /// grow its list.
    pub async fn link_consent(
        &self,
        id: &str,
        pseudonym: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let pair = format!("{id}:{pseudonym}");
        let claim = Key::Claim("consent-link", &pair).to_string();
        if self.backend.increment(&claim, 1).await? != 1 {
            return Ok(());
        }
        let n = self
            .backend
            .increment(&Key::ConsentLinkHead(id).to_string(), 1)
            .await?;
        let link = ConsentLink {
            v: SCHEMA_VERSION,
            pseudonym: pseudonym.to_owned(),
            at,
        };
        let bytes = serde_json::to_vec(&link).map_err(StoreError::Encode)?;
        let key = Key::ConsentLinkEntry(id, u64::try_from(n).unwrap_or_default()).to_string();
        Ok(self.backend.set_many(vec![(key, bytes)]).await?)
    }

    /// The people (email pseudonyms) consent id `id` was sent with, each once.
    pub async fn consent_links(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let head = self
            .backend
            .increment(&Key::ConsentLinkHead(id).to_string(), 0)
            .await?;
        let keys: Vec<String> = (1..=u64::try_from(head).unwrap_or_default())
            .map(|n| Key::ConsentLinkEntry(id, n).to_string())
            .collect();
        let links: Vec<Option<ConsentLink>> = self.get_decoded(keys).await?;
        let mut people: Vec<String> = links.into_iter().flatten().map(|l| l.pseudonym).collect();
        people.sort();
        people.dedup();
        Ok(people)
    }
}
