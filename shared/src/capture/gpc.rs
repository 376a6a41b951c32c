//! Global Privacy Control reaching the person: a browser's signal is an opt-out of sale and sharing
//! for that browser and, once a post names the person, for the person (CCPA regulations §7025). A post
//! that carries the banner's consent id links the id to the person, so a signal sent before or after
//! the post puts the person's `sale_share` channel on the do-not-contact registry.

use crate::records::{Actor, OptOutSource};
use crate::store::{Backend, Channel, Store, StoreError};
use crate::time::Timestamp;

/// After a post naming the person `pseudonym` (their email's): links its consent id (if the store
/// issued it) to the person, and opts the person out of sale and sharing when the post itself carried
/// `Sec-GPC: 1` or the browser's latest banner decision honoured it.
pub async fn honour_browser<B: Backend>(
    store: &Store<B>,
    consent_id: Option<&str>,
    gpc: bool,
    pseudonym: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut signal = gpc;
    // An id this store never issued links nobody (and leaves no key behind).
    if let Some(id) = consent_id
        && store.consent_exists(id).await?
        && let Some(latest) = store.latest_consent(id).await?
    {
        store.link_consent(id, pseudonym, now).await?;
        signal |= latest.gpc_honored();
    }
    if signal {
        opt_out(store, pseudonym, actor, now).await?;
    }
    Ok(())
}

/// After a banner decision that honoured Global Privacy Control: every person the consent id was sent
/// with is opted out of sale and sharing. Answers how many.
pub async fn honour_linked<B: Backend>(
    store: &Store<B>,
    consent_id: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let people = store.consent_links(consent_id).await?;
    for pseudonym in &people {
        opt_out(store, pseudonym, actor, now).await?;
    }
    Ok(people.len())
}

async fn opt_out<B: Backend>(
    store: &Store<B>,
    pseudonym: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<(), StoreError> {
    store
        .opt_out(
            Channel::SaleShare,
            pseudonym,
            OptOutSource::GpcSignal,
            actor.clone(),
            now,
        )
        .await
        .map(|_| ())
}
