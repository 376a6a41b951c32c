//! `limit=all`: a collection's whole feed after a cursor, streamed as NDJSON, CSV or one JSON page
//! (`{"items": [...], "next_cursor"}`) while the client reads it, so memory stays flat however long
//! the export is.
//!
//! The export ends at the newest written entry when it began ([`LogReader::newest`](shared::store::LogReader::newest)), which is the `Next-Cursor`
//! sent in the headers before the first item. It reads [`BATCH`] entries at a time with one `get-many`,
//! then their records with another, and produces the next chunk only when the client has taken the last
//! one. A hole below the end is a number handed out before the export began: its writer is either still
//! writing (the export waits for it, polling) or died (once a later entry is [`GRACE_MS`](shared::store::GRACE_MS) old it is
//! stepped over), so the cursor in the headers never skips an entry that lands late. A pending entry (a
//! change still landing) is waited for the same way. A record named twice within a batch
//! appears once; in two batches, twice (each time in its current state).
//!
//! The register gets an entry when the export begins (the range, so that even an export the client
//! abandons is registered) and one when it ends (the range and the number of records sent). Every
//! [`KEY_CHECK_EVERY`] chunks or [`KEY_CHECK_MS`] the key is looked at again: a revoked or expired key
//! breaks the export.

use crate::feed::{self, Collection};
use crate::format::{Format, ndjson};
use bytes::Bytes;
use shared::http::Reply;
use shared::records::{Action, Actor, ApiKey, LogEntry};
use shared::store::{Backend, Event, Log, RecordKind, Slot, Store, StoreError};
use shared::time::{Timestamp, pause};
use std::rc::Rc;

/// Log entries read per chunk.
pub const BATCH: u64 = 256;
/// Chunks, or milliseconds, between two checks that the export's key is still valid (whichever
/// comes first: a slow reader must not keep a revoked key's export going either).
const KEY_CHECK_EVERY: u64 = 16;
const KEY_CHECK_MS: i64 = 30_000;
/// How long to wait before looking at a hole again.
const HOLE_POLL_MS: u64 = 25;

/// One export: what to send and the range it covers.
pub struct Export {
    pub collection: &'static Collection,
    pub format: Format,
    pub full_ips: bool,
    /// The key the export runs under: revoking it (or its expiry) stops the export.
    pub key_id: String,
    pub actor: Actor,
    /// The entry the client's cursor stands after.
    pub after: u64,
    /// The log's head when the export began: the last entry it covers.
    pub end: u64,
    pub started: Timestamp,
}

/// An export under way.
struct Run<B> {
    export: Export,
    store: Rc<Store<B>>,
    /// The last entry sent.
    next: u64,
    count: u64,
    batches: u64,
    key_checked: Timestamp,
    header_sent: bool,
    /// A JSON page: an item was sent (the next needs a comma); the page was closed.
    items_sent: bool,
    closed: bool,
    finished: bool,
}

impl Export {
    /// Registers the export's start and answers its body, which reads the store as it is consumed.
    pub async fn stream<B: Backend + 'static>(
        self,
        store: Rc<Store<B>>,
    ) -> Result<Reply, StoreError> {
        store
            .note_many(self.event("started", None, self.started))
            .await?;
        let started = self.started;
        let run = Run {
            next: self.after,
            export: self,
            store,
            count: 0,
            batches: 0,
            key_checked: started,
            header_sent: false,
            items_sent: false,
            closed: false,
            finished: false,
        };
        let chunks = futures::stream::unfold(run, async |mut run| {
            if run.finished {
                return None;
            }
            match run.chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), run)),
                Ok(None) => None,
                Err(error) => {
                    // The client sees a broken transfer, not a short export that looks complete.
                    shared::log_line!("export of {} failed: {error:#}", run.export.collection.name);
                    run.finished = true;
                    Some((Err(error), run))
                }
            }
        });
        Ok(Reply::Chunks(Box::pin(chunks)))
    }

    /// The register entry for a stage of the export, with the number of records sent so far once known.
    fn event(&self, stage: &str, count: Option<u64>, at: Timestamp) -> Event {
        let count = count.map(|n| format!(" count={n}")).unwrap_or_default();
        let detail = format!(
            "collection={} after={} to={}{count} stream={stage}",
            self.collection.name, self.after, self.end
        );
        Event::by(
            self.actor.clone(),
            Log::Access,
            Action::Read,
            Some(detail),
            at,
        )
    }
}

impl<B: Backend> Run<B> {
    /// The next chunk: the CSV header, then a batch's items; the end of the export registered at last.
    async fn chunk(&mut self) -> anyhow::Result<Option<Bytes>> {
        let mut out = String::new();
        if !self.header_sent {
            match self.export.format {
                Format::Csv => crate::csv::header(&mut out, self.export.collection.columns),
                Format::Json => out.push_str("{\"items\":["),
                Format::Ndjson => {}
            }
            self.header_sent = true;
        }
        while out.is_empty() && self.next < self.export.end {
            self.batches += 1;
            let now = Timestamp::now();
            let due = now.unix_millis() >= self.key_checked.unix_millis() + KEY_CHECK_MS;
            if due || self.batches.is_multiple_of(KEY_CHECK_EVERY) {
                self.check_key().await?;
                self.key_checked = now;
            }
            let items = self.batch().await?;
            self.count += items.len() as u64;
            match self.export.format {
                Format::Csv => crate::csv::rows(&mut out, self.export.collection.columns, &items),
                Format::Ndjson => out.push_str(&ndjson(&items)),
                Format::Json => {
                    for item in &items {
                        if std::mem::replace(&mut self.items_sent, true) {
                            out.push(',');
                        }
                        out.push_str(&item.to_string());
                    }
                }
            }
        }
        if self.export.format == Format::Json && self.next >= self.export.end && !self.closed {
            self.closed = true;
            let cursor = self.export.collection.cursor(self.export.end);
            out.push_str(&format!("],\"next_cursor\":\"{cursor}\"}}"));
        }
        if self.next >= self.export.end && !self.finished && out.is_empty() {
            self.finished = true;
            let event = self
                .export
                .event("complete", Some(self.count), Timestamp::now());
            self.store.note_many(event).await?;
        }
        Ok((!out.is_empty()).then(|| Bytes::from(out)))
    }

    /// Fails the export once its key is revoked or expired, so a revocation stops a long export too.
    async fn check_key(&self) -> anyhow::Result<()> {
        let key: Option<ApiKey> = self
            .store
            .get(RecordKind::ApiKey, &self.export.key_id)
            .await?;
        let now = Timestamp::now();
        let valid = key.is_some_and(|key| {
            key.revoked_at.is_none() && key.expires_at.is_none_or(|at| at > now)
        });
        if valid {
            return Ok(());
        }
        let event = self
            .export
            .event("stopped-key-invalid", Some(self.count), now);
        self.store.note_many(event).await?;
        anyhow::bail!("the export's key was revoked or expired")
    }

    /// The items of the next [`BATCH`] entries, holes and pending entries waited for.
    async fn batch(&mut self) -> Result<Vec<serde_json::Value>, StoreError> {
        let log = self.export.collection.log;
        let end = self.export.end;
        let count = BATCH.min(end - self.next);
        let reader = self.store.reader(log, Timestamp::now());
        let mut named = Vec::with_capacity(count as usize);
        for (seq, slot) in reader.slots(self.next, count, end).await? {
            let slot = if slot.settled() {
                slot
            } else {
                self.wait_for(log, seq).await?
            };
            if let Slot::Entry(entry, _) = slot {
                named.push(entry);
            }
        }
        self.next += count;
        let named: Vec<&LogEntry> = named.iter().collect();
        feed::items(
            &self.store,
            self.export.collection,
            &named,
            self.export.full_ips,
        )
        .await
    }

    /// Number `seq` once the log reader calls it settled: its writer wrote it (finally, or it is pending
    /// past the grace), or it is a hole with an entry after it older than the grace (that writer died).
    async fn wait_for(&self, log: Log, seq: u64) -> Result<Slot, StoreError> {
        loop {
            let reader = self.store.reader(log, Timestamp::now());
            let mut slots = reader.slots(seq - 1, 1, self.export.end).await?;
            if let Some((_, slot)) = slots.pop().filter(|(_, slot)| slot.settled()) {
                return Ok(slot);
            }
            pause(HOLE_POLL_MS).await;
        }
    }
}
