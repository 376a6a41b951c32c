//! `GET /api/consent/config`: what the banner renders, with the hash of exactly those texts.

use crate::config::ConsentConfig;
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;
use shared::capture::Category;
use shared::http::json_response;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct BannerConfig<'a> {
    banner_version: &'a str,
    text_hash: &'a str,
    lifetime_days: i64,
    refusal_lifetime_days: i64,
    locales: &'a [String],
    categories: &'a [Category],
    texts: &'a BTreeMap<String, BTreeMap<String, String>>,
}

pub fn show_config(config: &ConsentConfig) -> Response<String> {
    let banner = &config.banner;
    let mut response = json_response(
        StatusCode::OK,
        &BannerConfig {
            banner_version: &banner.shown.banner_version,
            text_hash: banner.text_hash.as_str(),
            lifetime_days: banner.lifetime_days,
            refusal_lifetime_days: banner.refusal_lifetime_days,
            locales: &banner.locales,
            categories: &banner.shown.categories,
            texts: &banner.shown.texts,
        },
    );
    // The same for every visitor and changed only by a deploy: let browsers and CDNs keep it briefly.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}
