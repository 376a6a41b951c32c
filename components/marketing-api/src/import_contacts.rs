//! `POST /api/v1/contacts/import` (`contacts:write`): contacts from another source, as JSON
//! (`{"source": {...}, "contacts": [{...}]}`) or as CSV with a header row and the source in query
//! parameters (`source_name`, `source_kind`, `obtained_at`, `public`, `legal_basis`). Up to 10,000
//! contacts a call; each row is parsed by the forms' own parsers, and a bad row is listed in `rejected`
//! (its index, field and code) without refusing the rest: the answer is 200 with what was done. A body
//! that is not a list of contacts (a row that is not an object, a value that is not text), a missing or
//! bad source, an empty or too long list is refused whole with 422 naming the place.

use crate::auth::{CONTACTS_WRITE, require};
use crate::config::ApiConfig;
use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode, header};
use http_body_util::Full;
use serde_json::Value;
use shared::contacts::import::{
    FIELDS, ImportReport, MAX_CONTACTS, RawSource, Rejection, Row, import, parse_source,
};
use shared::domain::ContactSource;
use shared::http::{ApiError, FieldError, json_response, read_body};
use shared::records::ApiKey;
use shared::store::{Backend, Store};
use shared::time::Timestamp;

/// The largest body read: 10,000 contacts of every field at its longest would not fit, but a real
/// list (a few hundred bytes a contact) does many times over.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The media types this endpoint reads.
const ACCEPTED: &str = "application/json, text/csv";

pub async fn import_contacts<B: Backend>(
    headers: &HeaderMap,
    query: Option<&str>,
    body: Full<Bytes>,
    key: &ApiKey,
    config: &ApiConfig,
    store: &Store<B>,
    now: Timestamp,
) -> Result<Response<String>, ApiError> {
    require(key, CONTACTS_WRITE)?;
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let (source, rows) = match media.as_str() {
        "application/json" => {
            let body = read_body(headers, body, MAX_BODY).await?;
            from_json(&body, now)?
        }
        "text/csv" => {
            let body = read_body(headers, body, MAX_BODY).await?;
            from_csv(&body, query, now)?
        }
        _ => return Err(ApiError::UnsupportedMediaType { accepted: ACCEPTED }),
    };
    if rows.is_empty() {
        return Err(invalid("contacts", "empty", "holds no contact"));
    }
    if rows.len() > MAX_CONTACTS {
        return Err(invalid(
            "contacts",
            "too_many",
            format!("at most {MAX_CONTACTS} contacts a call"),
        ));
    }
    let report: ImportReport = import(store, &config.privacy, &source, rows, &key.id, now).await?;
    Ok(json_response(StatusCode::OK, &report))
}

/// 422 naming `contacts[index]` or `contacts[index].field`: the body is not a list of contacts.
fn not_a_contact(index: usize, field: Option<&str>, code: &'static str) -> ApiError {
    let place = match field {
        Some(field) => format!("contacts[{index}].{field}"),
        None => format!("contacts[{index}]"),
    };
    let message = match field {
        Some(_) => "must be text or null",
        None => "must be an object of text fields",
    };
    invalid(place, code, message)
}

/// 422 naming one field.
fn invalid(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(vec![FieldError::new(field, code, message)])
}

fn bad_json(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_json",
        message: message.into(),
    }
}

type Parsed = (ContactSource, Vec<Result<Row, Rejection>>);

fn from_json(body: &[u8], now: Timestamp) -> Result<Parsed, ApiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad_json(format!("not JSON: {e}")))?;
    let Value::Object(top) = value else {
        return Err(bad_json("the body must be a JSON object"));
    };
    if let Some(unknown) = top
        .keys()
        .find(|k| !["source", "contacts"].contains(&k.as_str()))
    {
        return Err(invalid(
            unknown.as_str(),
            "unknown_field",
            "is not a field (source, contacts)",
        ));
    }
    let empty = serde_json::Map::new();
    let source = match top.get("source") {
        Some(Value::Object(source)) => source,
        None => &empty,
        Some(_) => {
            return Err(invalid("source", "invalid_type", "must be an object"));
        }
    };
    const PARTS: [&str; 5] = ["name", "kind", "obtained_at", "public", "legal_basis"];
    if let Some(unknown) = source.keys().find(|k| !PARTS.contains(&k.as_str())) {
        return Err(invalid(
            format!("source.{unknown}"),
            "unknown_field",
            "is not a part of a source (name, kind, obtained_at, public, legal_basis)",
        ));
    }
    // `public` is a JSON boolean, the rest are text; anything else is refused by name.
    let mut parts: Vec<Option<String>> = Vec::new();
    for name in PARTS {
        let part = match (name, source.get(name)) {
            (_, None | Some(Value::Null)) => None,
            ("public", Some(Value::Bool(b))) => Some(b.to_string()),
            ("public", Some(_)) => {
                return Err(invalid(
                    "source.public",
                    "invalid_type",
                    "must be true or false",
                ));
            }
            (_, Some(Value::String(text))) => Some(text.clone()),
            (_, Some(_)) => {
                return Err(invalid(
                    format!("source.{name}"),
                    "invalid_type",
                    "must be text",
                ));
            }
        };
        parts.push(part);
    }
    let source = parse_source(
        RawSource {
            name: ("source.name", parts[0].as_deref()),
            kind: ("source.kind", parts[1].as_deref()),
            obtained_at: ("source.obtained_at", parts[2].as_deref()),
            public: ("source.public", parts[3].as_deref()),
            legal_basis: ("source.legal_basis", parts[4].as_deref()),
        },
        now,
    )
    .map_err(ApiError::Invalid)?;
    let contacts = match top.get("contacts") {
        Some(Value::Array(contacts)) => contacts,
        _ => {
            return Err(invalid(
                "contacts",
                "required",
                "must be a list of contacts",
            ));
        }
    };
    if contacts.len() > MAX_CONTACTS {
        return Err(invalid(
            "contacts",
            "too_many",
            format!("at most {MAX_CONTACTS} contacts a call"),
        ));
    }
    let mut rows = Vec::with_capacity(contacts.len());
    for (index, contact) in contacts.iter().enumerate() {
        let Value::Object(fields) = contact else {
            return Err(not_a_contact(index, None, "not_an_object"));
        };
        let mut cells = Vec::with_capacity(fields.len());
        for (name, value) in fields {
            let cell = match value {
                Value::String(s) => s.as_str(),
                Value::Null => "",
                _ => return Err(not_a_contact(index, Some(name), "not_a_string")),
            };
            cells.push((name.as_str(), cell));
        }
        rows.push(Row::parse(index, cells));
    }
    Ok((source, rows))
}

fn from_csv(body: &[u8], query: Option<&str>, now: Timestamp) -> Result<Parsed, ApiError> {
    let params: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let source = parse_source(
        RawSource {
            name: ("source_name", param("source_name")),
            kind: ("source_kind", param("source_kind")),
            obtained_at: ("obtained_at", param("obtained_at")),
            public: ("public", param("public")),
            legal_basis: ("legal_basis", param("legal_basis")),
        },
        now,
    )
    .map_err(ApiError::Invalid)?;
    let bad_csv = |e: csv::Error| ApiError::BadRequest {
        code: "invalid_csv",
        message: format!("not CSV with a header row: {e}"),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body));
    let header: Vec<String> = reader
        .headers()
        .map_err(bad_csv)?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if let Some(unknown) = header.iter().find(|h| !FIELDS.contains(&h.as_str())) {
        return Err(invalid(
            format!("header.{unknown}"),
            "unknown_field",
            format!("is not a column ({})", FIELDS.join(", ")),
        ));
    }
    if !header.iter().any(|h| h == "email") {
        return Err(invalid(
            "header.email",
            "required",
            "the header row must name an email column",
        ));
    }
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        if index >= MAX_CONTACTS {
            return Err(invalid(
                "contacts",
                "too_many",
                format!("at most {MAX_CONTACTS} contacts a call"),
            ));
        }
        let record = record.map_err(bad_csv)?;
        // A row with more or fewer cells than the header (a ragged export) is refused alone.
        if record.len() != header.len() {
            rows.push(Err(Rejection {
                index,
                field: "row".into(),
                code: "wrong_cell_count",
            }));
            continue;
        }
        rows.push(Row::parse(
            index,
            header
                .iter()
                .zip(record.iter())
                .map(|(name, value)| (name.as_str(), value)),
        ));
    }
    Ok((source, rows))
}
