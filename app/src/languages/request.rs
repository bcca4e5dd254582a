//! Choosing a page's language from its request (server only).

use http::{header::ACCEPT_LANGUAGE, request::Parts};
use leptos_i18n::Locale as _;

use super::Locale;

/// `?lang=` when it names one of our languages (the embedding parameter
/// `lang` arrives the same way), else the best of the browser's languages
/// (`Accept-Language`), else English.
pub fn for_request(parts: &Parts) -> Locale {
    let asked = parts.uri.query().and_then(|query| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == "lang")
            .and_then(|(_, value)| value.parse::<Locale>().ok())
    });
    asked.unwrap_or_else(|| {
        let header = parts
            .headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        // Sorted by quality; leptos_i18n matches the first it can (`de-AT` → `de`).
        Locale::find_locale(&accept_language::parse(header))
    })
}
