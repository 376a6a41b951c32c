//! `POST /api/consent`: record one cookie-consent decision. The first decision gets a new pseudonymous
//! id; later ones with that id append to its history. Busiest endpoint of the product: one batch write.

use crate::config::ConsentConfig;
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;
use shared::body::{BodyRules, FieldReader};
use shared::capture::{Cited, Intake, honour_linked};
use shared::domain::{
    ConsentModeType, GppSectionIds, GppString, Grant, Invalid, PolicyVersion, Regime, TcString,
    TextHash, WebUrl,
};
use shared::http::{ApiError, json_response};
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
    /// The decision came with Global Privacy Control and sale and sharing were refused (§7025(c)(6)).
    gpc_honored: bool,
    /// What the banner tells Google Consent Mode (`gtag('consent', 'update', ...)`).
    consent_mode: &'a BTreeMap<ConsentModeType, Grant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    regime: Option<Regime>,
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
    /// Which banner the cited version and hash name.
    cited: Cited,
    locale: String,
    page_url: Option<String>,
    method: ConsentMethod,
    /// The site's own CMP strings, kept as proof.
    tc_string: Option<TcString>,
    gpp_string: Option<GppString>,
    gpp_sid: Option<GppSectionIds>,
    /// Global Privacy Control: `Sec-GPC: 1`, or `gpc: true` (`navigator.globalPrivacyControl`, for a
    /// browser that has the flag but did not send the header).
    gpc: bool,
}

pub async fn record_consent<K: Backend>(
    request: http::Request<Full<Bytes>>,
    config: &ConsentConfig,
    store: &Store<K>,
) -> Result<Response<String>, ApiError> {
    // JSON only: the banner's script sends the decisions as an object.
    let rules = BodyRules::json().maps(&["decisions"]);
    let mut intake = Intake::read_as(request, &config.capture, &rules).await?;
    let input = parse(config, &mut intake.fields, intake.received_at, intake.gpc)?;
    let first = input.consent_id.is_none();
    let gpc = input.gpc;
    let consent_id = match input.consent_id {
        Some(id) if store.consent_exists(&id).await? => id,
        // A well-formed id this store never issued (or has forgotten): no such consent record.
        Some(_) => return Err(ApiError::NotFound),
        None => new_id(),
    };

    let banner = &config.banner;
    // What the visitor may keep despite the signal (§7025(c)(3)): asked about the conflict, what the
    // signal just overrode in this browser's latest decision; later, what was kept then.
    let keepable: Vec<String> = match store.latest_consent(&consent_id).await? {
        Some(latest) if gpc && !first => match input.method {
            ConsentMethod::KeepEarlierChoice => latest.gpc_refused,
            _ => latest.gpc_kept,
        },
        _ => Vec::new(),
    };
    let mut decisions = BTreeMap::new();
    let (mut gpc_refused, mut gpc_kept) = (Vec::new(), Vec::new());
    for category in &banner.shown.categories {
        let wanted = match input.method {
            _ if category.required => true,
            ConsentMethod::AcceptAll => true,
            ConsentMethod::RejectAll | ConsentMethod::Withdraw => false,
            ConsentMethod::DoNotSellOrShare => !category.sale_or_share,
            ConsentMethod::Custom
            | ConsentMethod::Preferences
            | ConsentMethod::KeepEarlierChoice
            | ConsentMethod::GpcSignal => input.chosen.get(&category.id).copied().unwrap_or(false),
        };
        // Sec-GPC is a legally binding opt-out of selling and sharing (CCPA): it overrides the banner,
        // unless the visitor, asked about the conflict, keeps what they granted before (§7025(c)(3)).
        let signal = wanted && gpc && category.sale_or_share;
        let kept = signal && keepable.contains(&category.id);
        if kept {
            gpc_kept.push(category.id.clone());
        } else if signal {
            gpc_refused.push(category.id.clone());
        }
        decisions.insert(category.id.clone(), wanted && (!signal || kept));
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
    let now = intake.received_at;
    let ip_truncated = intake.client.truncated().to_string();
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
        decisions: decisions.clone(),
        gpc,
        gpc_refused,
        gpc_kept,
        regime: match input.cited {
            Cited::Current(regime) => Some(regime),
            Cited::Previous => None,
        },
        consent_mode: banner.consent_mode(&decisions),
        user_agent: intake
            .user_agent
            .map(|ua| ua.chars().filter(|c| !c.is_control()).take(512).collect()),
        country: shared::geo::lookup(intake.client.ip()).map(|l| l.country().to_owned()),
        ip_truncated: ip_truncated.clone(),
        tc_string: input.tc_string.map(|s| s.as_str().to_owned()),
        gpp_string: input.gpp_string.map(|s| s.as_str().to_owned()),
        gpp_sid: input.gpp_sid.map(|ids| ids.ids().to_vec()),
    };
    let actor = Actor::Visitor { ip_truncated };
    let event = Event::by(
        actor.clone(),
        Log::Consents,
        if first {
            Action::Captured
        } else {
            Action::Updated
        },
        None,
        now,
    );
    store.record_consent(&mut decision, first, event).await?;
    if decision.gpc_honored() && !first {
        // The people this browser's id was sent with are opted out too.
        honour_linked(store, &consent_id, &actor, now).await?;
    }
    Ok(json_response(
        StatusCode::CREATED,
        &Receipt {
            consent_id: &consent_id,
            decisions: &decision.decisions,
            gpc: decision.gpc,
            gpc_honored: decision.gpc_honored(),
            consent_mode: &decision.consent_mode,
            regime: decision.regime,
            expires_at: decision.expires_at,
            receipt_url: format!("/api/consent/{consent_id}"),
            banner_version: &decision.banner_version,
        },
    ))
}

/// Checks every field of the body and names each one that is refused (422).
fn parse(
    config: &ConsentConfig,
    fields: &mut FieldReader,
    now: Timestamp,
    header_gpc: bool,
) -> Result<Input, ApiError> {
    let banner = &config.banner;
    let consent_id = fields.optional("consent_id", |raw| {
        if is_id(raw) {
            Ok(raw.to_owned())
        } else {
            Err(Invalid::new("invalid_id", "is not a consent id"))
        }
    });
    let version = fields.required("banner_version", PolicyVersion::parse);
    let hash = fields.required("text_hash", TextHash::parse);
    let cited = match (&version, &hash) {
        (Some(version), Some(hash)) => banner.cited(version, hash, now),
        _ => None,
    };
    if let (Some(version), Some(_), None) = (&version, &hash, cited) {
        if version.as_str() == banner.shown.banner_version {
            fields.reject(
                "text_hash",
                "text_mismatch",
                "does not match the texts of this banner version",
            );
        } else {
            fields.reject(
                "banner_version",
                "unknown_version",
                "is not a banner version in force",
            );
        }
    }
    let locale = fields.required("locale", |raw| {
        if banner.locales.iter().any(|l| l == raw) {
            Ok(raw.to_owned())
        } else {
            Err(Invalid::new(
                "unknown_locale",
                "is not one of the banner's locales",
            ))
        }
    });
    let page_url = fields.optional("page_url", |raw| {
        // The page, not its query or fragment: those may carry personal data (an email in a link).
        WebUrl::parse(raw).map(|url| {
            url.as_str()
                .split(['?', '#'])
                .next()
                .unwrap_or_default()
                .to_owned()
        })
    });
    let method = fields.required("method", ConsentMethod::parse);
    // Read whether or not the header came: an unread field would be refused as unknown.
    let flag = fields.tick("gpc").unwrap_or(false);
    let gpc = header_gpc || flag;
    match method {
        Some(ConsentMethod::DoNotSellOrShare)
            if cited.is_some_and(|c| c != Cited::Current(Regime::OptOut)) =>
        {
            fields.reject(
                "method",
                "not_offered",
                "do_not_sell_or_share is offered by the opt-out notice only: cite its text_hash",
            );
        }
        Some(ConsentMethod::KeepEarlierChoice | ConsentMethod::GpcSignal)
            if consent_id.is_none() =>
        {
            fields.reject(
                "method",
                "earlier_choice_needed",
                "needs the consent_id of the earlier choice",
            )
        }
        Some(ConsentMethod::GpcSignal) if !gpc => fields.reject(
            "method",
            "signal_needed",
            "gpc_signal needs Global Privacy Control (Sec-GPC: 1 or gpc: true)",
        ),
        _ => {}
    }
    let tc_string = fields.optional("tc_string", TcString::parse);
    let gpp_string = fields.optional("gpp_string", GppString::parse);
    let gpp_sid = fields.optional("gpp_sid", GppSectionIds::parse);
    // No entry for a category is no choice of it: refused unless the method grants every category.
    let chosen: BTreeMap<String, bool> = fields
        .flag_map("decisions", |id, granted| {
            let category = banner.category(id).ok_or_else(|| {
                Invalid::new(
                    "unknown_category",
                    "is not a cookie category of this banner",
                )
            })?;
            match granted {
                Some(false) if category.required => Err(Invalid::new(
                    "required_category",
                    "is strictly necessary and cannot be refused",
                )),
                // `None`: sent as `null`, a category left out.
                granted => Ok(granted),
            }
        })
        .into_iter()
        .filter_map(|(id, granted)| granted.map(|granted| (id, granted)))
        .collect();
    fields.finish_with("is not a field of a consent decision")?;
    let (Some(version), Some(hash), Some(cited), Some(locale), Some(method)) =
        (version, hash, cited, locale, method)
    else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "a consent decision passed without its required fields"
        )));
    };
    Ok(Input {
        consent_id,
        chosen,
        banner_version: version.as_str().to_owned(),
        text_hash: hash.as_str().to_owned(),
        cited,
        locale,
        page_url,
        method,
        tc_string,
        gpp_string,
        gpp_sid,
        gpc,
    })
}
