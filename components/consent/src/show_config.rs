//! `GET /api/consent/config`: what the banner renders for this visitor (the regime of their region,
//! Google Consent Mode settings), with the hash of exactly that.

use crate::config::ConsentConfig;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::Serialize;
use shared::capture::{Category, ConsentMode, client_ip};
use shared::domain::Regime;
use shared::http::{json_response, last_header};
use std::collections::BTreeMap;

#[derive(Serialize)]
struct BannerConfig<'a> {
    banner_version: &'a str,
    /// `sha256:` of the canonical JSON of `banner_version`, `categories`, `consent_mode`, `regime` and
    /// `texts`, as here.
    text_hash: &'a str,
    /// `opt_in`: nothing but the strictly necessary before a choice; `opt_out`: a notice with "Do not
    /// sell or share" (from the country of the visitor's address).
    regime: Regime,
    /// The request carried `Sec-GPC: 1`: the banner shows that the opt-out request is honoured.
    gpc: bool,
    lifetime_days: i64,
    refusal_lifetime_days: i64,
    locales: &'a [String],
    categories: &'a [Category],
    consent_mode: &'a ConsentMode,
    texts: &'a BTreeMap<String, BTreeMap<String, String>>,
}

pub fn show_config(headers: &HeaderMap, config: &ConsentConfig) -> Response<String> {
    let banner = &config.banner;
    // An address that cannot be read (a proxy header out of place) is an unknown country: opt-in.
    let regime = client_ip(headers, &config.capture)
        .map_or(Regime::OptIn, |client| banner.regime_for(client.ip()));
    let mut response = json_response(
        StatusCode::OK,
        &BannerConfig {
            banner_version: &banner.shown.banner_version,
            text_hash: banner.text_hash(regime).as_str(),
            regime,
            gpc: last_header(headers, "sec-gpc").is_some_and(|v| v.trim() == "1"),
            lifetime_days: banner.lifetime_days,
            refusal_lifetime_days: banner.refusal_lifetime_days,
            locales: &banner.locales,
            categories: &banner.shown.categories,
            consent_mode: &banner.shown.consent_mode,
            texts: &banner.shown.texts,
        },
    );
    // It depends on the visitor's address and signal: browsers may keep it briefly, shared caches not.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Sec-GPC"));
    response
}
