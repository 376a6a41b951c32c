//! CSV pages (`text/csv`) that Excel, Google Sheets and HubSpot import as they are: UTF-8, a header row,
//! a stable column order per collection, RFC 4180 quoting (a field holding a comma, quote, CR or LF is
//! quoted, quotes doubled), CRLF line ends, and every cell that starts with `=`, `+`, `-`, `@`, tab or
//! carriage return prefixed with `'` so no spreadsheet runs it as a formula.
//!
//! A row is a flattened feed item (already masked as its JSON is): each column reads one place of the
//! record (a JSON pointer). Missing or null: an empty cell; a list: its items joined with `;`; a map
//! (the consent choices): `name=value` pairs joined with `;`. A tombstone fills `id` and `deleted`
//! (`true`) only. Columns are only ever added at the end.
//!
//! The `'` goes before every such cell, whatever its column: an `id` (URL-safe base64) that starts with
//! `-` comes out as `'-…`, as a spreadsheet would otherwise read it as a formula. A program that reads
//! the CSV drops a leading `'` that is followed by one of those characters.

use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Write;

/// Where a column's cells come from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// The value at a JSON pointer into the item (below its group's place).
    At(&'static str),
    /// `true` for a tombstone, `false` for a record.
    Deleted,
}

/// One column: its name in the header row and where its cells come from.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub source: Source,
}

/// Columns read from one place of the item: `under` (a JSON pointer, `""` for the item itself) comes
/// before each column's pointer, so a part that sits at two places is spelled once.
#[derive(Debug, Clone, Copy)]
pub struct Group {
    pub under: &'static str,
    pub columns: &'static [Column],
}

/// A collection's columns, group after group.
pub type Columns = &'static [Group];

const fn at(name: &'static str, pointer: &'static str) -> Column {
    Column {
        name,
        source: Source::At(pointer),
    }
}

const fn under(under: &'static str, columns: &'static [Column]) -> Group {
    Group { under, columns }
}

/// Columns read from the item itself.
const fn root(columns: &'static [Column]) -> Group {
    under("", columns)
}

const DELETED: Column = Column {
    name: "deleted",
    source: Source::Deleted,
};

/// A lead's contact details, as given (submissions and demo requests).
const CONTACT: Group = under(
    "/contact",
    &[
        at("name", "/name"),
        at("email", "/email"),
        at("company", "/company"),
        at("title", "/title"),
        at("phone", "/phone"),
        at("country", "/country"),
        at("message", "/message"),
    ],
);

/// The page a lead came from, and its campaign.
const VISIT: Group = under(
    "/visit",
    &[
        at("page_url", "/page_url"),
        at("referrer", "/referrer"),
        at("utm_source", "/utm/utm_source"),
        at("utm_medium", "/utm/utm_medium"),
        at("utm_campaign", "/utm/utm_campaign"),
        at("utm_term", "/utm/utm_term"),
        at("utm_content", "/utm/utm_content"),
    ],
);

/// Where a lead came from on the network (under `/origin`, or a subscriber's latest signup's).
const ORIGIN: &[Column] = &[
    at("ip", "/ip"),
    at("ip_truncated", "/ip_truncated"),
    at("country_code", "/location/country"),
    at("eu", "/location/eu"),
];

/// What a lead consented to, and under which texts.
const CONSENT: Group = under(
    "/consent",
    &[
        at("policy_version", "/policy_version"),
        at("text_hash", "/text_hash"),
        at("consents", "/choices"),
        at("gpc", "/gpc"),
    ],
);

const SPAM: Column = at("spam", "/spam");
const DO_NOT_CONTACT: Column = at("do_not_contact", "/do_not_contact");

/// The columns of `submissions`.
pub const SUBMISSION_COLUMNS: Columns = &[
    root(&[
        at("id", "/id"),
        at("received_at", "/received_at"),
        at("form", "/form"),
        at("kind", "/kind"),
    ]),
    CONTACT,
    VISIT,
    under("/origin", ORIGIN),
    CONSENT,
    root(&[SPAM, DO_NOT_CONTACT, DELETED]),
];

/// The columns of `subscribers` (the network origin is the latest signup's).
pub const SUBSCRIBER_COLUMNS: Columns = &[
    root(&[
        at("id", "/id"),
        at("email", "/email"),
        at("name", "/name"),
        at("lists", "/lists"),
        at("status", "/status"),
        at("signed_up_at", "/signed_up/at"),
        at("confirmed_at", "/confirmed/at"),
        at("unsubscribed_at", "/unsubscribed_at"),
    ]),
    VISIT,
    under("/signed_up/origin", ORIGIN),
    CONSENT,
    root(&[SPAM, DELETED]),
];

/// The columns of `demo-requests`.
pub const DEMO_REQUEST_COLUMNS: Columns = &[
    root(&[
        at("id", "/id"),
        at("received_at", "/received_at"),
        at("status", "/status"),
    ]),
    CONTACT,
    root(&[
        at("preferred_time", "/preferred_time"),
        at("free_mail", "/free_mail"),
    ]),
    VISIT,
    under("/origin", ORIGIN),
    CONSENT,
    root(&[SPAM, DO_NOT_CONTACT, DELETED]),
];

/// The columns of `consents`: one row per decision, `id` being the consent id (no full IP is ever kept).
pub const CONSENT_COLUMNS: Columns = &[root(&[
    at("id", "/id"),
    at("n", "/n"),
    at("at", "/at"),
    at("expires_at", "/expires_at"),
    at("method", "/method"),
    at("decisions", "/decisions"),
    at("gpc", "/gpc"),
    at("gpc_refused", "/gpc_refused"),
    at("gpc_kept", "/gpc_kept"),
    at("regime", "/regime"),
    at("consent_mode", "/consent_mode"),
    at("banner_version", "/banner_version"),
    at("text_hash", "/text_hash"),
    at("locale", "/locale"),
    at("page_url", "/page_url"),
    at("ip_truncated", "/ip_truncated"),
    at("country_code", "/country"),
    at("tc_string", "/tc_string"),
    at("gpp_string", "/gpp_string"),
    at("gpp_sid", "/gpp_sid"),
    DELETED,
])];

/// The columns of `opt-outs`: the registry holds pseudonyms, never addresses (match a list with
/// `POST /api/v1/opt-outs/check`).
pub const OPT_OUT_COLUMNS: Columns = &[root(&[
    at("id", "/id"),
    at("channel", "/channel"),
    at("at", "/at"),
    at("source", "/source"),
    at("lifted_at", "/lifted_at"),
    DELETED,
])];

/// The columns of `contacts`.
pub const CONTACT_COLUMNS: Columns = &[root(&[
    at("id", "/id"),
    at("email", "/email"),
    at("name", "/name"),
    at("company", "/company"),
    at("title", "/title"),
    at("phone", "/phone"),
    at("country", "/country"),
    at("language", "/language"),
    at("sources", "/source_names"),
    at("notice_status", "/notice/status"),
    at("notice_due_by", "/notice/due_by"),
    at("last_notified_at", "/notice/last_notified_at"),
    at("imported_at", "/imported_at"),
    DELETED,
])];

/// The columns of `privacy-requests`.
pub const PRIVACY_REQUEST_COLUMNS: Columns = &[root(&[
    at("id", "/id"),
    at("status", "/status"),
    at("rights", "/rights"),
    at("asked_at", "/asked_at"),
    at("received_at", "/received_at"),
    at("due_at", "/due_at"),
    at("california_resident", "/california_resident"),
    at("email", "/email"),
    at("fulfilled_at", "/fulfilled_at"),
    DELETED,
])];

/// A whole CSV document: the header row, then one row per item, every line ending in CRLF.
pub fn document(columns: Columns, items: &[Value]) -> String {
    let mut out = String::new();
    header(&mut out, columns);
    rows(&mut out, columns, items);
    out
}

/// Appends the header row.
pub fn header(out: &mut String, columns: Columns) {
    row(out, each(columns).map(|(_, column)| column.name));
}

/// Appends one row per item.
pub fn rows(out: &mut String, columns: Columns, items: &[Value]) {
    for item in items {
        row(
            out,
            each(columns).map(|(under, column)| cell(item, under, column.source)),
        );
    }
}

/// Every column in order, with the place of the item its group reads.
fn each(columns: Columns) -> impl Iterator<Item = (&'static str, &'static Column)> {
    columns.iter().flat_map(|group| {
        group
            .columns
            .iter()
            .map(move |column| (group.under, column))
    })
}

/// Appends one row of `cells`, each escaped, and a CRLF. A row that would be an empty line (one empty
/// cell) is written as `""`, since readers skip empty lines.
pub fn row(out: &mut String, cells: impl IntoIterator<Item = impl AsRef<str>>) {
    let start = out.len();
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, cell.as_ref());
    }
    if out.len() == start {
        out.push_str("\"\"");
    }
    out.push_str("\r\n");
}

/// Appends one field: a would-be formula prefixed with `'`, then quoted if it holds a comma, quote,
/// CR or LF (quotes doubled).
pub fn field(out: &mut String, cell: &str) {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    // Bytes, not chars: the four are ASCII, and no byte of a longer UTF-8 character is.
    let quoted = cell
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    if quoted {
        for (i, part) in cell.split('"').enumerate() {
            if i > 0 {
                out.push_str("\"\"");
            }
            out.push_str(part);
        }
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

/// The text of one cell of `item`, its column reading below `under`. Borrowed from the item where it
/// holds the text as it is (most cells): an export writes millions of them, and on wasm each
/// allocation costs more than the copy itself.
fn cell<'a>(item: &'a Value, under: &str, source: Source) -> Cow<'a, str> {
    let value = match source {
        Source::Deleted => {
            let deleted = item.get("deleted").and_then(Value::as_bool) == Some(true);
            return Cow::Borrowed(if deleted { "true" } else { "false" });
        }
        Source::At(pointer) => lookup(item, under).and_then(|part| lookup(part, pointer)),
    };
    match value {
        None | Some(Value::Null) => Cow::Borrowed(""),
        Some(Value::String(text)) => Cow::Borrowed(text),
        Some(Value::Bool(true)) => Cow::Borrowed("true"),
        Some(Value::Bool(false)) => Cow::Borrowed("false"),
        Some(value) => {
            let mut text = String::new();
            write_text(&mut text, value);
            Cow::Owned(text)
        }
    }
}

/// The value at JSON pointer `pointer` in `value`, found without the two strings per step that
/// `Value::pointer` makes to undo `~` escapes (no column's pointer has one, nor a list index).
fn lookup<'a>(value: &'a Value, pointer: &str) -> Option<&'a Value> {
    pointer
        .split('/')
        .skip(1)
        .try_fold(value, |value, key| value.as_object()?.get(key))
}

/// Appends a JSON value as cell text: nothing for null, a list's items joined with `;`, a map's
/// `name=value` pairs joined with `;`.
fn write_text(out: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::String(text) => out.push_str(text),
        Value::Bool(_) | Value::Number(_) => {
            let _ = write!(out, "{value}");
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(';');
                }
                write_text(out, item);
            }
        }
        Value::Object(map) => {
            for (i, (name, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(';');
                }
                out.push_str(name);
                out.push('=');
                write_text(out, item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn escaped(cell: &str) -> String {
        let mut out = String::new();
        field(&mut out, cell);
        out
    }

    #[test]
    fn fields_with_commas_quotes_or_line_breaks_are_quoted_with_quotes_doubled() {
        assert_eq!(escaped("plain"), "plain");
        assert_eq!(escaped(""), "");
        assert_eq!(escaped("a,b"), "\"a,b\"");
        assert_eq!(escaped("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(escaped("two\nlines"), "\"two\nlines\"");
        assert_eq!(escaped("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(escaped("Zoë, ☕"), "\"Zoë, ☕\"");
    }

    #[test]
    fn cells_that_start_like_a_formula_are_made_inert() {
        assert_eq!(
            escaped("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(escaped("=1+1"), "'=1+1");
        assert_eq!(escaped("+1 555 0100"), "'+1 555 0100");
        assert_eq!(escaped("-2"), "'-2");
        assert_eq!(escaped("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(escaped("\tx"), "'\tx");
        assert_eq!(escaped("\rx"), "\"'\rx\"");
        // Every cell alike: an id is URL-safe base64 and may start with `-`.
        assert_eq!(escaped("-U-mW8KD09YhxubSgs7gBQ"), "'-U-mW8KD09YhxubSgs7gBQ");
        // Only the first character counts.
        assert_eq!(escaped("a=b"), "a=b");
    }

    #[test]
    fn rows_end_in_crlf_and_the_header_comes_first() {
        const COLUMNS: Columns = &[root(&[
            at("id", "/id"),
            at("name", "/contact/name"),
            DELETED,
        ])];
        let items = [
            json!({"id": "a", "contact": {"name": "Ada\nLovelace"}}),
            json!({"id": "b", "deleted": true}),
        ];
        assert_eq!(
            document(COLUMNS, &items),
            "id,name,deleted\r\na,\"Ada\nLovelace\",false\r\nb,,true\r\n"
        );
        assert_eq!(document(COLUMNS, &[]), "id,name,deleted\r\n");
    }

    #[test]
    fn lists_and_maps_flatten_into_one_cell() {
        let item = json!({"lists": ["events", "news"], "choices": {"a": true, "b": false}, "n": 3});
        assert_eq!(cell(&item, "", Source::At("/lists")), "events;news");
        assert_eq!(cell(&item, "", Source::At("/choices")), "a=true;b=false");
        assert_eq!(cell(&item, "", Source::At("/n")), "3");
        assert_eq!(cell(&item, "", Source::At("/missing")), "");
    }

    /// A submission as the feed hands it over, every lead field filled.
    pub(super) fn submission(n: usize) -> Value {
        json!({
            "v": 1, "id": format!("-U-mW8KD09Yhx{n:09}"), "form": "contact", "kind": "contact",
            "received_at": "2026-11-20T10:15:30.123Z",
            "contact": {"name": format!("Person {n}"), "email": format!("p{n}@example.com"),
                        "company": "Example, Inc.", "title": "Head of Marketing",
                        "phone": "+31 20 555 0100", "country": "NL",
                        "message": "Interested in the enterprise plan; call me.\nThanks"},
            "visit": {"page_url": "https://www.example.com/contact?x=1",
                      "referrer": "https://www.google.com/",
                      "utm": {"utm_source": "newsletter", "utm_medium": "email",
                              "utm_campaign": "spring", "utm_term": "crm", "utm_content": "\"hero\""},
                      "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"},
            "origin": {"ip": "203.0.113.0", "ip_truncated": "203.0.113.0", "ip_source": "peer",
                       "location": {"country": "NL", "eu": true, "city": "Amsterdam"}},
            "consent": {"policy_version": "2026-01", "text_hash": "sha256:0123456789abcdef",
                        "choices": {"marketing": false, "privacy_policy": true}, "gpc": false},
            "spam": "too_fast", "do_not_contact": ["email", "phone"],
        })
    }

    #[test]
    fn the_lead_collections_keep_their_column_order() {
        let header = |columns| {
            let mut out = String::new();
            header(&mut out, columns);
            out
        };
        let lead = "page_url,referrer,utm_source,utm_medium,utm_campaign,utm_term,utm_content,\
                    ip,ip_truncated,country_code,eu,policy_version,text_hash,consents,gpc,spam";
        let contact = "name,email,company,title,phone,country,message";
        assert_eq!(
            header(SUBMISSION_COLUMNS),
            format!("id,received_at,form,kind,{contact},{lead},do_not_contact,deleted\r\n")
        );
        assert_eq!(
            header(DEMO_REQUEST_COLUMNS),
            format!(
                "id,received_at,status,{contact},preferred_time,free_mail,{lead},\
                 do_not_contact,deleted\r\n"
            )
        );
        assert_eq!(
            header(SUBSCRIBER_COLUMNS),
            format!(
                "id,email,name,lists,status,signed_up_at,confirmed_at,unsubscribed_at,\
                 {lead},deleted\r\n"
            )
        );
    }

    #[test]
    fn every_column_reads_what_its_json_pointer_names() {
        let origin = json!({"ip": "1.2.3.0", "location": {"eu": true}});
        let subscriber = json!({"signed_up": {"at": "t", "origin": origin}});
        for item in [submission(7), subscriber] {
            for (under, column) in each(SUBMISSION_COLUMNS).chain(each(SUBSCRIBER_COLUMNS)) {
                if let Source::At(pointer) = column.source {
                    let found = lookup(&item, under).and_then(|part| lookup(part, pointer));
                    assert_eq!(
                        found,
                        item.pointer(&format!("{under}{pointer}")),
                        "{pointer}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_submission_row_is_written_as_a_spreadsheet_reads_it() {
        let mut out = String::new();
        rows(&mut out, SUBMISSION_COLUMNS, &[submission(7)]);
        assert_eq!(
            out,
            "'-U-mW8KD09Yhx000000007,2026-11-20T10:15:30.123Z,contact,contact,Person 7,p7@example.com,\
             \"Example, Inc.\",Head of Marketing,'+31 20 555 0100,NL,\
             \"Interested in the enterprise plan; call me.\nThanks\",\
             https://www.example.com/contact?x=1,https://www.google.com/,newsletter,email,spring,crm,\
             \"\"\"hero\"\"\",203.0.113.0,203.0.113.0,NL,true,2026-01,sha256:0123456789abcdef,\
             marketing=false;privacy_policy=true,false,too_fast,email;phone,false\r\n"
        );
    }

    #[test]
    fn every_collection_starts_with_id_and_ends_with_deleted_without_repeats() {
        for columns in [
            SUBMISSION_COLUMNS,
            SUBSCRIBER_COLUMNS,
            DEMO_REQUEST_COLUMNS,
            CONSENT_COLUMNS,
            OPT_OUT_COLUMNS,
            PRIVACY_REQUEST_COLUMNS,
            CONTACT_COLUMNS,
        ] {
            let names: Vec<_> = each(columns).map(|(_, c)| c.name).collect();
            assert_eq!(names[0], "id");
            assert_eq!(names[names.len() - 1], "deleted");
            let mut unique = names.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), names.len());
        }
    }
}

#[cfg(test)]
mod bench {
    use super::*;
    use std::time::Instant;

    /// Figures, not assertions: `cargo test -p marketing-api --release -- --ignored --nocapture`.
    /// Rows of 20 480 submissions written in export batches, against the same items as NDJSON.
    #[test]
    #[ignore]
    fn csv_rows_per_second_against_ndjson() {
        let items: Vec<Value> = (0..20_480).map(tests::submission).collect();
        let time = |name: &str, write: &dyn Fn(&[Value]) -> usize| {
            let best = (0..5)
                .map(|_| {
                    let started = Instant::now();
                    items.chunks(256).map(write).sum::<usize>();
                    started.elapsed().as_secs_f64()
                })
                .fold(f64::MAX, f64::min);
            println!("{name:>7}: {:>8.0} records/s", items.len() as f64 / best);
        };
        time("csv", &|batch| {
            let mut out = String::new();
            rows(&mut out, SUBMISSION_COLUMNS, batch);
            out.len()
        });
        time("ndjson", &|batch| crate::format::ndjson(batch).len());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the cells hold, a CSV parser reads the same cells back, except that a cell that would
        /// start a formula carries the `'` that defuses it.
        #[test]
        fn any_row_reads_back_as_the_same_cells(cells in proptest::collection::vec("\\PC{0,30}|[=+@,\"\r\n\t-]{0,5}", 1..8)) {
            let mut out = String::new();
            row(&mut out, cells.iter().cloned());
            let mut reader = ::csv::ReaderBuilder::new().has_headers(false).from_reader(out.as_bytes());
            let record = reader.records().next().expect("one row").expect("valid CSV");
            let read: Vec<&str> = record.iter().collect();
            let expected: Vec<String> = cells
                .iter()
                .map(|c| if c.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{c}") } else { c.clone() })
                .collect();
            prop_assert_eq!(read, expected);
        }
    }
}
