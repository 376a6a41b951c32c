//! The list of stored record kinds: how to open the bytes of each as a [`Described`] record.

use super::api_key::ApiKey;
use super::consent::ConsentDecision;
use super::contact::ImportedContact;
use super::data_request::DataRequest;
use super::demo_request::DemoRequest;
use super::kind::RecordKind;
use super::opt_out::OptOut;
use super::outbox::OutboxMessage;
use super::record::{Described, Erasure, Record};
use super::submission::Submission;
use super::subscriber::Subscriber;
use super::webhook::{WebhookEndpoint, WebhookEvent};

type Open = fn(&[u8]) -> Result<Box<dyn Described>, serde_json::Error>;

/// Every kind, its opener and its erasure: one line a kind.
const KINDS: [(RecordKind, Open, Erasure); 11] = [
    kind::<Submission>(),
    kind::<Subscriber>(),
    kind::<DemoRequest>(),
    kind::<ConsentDecision>(),
    kind::<DataRequest>(),
    kind::<ApiKey>(),
    kind::<OutboxMessage>(),
    kind::<OptOut>(),
    kind::<ImportedContact>(),
    kind::<WebhookEndpoint>(),
    kind::<WebhookEvent>(),
];

const fn kind<R: Record>() -> (RecordKind, Open, Erasure) {
    (R::KIND, open::<R>, R::ERASURE)
}

fn open<R: Record>(bytes: &[u8]) -> Result<Box<dyn Described>, serde_json::Error> {
    Ok(Box::new(serde_json::from_slice::<R>(bytes)?))
}

fn entry(kind: RecordKind) -> &'static (RecordKind, Open, Erasure) {
    KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .expect("every record kind is in the list")
}

/// The stored bytes of a record of `kind`, opened.
pub fn described(kind: RecordKind, bytes: &[u8]) -> Result<Box<dyn Described>, serde_json::Error> {
    (entry(kind).1)(bytes)
}

/// How an erasure request treats records of `kind`.
pub fn erasure(kind: RecordKind) -> Erasure {
    entry(kind).2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_kind_is_in_the_list_once() {
        for kind in RecordKind::ALL {
            assert_eq!(KINDS.iter().filter(|(k, _, _)| *k == kind).count(), 1);
        }
    }
}
