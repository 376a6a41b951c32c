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

/// Where a column's cells come from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// The value at a JSON pointer into the item.
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

const fn at(name: &'static str, pointer: &'static str) -> Column {
    Column {
        name,
        source: Source::At(pointer),
    }
}

const DELETED: Column = Column {
    name: "deleted",
    source: Source::Deleted,
};

/// The columns of `submissions`.
pub const SUBMISSION_COLUMNS: &[Column] = &[
    at("id", "/id"),
    at("received_at", "/received_at"),
    at("form", "/form"),
    at("kind", "/kind"),
    at("name", "/contact/name"),
    at("email", "/contact/email"),
    at("company", "/contact/company"),
    at("title", "/contact/title"),
    at("phone", "/contact/phone"),
    at("country", "/contact/country"),
    at("message", "/contact/message"),
    at("page_url", "/visit/page_url"),
    at("referrer", "/visit/referrer"),
    at("utm_source", "/visit/utm/utm_source"),
    at("utm_medium", "/visit/utm/utm_medium"),
    at("utm_campaign", "/visit/utm/utm_campaign"),
    at("utm_term", "/visit/utm/utm_term"),
    at("utm_content", "/visit/utm/utm_content"),
    at("ip", "/origin/ip"),
    at("ip_truncated", "/origin/ip_truncated"),
    at("country_code", "/origin/location/country"),
    at("eu", "/origin/location/eu"),
    at("policy_version", "/consent/policy_version"),
    at("text_hash", "/consent/text_hash"),
    at("consents", "/consent/choices"),
    at("gpc", "/consent/gpc"),
    at("spam", "/spam"),
    at("do_not_contact", "/do_not_contact"),
    DELETED,
];

/// The columns of `subscribers` (the network origin is the latest signup's).
pub const SUBSCRIBER_COLUMNS: &[Column] = &[
    at("id", "/id"),
    at("email", "/email"),
    at("name", "/name"),
    at("lists", "/lists"),
    at("status", "/status"),
    at("signed_up_at", "/signed_up/at"),
    at("confirmed_at", "/confirmed/at"),
    at("unsubscribed_at", "/unsubscribed_at"),
    at("page_url", "/visit/page_url"),
    at("referrer", "/visit/referrer"),
    at("utm_source", "/visit/utm/utm_source"),
    at("utm_medium", "/visit/utm/utm_medium"),
    at("utm_campaign", "/visit/utm/utm_campaign"),
    at("utm_term", "/visit/utm/utm_term"),
    at("utm_content", "/visit/utm/utm_content"),
    at("ip", "/signed_up/origin/ip"),
    at("ip_truncated", "/signed_up/origin/ip_truncated"),
    at("country_code", "/signed_up/origin/location/country"),
    at("eu", "/signed_up/origin/location/eu"),
    at("policy_version", "/consent/policy_version"),
    at("text_hash", "/consent/text_hash"),
    at("consents", "/consent/choices"),
    at("gpc", "/consent/gpc"),
    at("spam", "/spam"),
    DELETED,
];

/// The columns of `demo-requests`.
pub const DEMO_REQUEST_COLUMNS: &[Column] = &[
    at("id", "/id"),
    at("received_at", "/received_at"),
    at("status", "/status"),
    at("name", "/contact/name"),
    at("email", "/contact/email"),
    at("company", "/contact/company"),
    at("title", "/contact/title"),
    at("phone", "/contact/phone"),
    at("country", "/contact/country"),
    at("message", "/contact/message"),
    at("preferred_time", "/preferred_time"),
    at("free_mail", "/free_mail"),
    at("page_url", "/visit/page_url"),
    at("referrer", "/visit/referrer"),
    at("utm_source", "/visit/utm/utm_source"),
    at("utm_medium", "/visit/utm/utm_medium"),
    at("utm_campaign", "/visit/utm/utm_campaign"),
    at("utm_term", "/visit/utm/utm_term"),
    at("utm_content", "/visit/utm/utm_content"),
    at("ip", "/origin/ip"),
    at("ip_truncated", "/origin/ip_truncated"),
    at("country_code", "/origin/location/country"),
    at("eu", "/origin/location/eu"),
    at("policy_version", "/consent/policy_version"),
    at("text_hash", "/consent/text_hash"),
    at("consents", "/consent/choices"),
    at("gpc", "/consent/gpc"),
    at("spam", "/spam"),
    at("do_not_contact", "/do_not_contact"),
    DELETED,
];

/// The columns of `consents`: one row per decision, `id` being the consent id (no full IP is ever kept).
pub const CONSENT_COLUMNS: &[Column] = &[
    at("id", "/id"),
    at("n", "/n"),
    at("at", "/at"),
    at("expires_at", "/expires_at"),
    at("method", "/method"),
    at("decisions", "/decisions"),
    at("gpc", "/gpc"),
    at("gpc_refused", "/gpc_refused"),
    at("banner_version", "/banner_version"),
    at("text_hash", "/text_hash"),
    at("locale", "/locale"),
    at("page_url", "/page_url"),
    at("ip_truncated", "/ip_truncated"),
    at("country_code", "/country"),
    DELETED,
];

/// The columns of `opt-outs`: the registry holds pseudonyms, never addresses (match a list with
/// `POST /api/v1/opt-outs/check`).
pub const OPT_OUT_COLUMNS: &[Column] = &[
    at("id", "/id"),
    at("channel", "/channel"),
    at("at", "/at"),
    at("source", "/source"),
    at("lifted_at", "/lifted_at"),
    DELETED,
];

/// The columns of `privacy-requests`.
pub const PRIVACY_REQUEST_COLUMNS: &[Column] = &[
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
];

/// A whole CSV document: the header row, then one row per item, every line ending in CRLF.
pub fn document(columns: &[Column], items: &[Value]) -> String {
    let mut out = String::new();
    header(&mut out, columns);
    rows(&mut out, columns, items);
    out
}

/// Appends the header row.
pub fn header(out: &mut String, columns: &[Column]) {
    row(out, columns.iter().map(|c| c.name.to_owned()));
}

/// Appends one row per item.
pub fn rows(out: &mut String, columns: &[Column], items: &[Value]) {
    for item in items {
        row(out, columns.iter().map(|c| cell(item, c.source)));
    }
}

/// Appends one row of `cells`, each escaped, and a CRLF. A row that would be an empty line (one empty
/// cell) is written as `""`, since readers skip empty lines.
pub fn row(out: &mut String, cells: impl IntoIterator<Item = String>) {
    let start = out.len();
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, &cell);
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
    let quoted = cell.contains([',', '"', '\r', '\n']);
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    if quoted {
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

/// The text of one cell of `item`.
fn cell(item: &Value, source: Source) -> String {
    match source {
        Source::Deleted => {
            let deleted = item.get("deleted").and_then(Value::as_bool) == Some(true);
            deleted.to_string()
        }
        Source::At(pointer) => item.pointer(pointer).map(text).unwrap_or_default(),
    }
}

/// A JSON value as cell text.
fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(";"),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect::<Vec<_>>()
            .join(";"),
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
        let columns = [at("id", "/id"), at("name", "/contact/name"), DELETED];
        let items = [
            json!({"id": "a", "contact": {"name": "Ada\nLovelace"}}),
            json!({"id": "b", "deleted": true}),
        ];
        assert_eq!(
            document(&columns, &items),
            "id,name,deleted\r\na,\"Ada\nLovelace\",false\r\nb,,true\r\n"
        );
        assert_eq!(document(&columns, &[]), "id,name,deleted\r\n");
    }

    #[test]
    fn lists_and_maps_flatten_into_one_cell() {
        let item = json!({"lists": ["events", "news"], "choices": {"a": true, "b": false}, "n": 3});
        assert_eq!(cell(&item, Source::At("/lists")), "events;news");
        assert_eq!(cell(&item, Source::At("/choices")), "a=true;b=false");
        assert_eq!(cell(&item, Source::At("/n")), "3");
        assert_eq!(cell(&item, Source::At("/missing")), "");
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
        ] {
            assert_eq!(columns[0].name, "id");
            assert_eq!(columns[columns.len() - 1].name, "deleted");
            let mut names: Vec<_> = columns.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), columns.len());
        }
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
