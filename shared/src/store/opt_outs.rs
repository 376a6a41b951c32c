//! The do-not-contact registry: opt-outs by channel and pseudonym, which survive erasure.

use super::backend::Backend;
use super::core::{Store, StoreError};
use super::log::Updated;
use crate::records::{
    Action, Actor, Channel, Event, Log, OptOut, OptOutSource, RecordKind, SCHEMA_VERSION, notes,
};
use crate::time::Timestamp;

impl<B: Backend> Store<B> {
    /// Puts `pseudonym` on the do-not-contact registry for `channel`, or puts a lifted entry back in
    /// force. Answers whether anything changed (repeating an opt-out is a no-op).
    pub async fn opt_out(
        &self,
        channel: Channel,
        pseudonym: &str,
        source: OptOutSource,
        actor: Actor,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let id = channel.opt_out_id(pseudonym);
        let entry = OptOut {
            v: SCHEMA_VERSION,
            id: id.clone(),
            channel,
            at,
            source,
            lifted_at: None,
        };
        let event = |action, detail: Option<&str>| {
            Event::by(
                actor.clone(),
                Log::OptOuts,
                action,
                detail.map(str::to_owned),
                at,
            )
        };
        if !self.claim_new(RecordKind::OptOut, &id).await? {
            let note = format!("{}: {}", notes::BACK_IN_FORCE, source.as_str());
            let again = event(Action::Updated, Some(&note));
            let updated = self
                .update(RecordKind::OptOut, &id, again, |existing: &mut OptOut| {
                    let lifted = !existing.in_force();
                    if lifted {
                        *existing = entry.clone();
                    }
                    lifted
                })
                .await?;
            match updated {
                Updated::Changed(_) => return Ok(true),
                Updated::Unchanged(_) => return Ok(false),
                // Claimed, but the entry never landed (its writer failed): write it below, or the
                // opt-out would be lost for good. A concurrent creator writes the same entry.
                Updated::Missing => {}
            }
        }
        self.append(
            RecordKind::OptOut,
            &id,
            &entry,
            event(Action::Captured, Some(source.as_str())),
        )
        .await?;
        Ok(true)
    }

    /// The channels among `wanted` whose do-not-contact entry is in force, in one batch read.
    pub async fn opted_out(
        &self,
        wanted: &[(Channel, String)],
    ) -> Result<Vec<Channel>, StoreError> {
        let in_force = self.in_force(wanted).await?;
        Ok(wanted
            .iter()
            .zip(in_force)
            .filter(|(_, on)| *on)
            .map(|((channel, _), _)| *channel)
            .collect())
    }

    /// For each of `wanted`, whether its do-not-contact entry is in force, in one batch read.
    pub async fn in_force(&self, wanted: &[(Channel, String)]) -> Result<Vec<bool>, StoreError> {
        let ids: Vec<String> = wanted
            .iter()
            .map(|(channel, p)| channel.opt_out_id(p))
            .collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let entries: Vec<Option<OptOut>> = self.records(RecordKind::OptOut, &ids).await?;
        Ok(entries
            .iter()
            .map(|entry| entry.as_ref().is_some_and(OptOut::in_force))
            .collect())
    }

    /// The do-not-contact entry for `pseudonym` on `channel`, if any.
    pub async fn opt_out_entry(
        &self,
        channel: Channel,
        pseudonym: &str,
    ) -> Result<Option<OptOut>, StoreError> {
        self.record(RecordKind::OptOut, &channel.opt_out_id(pseudonym))
            .await
    }
}
