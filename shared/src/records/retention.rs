//! Retention rules: how long the records the policy names are kept, read from the `retention` variable
//! (TOML). Each record kind says how a rule judges it ([`super::Record::due_since`]); the retention job applies them.
//!
//! ```toml
//! full_ip_days = 30          # a full IP address is replaced by its truncated network after this many days
//!
//! [[delete]]
//! kind = "submission"        # submission | subscriber | demo-request | outbox | dsr | contact | webhook-event
//! only = "spam"              # all | spam | unconfirmed | unsubscribed | sent | expired
//! after_days = 30
//! from = "captured"          # captured | unsubscribed | sent | expired | notified
//! ```

use super::kind::RecordKind;
use anyhow::{Context, bail};
use serde::Deserialize;

/// Which records of a kind a rule deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Only {
    All,
    Spam,
    Unconfirmed,
    Unsubscribed,
    Sent,
    Expired,
}

/// The event a rule counts its days from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum From {
    Captured,
    Unsubscribed,
    Sent,
    Expired,
    /// The last notice or reminder a contact from another source was sent (or, none sent, its import).
    Notified,
}

/// One deletion rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRule {
    pub kind: RecordKind,
    pub only: Only,
    pub after_days: i64,
    pub from: From,
}

impl DeleteRule {
    /// A stable name for reports and marks: `submission-spam-30d-captured`.
    pub fn name(&self) -> String {
        let only = serde_name(self.only);
        let from = match self.from {
            From::Captured => "captured",
            From::Unsubscribed => "unsubscribed",
            From::Sent => "sent",
            From::Expired => "expired",
            From::Notified => "notified",
        };
        format!("{}-{only}-{}d-{from}", self.kind.as_str(), self.after_days)
    }
}

fn serde_name(only: Only) -> &'static str {
    match only {
        Only::All => "all",
        Only::Spam => "spam",
        Only::Unconfirmed => "unconfirmed",
        Only::Unsubscribed => "unsubscribed",
        Only::Sent => "sent",
        Only::Expired => "expired",
    }
}

/// The whole policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// Days after capture a full IP is kept; `None`: kept (not recommended).
    pub full_ip_days: Option<i64>,
    pub delete: Vec<DeleteRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    full_ip_days: Option<i64>,
    #[serde(default)]
    delete: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    kind: String,
    #[serde(default = "all")]
    only: Only,
    after_days: i64,
    from: From,
}

fn all() -> Only {
    Only::All
}

/// The kinds retention deletes.
const KINDS: [RecordKind; 7] = [
    RecordKind::Submission,
    RecordKind::Subscriber,
    RecordKind::DemoRequest,
    RecordKind::Outbox,
    RecordKind::DataRequest,
    RecordKind::Contact,
    RecordKind::WebhookEvent,
];

impl Retention {
    /// Parses the `retention` variable; an error names the line (as the other TOML variables do).
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let parsed: Raw = toml::from_str(raw).map_err(|e| {
            let line = e
                .span()
                .map(|s| raw[..s.start].lines().count().max(1))
                .unwrap_or(0);
            anyhow::anyhow!("variable retention, line {line}: {}", e.message())
        })?;
        if parsed.full_ip_days.is_some_and(|d| d < 1) {
            bail!("variable retention: full_ip_days must be at least 1");
        }
        let mut delete = Vec::new();
        for (i, rule) in parsed.delete.into_iter().enumerate() {
            let kind = RecordKind::parse(&rule.kind)
                .filter(|k| KINDS.contains(k))
                .with_context(|| {
                    format!(
                        "variable retention, rule {}: kind {:?} is not submission, subscriber, demo-request, outbox, dsr, contact or webhook-event",
                        i + 1,
                        rule.kind
                    )
                })?;
            if rule.after_days < 1 {
                bail!(
                    "variable retention, rule {}: after_days must be at least 1",
                    i + 1
                );
            }
            delete.push(DeleteRule {
                kind,
                only: rule.only,
                after_days: rule.after_days,
                from: rule.from,
            });
        }
        Ok(Self {
            full_ip_days: parsed.full_ip_days,
            delete,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_a_bad_one_names_its_line() {
        let policy = Retention::parse(
            "full_ip_days = 30\n[[delete]]\nkind = \"submission\"\nonly = \"spam\"\nafter_days = 30\nfrom = \"captured\"\n",
        )
        .unwrap();
        assert_eq!(policy.full_ip_days, Some(30));
        assert_eq!(policy.delete[0].name(), "submission-spam-30d-captured");
        let error = Retention::parse("full_ip_days = 30\n[[delete]]\nkind = \"submission\"\nafter_days = 30\nfrom = \"yesterday\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 5"), "{error}");
        assert!(
            Retention::parse(
                "[[delete]]\nkind = \"api-key\"\nafter_days = 3\nfrom = \"captured\"\n"
            )
            .is_err()
        );
        assert!(Retention::parse("colour = 3").is_err());
    }
}
