//! `POST /api/consent`: record one cookie-consent decision. The first decision gets a new pseudonymous
//! id; later ones with that id append to its history. Busiest endpoint of the product: one batch write.

use crate::config::ConsentConfig;
use http::{Response, StatusCode};
use http_body::Body;
use serde::Serialize;
use serde_json::{Map, Value};
use shared::capture::read_json_object;
use shared::domain::{PolicyVersion, TextHash, WebUrl};
use shared::http::{ApiError, FieldError, json_response};
use shared::ids::{is_id, new_id};
use shared::records::{Action, Actor, ConsentDecision, ConsentMethod, SCHEMA_VERSION};
use shared::store::{Backend, Event, Log, Store};
use shared::time::Timestamp;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Receipt<'a> {
    consent_id: &'a str,
    decisions: &'a BTreeMap<String, bool>,
    gpc: bool,
    expires_at: Timestamp,
    receipt_url: String,
    banner_version: &'a str,
}

/// A decision as sent, each field checked; `None` where a field was refused (its error is collected).
struct Input {
    consent_id: Option<String>,
    chosen: BTreeMap<String, bool>,
    banner_version: String,
    text_hash: String,
    locale: String,
    page_url: Option<String>,
    method: ConsentMethod,
}

pub async fn record_consent<B, K>(
    request: http::Request<B>,
    config: &ConsentConfig,
    store: &Store<K>,
) -> Result<Response<String>, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    K: Backend,
{
    let (visitor, body) = read_json_object(request, &config.capture).await?;
    let input = parse(config, body, visitor.received_at)?;
    let first = input.consent_id.is_none();
    let consent_id = match input.consent_id {
        Some(id) if store.consent_exists(&id).await? => id,
        Some(_) => {
            return Err(ApiError::Invalid(vec![FieldError::new(
                "consent_id",
                "unknown_id",
                "was never issued here",
            )]));
        }
        None => new_id(),
    };

    let banner = &config.banner;
    let mut decisions = BTreeMap::new();
    let mut gpc_refused = Vec::new();
    for category in &banner.shown.categories {
        let wanted = match input.method {
            _ if category.required => true,
            ConsentMethod::AcceptAll => true,
            ConsentMethod::RejectAll | ConsentMethod::Withdraw => false,
            ConsentMethod::Custom | ConsentMethod::Preferences => {
                input.chosen.get(&category.id).copied().unwrap_or(false)
            }
        };
        // Sec-GPC is a legally binding opt-out of selling and sharing (CCPA): it overrides the banner.
        let effective = wanted && !(visitor.gpc && category.sale_or_share);
        if wanted && !effective {
            gpc_refused.push(category.id.clone());
        }
        decisions.insert(category.id.clone(), effective);
    }
    let any_optional = banner
        .shown
        .categories
        .iter()
        .any(|c| !c.required && decisions[&c.id]);
    let lifetime_days = if any_optional {
        banner.lifetime_days
    } else {
        banner.refusal_lifetime_days
    };
    let now = visitor.received_at;
    let ip_truncated = visitor.client.truncated().to_string();
    let mut decision = ConsentDecision {
        v: SCHEMA_VERSION,
        consent_id: consent_id.clone(),
        n: 0,
        at: now,
        expires_at: now.plus_seconds(lifetime_days * 86_400),
        banner_version: input.banner_version,
        text_hash: input.text_hash,
        locale: input.locale,
        page_url: input.page_url,
        method: input.method,
        decisions,
        gpc: visitor.gpc,
        gpc_refused,
        user_agent: visitor
            .user_agent
            .map(|ua| ua.chars().filter(|c| !c.is_control()).take(512).collect()),
        country: shared::geo::lookup(visitor.client.ip()).map(|l| l.country().to_owned()),
        ip_truncated: ip_truncated.clone(),
    };
    let event = Event {
        log: Log::Consents,
        action: if first {
            Action::Captured
        } else {
            Action::Updated
        },
        actor: Actor::Visitor { ip_truncated },
        detail: None,
        at: now,
    };
    store.record_consent(&mut decision, first, event).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &Receipt {
            consent_id: &consent_id,
            decisions: &decision.decisions,
            gpc: decision.gpc,
            expires_at: decision.expires_at,
            receipt_url: format!("/api/consent/{consent_id}"),
            banner_version: &decision.banner_version,
        },
    ))
}

/// Checks every field of the body and names each one that is refused (422).
fn parse(
    config: &ConsentConfig,
    mut body: Map<String, Value>,
    now: Timestamp,
) -> Result<Input, ApiError> {
    let banner = &config.banner;
    let mut errors = Vec::new();
    let mut refuse = |field: &str, code: &'static str, message: &str| {
        errors.push(FieldError::new(field, code, message))
    };
    let text =
        |body: &mut Map<String, Value>,
         name: &str,
         refuse: &mut dyn FnMut(&str, &'static str, &str)| match body.remove(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                refuse(name, "invalid_type", "must be a string");
                None
            }
        };

    let consent_id = text(&mut body, "consent_id", &mut refuse);
    if consent_id.as_deref().is_some_and(|id| !is_id(id)) {
        refuse("consent_id", "invalid_id", "is not a consent id");
    }
    let version = text(&mut body, "banner_version", &mut refuse);
    let hash = text(&mut body, "text_hash", &mut refuse);
    let (version, hash) = match (
        version.as_deref().map(PolicyVersion::parse),
        hash.as_deref().map(TextHash::parse),
    ) {
        (Some(Ok(version)), Some(Ok(hash))) => {
            if !banner.accepts(&version, &hash, now) {
                let known = version.as_str() == banner.shown.banner_version;
                if known {
                    refuse(
                        "text_hash",
                        "text_mismatch",
                        "does not match the texts of this banner version",
                    );
                } else {
                    refuse(
                        "banner_version",
                        "unknown_version",
                        "is not a banner version in force",
                    );
                }
            }
            (version.as_str().to_owned(), hash.as_str().to_owned())
        }
        (version, hash) => {
            if !matches!(version, Some(Ok(_))) {
                refuse(
                    "banner_version",
                    "required",
                    "is required: the version of the banner shown",
                );
            }
            if !matches!(hash, Some(Ok(_))) {
                refuse(
                    "text_hash",
                    "required",
                    "is required: the text hash from the banner configuration",
                );
            }
            (String::new(), String::new())
        }
    };
    let locale = text(&mut body, "locale", &mut refuse).unwrap_or_default();
    if !banner.locales.contains(&locale) {
        refuse(
            "locale",
            "unknown_locale",
            "is not one of the banner's locales",
        );
    }
    let page_url =
        text(&mut body, "page_url", &mut refuse).and_then(|raw| match WebUrl::parse(&raw) {
            // The page, not its query or fragment: those may carry personal data (an email in a link).
            Ok(url) => url.as_str().split(['?', '#']).next().map(str::to_owned),
            Err(invalid) => {
                refuse("page_url", invalid.code, &invalid.message);
                None
            }
        });
    let method = match text(&mut body, "method", &mut refuse).as_deref() {
        Some("accept_all") => Some(ConsentMethod::AcceptAll),
        Some("reject_all") => Some(ConsentMethod::RejectAll),
        Some("custom") => Some(ConsentMethod::Custom),
        Some("preferences") => Some(ConsentMethod::Preferences),
        Some("withdraw") => Some(ConsentMethod::Withdraw),
        _ => {
            refuse(
                "method",
                "invalid_method",
                "must be accept_all, reject_all, custom, preferences or withdraw",
            );
            None
        }
    };
    let mut chosen = BTreeMap::new();
    match body.remove("decisions") {
        Some(Value::Object(map)) => {
            for (id, value) in map {
                let field = format!("decisions.{id}");
                match (banner.category(&id), value) {
                    (None, _) => refuse(
                        &field,
                        "unknown_category",
                        "is not a cookie category of this banner",
                    ),
                    (Some(category), Value::Bool(false)) if category.required => refuse(
                        &field,
                        "required_category",
                        "is strictly necessary and cannot be refused",
                    ),
                    (Some(_), Value::Bool(granted)) => {
                        chosen.insert(id, granted);
                    }
                    (Some(_), _) => refuse(&field, "invalid_type", "must be true or false"),
                }
            }
        }
        None => refuse(
            "decisions",
            "required",
            "is required: one true/false per category",
        ),
        Some(_) => refuse(
            "decisions",
            "invalid_type",
            "must be an object of category: true/false",
        ),
    }
    for (name, _) in body {
        refuse(
            &name,
            "unknown_field",
            "is not a field of a consent decision",
        );
    }
    match (errors.is_empty(), method) {
        (true, Some(method)) => Ok(Input {
            consent_id,
            chosen,
            banner_version: version,
            text_hash: hash,
            locale,
            page_url,
            method,
        }),
        _ => Err(ApiError::Invalid(errors)),
    }
}
