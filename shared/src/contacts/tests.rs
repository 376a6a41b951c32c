//! A contact's life natively, on a clock the test controls: imported, noticed within the month,
//! delivered, reminded a year later; a notice the outbox gives up on leaves the contact undeliverable.

use super::import::{RawSource, Row, import, parse_source};
use crate::jobs::notices::{self, Budget, NoticeReport};
use crate::mailer::{MailSettings, Mailer, ProviderRequest, ProviderResponse, Transport, attempt};
use crate::privacy::PrivacySettings;
use crate::records::{ImportedContact, NoticeKind, NoticeStatus, OutboxMessage, RecordKind};
use crate::store::Store;
use crate::store::memory::{Memory, block_on};
use crate::time::Timestamp;

/// A provider that accepts every mail, or refuses every one.
#[derive(Clone, Copy)]
struct Provider {
    accepts: bool,
}

impl Transport for Provider {
    async fn send(&self, _: ProviderRequest) -> Result<ProviderResponse, String> {
        Ok(if self.accepts {
            ProviderResponse {
                status: 200,
                body: br#"{"ErrorCode":0,"Message":"OK","MessageID":"pm-1"}"#.to_vec(),
                retry_after: None,
            }
        } else {
            ProviderResponse {
                status: 422,
                body: br#"{"ErrorCode":300,"Message":"Invalid email request"}"#.to_vec(),
                retry_after: None,
            }
        })
    }
}

fn settings() -> PrivacySettings {
    PrivacySettings::from_variables(|name| {
        Some(
            match name {
                "signing_key" => "k1:0123456789abcdef0123456789abcdef",
                "suppression_key" => "0123456789abcdef0123456789abcdef-suppress",
                "public_base_url" => "https://www.example.com",
                "privacy_mail_from" => "privacy@example.com",
                "privacy_verify_ttl_minutes" | "privacy_download_ttl_days" => "7",
                _ => "",
            }
            .to_owned(),
        )
    })
    .unwrap()
}

fn mailer(accepts: bool) -> Mailer<Provider> {
    let settings = MailSettings {
        api_url: "https://api.example.com".into(),
        api_token: "token".into(),
        from: "news@example.com".into(),
    };
    Mailer::new(settings, Provider { accepts }).unwrap()
}

/// 2026-11-20, and days after it.
fn day(n: i64) -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-20T09:00:00Z")
        .unwrap()
        .plus_days(n)
}

const BUDGET: Budget = Budget {
    entries: 1_000,
    mails: 100,
};

fn imported(store: &Store<Memory>, settings: &PrivacySettings, now: Timestamp) -> String {
    let raw = |v| Some(v);
    let source = parse_source(
        RawSource {
            name: ("source.name", raw("Hannover Messe 2026")),
            kind: ("source.kind", raw("event")),
            obtained_at: ("source.obtained_at", raw("2026-11-20")),
            public: ("source.public", raw("false")),
            legal_basis: ("source.legal_basis", raw("legitimate_interest")),
        },
        now,
    )
    .unwrap();
    let row = Row::parse(0, [("email", "anna@example.de"), ("country", "AT")]);
    let report = block_on(import(store, settings, &source, vec![row], "key", now)).unwrap();
    assert_eq!(report.accepted, 1);
    settings.pseudonym("anna@example.de")
}

fn contact(store: &Store<Memory>, id: &str) -> ImportedContact {
    block_on(store.get(RecordKind::Contact, id))
        .unwrap()
        .unwrap()
}

fn run(store: &Store<Memory>, settings: &PrivacySettings, now: Timestamp) -> NoticeReport {
    block_on(notices::run(store, settings, 12, BUDGET, now, false)).unwrap()
}

/// Every attempt the outbox makes on the contact's latest notice, `tries` times, a day apart.
fn deliver(store: &Store<Memory>, id: &str, accepts: bool, tries: u32, from: Timestamp) {
    let mailer = mailer(accepts);
    for n in 0..tries {
        let message = contact(store, id).notices.last().unwrap().message.clone();
        let record: OutboxMessage = block_on(store.get(RecordKind::Outbox, &message))
            .unwrap()
            .unwrap();
        let now = from.plus_days(i64::from(n));
        block_on(attempt(store, &mailer, record, now)).unwrap();
    }
}

#[test]
fn a_contact_is_noticed_in_its_language_then_reminded_a_year_after_the_notice_was_sent() {
    let (store, settings) = (Store::new(Memory::default()), settings());
    let id = imported(&store, &settings, day(2));
    let anna = contact(&store, &id);
    assert_eq!(anna.language, "de", "from the country");
    let obtained = Timestamp::parse_rfc3339("2026-11-20T00:00:00Z").unwrap();
    assert_eq!(anna.notice_due_by, obtained.plus_months(1));

    let first = run(&store, &settings, day(3));
    assert_eq!((first.queued, first.reminders), (1, 0));
    let notice = contact(&store, &id).notices[0].clone();
    assert_eq!(notice.kind, NoticeKind::Notice);
    let mail: OutboxMessage = block_on(store.get(RecordKind::Outbox, &notice.message))
        .unwrap()
        .unwrap();
    assert!(mail.message.text_body.contains("Hannover Messe 2026"));
    assert!(mail.message.text_body.contains("WIDERSPRUCH"));
    assert_eq!(mail.notice_for.as_deref(), Some(id.as_str()));
    deliver(&store, &id, true, 1, day(3));
    assert_eq!(contact(&store, &id).notice_status(), NoticeStatus::Sent);

    // Nothing more is owed until a year after the notice was sent.
    assert_eq!(run(&store, &settings, day(30)).queued, 0);
    let early = run(&store, &settings, day(3).plus_months(12).plus_days(-1));
    assert_eq!(early.reminders, 0);
    let late = run(&store, &settings, day(4).plus_months(12));
    assert_eq!(late.reminders, 1);
    let reminded = contact(&store, &id);
    assert_eq!(reminded.notices.len(), 2);
    assert_eq!(reminded.notices[1].kind, NoticeKind::Reminder);
    assert_eq!(
        run(&store, &settings, day(5).plus_months(12)).reminders,
        0,
        "once"
    );
}

#[test]
fn a_notice_the_outbox_gives_up_on_leaves_the_contact_undeliverable_and_unlisted() {
    let (store, settings) = (Store::new(Memory::default()), settings());
    let id = imported(&store, &settings, day(2));
    run(&store, &settings, day(3));
    assert!(
        contact(&store, &id).listed(),
        "queued: marketing may see it"
    );
    deliver(&store, &id, false, crate::mailer::GIVE_UP_AFTER, day(3));
    let anna = contact(&store, &id);
    assert_eq!(anna.notice_status(), NoticeStatus::Undeliverable);
    assert!(!anna.listed());
    let undeliverable = block_on(notices::undeliverable(&store)).unwrap();
    assert_eq!(undeliverable.len(), 1);
    assert_eq!(undeliverable[0].id, id);
    // Never reminded: it does not take mail.
    assert_eq!(run(&store, &settings, day(3).plus_months(13)).reminders, 0);
}

#[test]
fn a_notice_owed_is_listed_until_the_job_queues_it() {
    let (store, settings) = (Store::new(Memory::default()), settings());
    let id = imported(&store, &settings, day(2));
    let owed = block_on(notices::owed(&store, day(2), 1_000)).unwrap();
    assert_eq!(
        owed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    run(&store, &settings, day(3));
    assert!(
        block_on(notices::owed(&store, day(3), 1_000))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_contact_that_opted_out_after_its_import_is_erased_not_mailed() {
    let (store, settings) = (Store::new(Memory::default()), settings());
    let id = imported(&store, &settings, day(2));
    block_on(store.opt_out(
        crate::records::Channel::Email,
        &id,
        crate::records::OptOutSource::UnsubscribeLink,
        crate::records::Actor::System,
        day(2),
    ))
    .unwrap();
    assert_eq!(run(&store, &settings, day(3)).queued, 0);
    let gone: Option<ImportedContact> = block_on(store.get(RecordKind::Contact, &id)).unwrap();
    assert!(gone.is_none());
    let ids = block_on(notices::owed(&store, day(3), 1_000)).unwrap();
    assert!(ids.is_empty());
}
