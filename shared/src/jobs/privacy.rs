//! The privacy job: expires every unconfirmed data-subject request past its link's lifetime, dropping its
//! personal data (only the pseudonyms, rights and timeline stay, and its register entries).

use crate::records::{
    Action, Actor, DataRequest, Event, Log, RecordKind, RequestStatus, Step, notes,
};
use crate::store::{Backend, Store, StoreError};
use crate::time::Timestamp;

/// Marks an unconfirmed request whose link expired as expired and drops its personal data: only the
/// pseudonyms, rights and timeline stay (and its register entries). Answers whether it changed.
pub async fn expire<B: Backend>(
    store: &Store<B>,
    id: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let event = Event::by(
        actor.clone(),
        Log::Requests,
        Action::Updated,
        Some(notes::EXPIRED.into()),
        now,
    );
    let updated = store
        .update(RecordKind::DataRequest, id, event, |r: &mut DataRequest| {
            if r.status != RequestStatus::Unverified || r.status_at(now) != RequestStatus::Expired {
                return false;
            }
            r.status = RequestStatus::Expired;
            r.forget_person();
            r.step(Step::Expired, now, "system", None);
            true
        })
        .await?;
    Ok(updated.changed())
}

/// The scheduler's job: expires every unconfirmed request past its link's lifetime (with `dry_run`,
/// only counts them). O(requests ever asked): the request list is small beside the store.
pub async fn expire_unverified<B: Backend>(
    store: &Store<B>,
    now: Timestamp,
    dry_run: bool,
) -> Result<u64, StoreError> {
    let mut expired = 0;
    for request in store.requests().await? {
        let due = request.status == RequestStatus::Unverified
            && request.status_at(now) == RequestStatus::Expired;
        if due && (dry_run || expire(store, &request.id, &Actor::System, now).await?) {
            expired += 1;
        }
    }
    Ok(expired)
}
