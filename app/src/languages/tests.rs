//! Every language has every message, with the same placeholders.

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

const LANGUAGES: [&str; 4] = ["en", "es", "de", "ar"];

/// Every message id of a locale file with its `{{ placeholders }}`.
fn messages(lang: &str) -> BTreeMap<String, Vec<String>> {
    let path = format!("{}/locales/{lang}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out = BTreeMap::new();
    flatten("", &json, &mut out);
    out
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Vec<String>>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let id = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&id, value, out);
            }
        }
        Value::String(text) => {
            let mut placeholders: Vec<String> = text
                .split("{{")
                .skip(1)
                .filter_map(|rest| rest.split_once("}}"))
                .map(|(name, _)| name.trim().to_string())
                .collect();
            placeholders.sort();
            assert!(!text.trim().is_empty(), "{prefix} is empty");
            out.insert(prefix.to_string(), placeholders);
        }
        other => panic!("{prefix}: a message must be text, not {other}"),
    }
}

#[test]
fn every_language_has_every_message_with_the_same_placeholders() {
    let english = messages("en");
    assert!(english.len() > 100, "the English file lost its messages");
    for lang in &LANGUAGES[1..] {
        let other = messages(lang);
        let missing: Vec<_> = english.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !english.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        assert!(extra.is_empty(), "{lang} has ids English lacks: {extra:?}");
        for (id, placeholders) in &english {
            assert_eq!(
                &other[id], placeholders,
                "{lang}: {id} has other placeholders"
            );
        }
    }
}

#[test]
fn every_error_code_has_a_message_in_every_language() {
    for locale in [Locale::en, Locale::es, Locale::de, Locale::ar] {
        for code in crate::opencti::error::EVERY_CODE {
            let message = code_message(locale, code);
            assert!(
                !message.is_empty() && !message.contains("{{"),
                "{locale:?} {code}"
            );
        }
    }
    assert!(code_message(Locale::de, ErrorCode::HttpError(408)).contains("408"));
}

#[test]
fn english_keeps_the_servers_exact_message_and_others_translate_the_code() {
    let error = OpenCtiError::invalid_state("hold needs a connected call");
    assert_eq!(
        error_message(Locale::en, &error),
        "hold needs a connected call"
    );
    assert_eq!(
        error_message(Locale::es, &error),
        "La llamada o el agente no están en un estado que lo permita."
    );
}

#[test]
fn language_names_and_directions() {
    assert_eq!("ar".parse::<Locale>().ok(), Some(Locale::ar));
    assert_eq!(direction(Locale::ar), "rtl");
    assert_eq!(direction(Locale::de), "ltr");
    assert!("fr".parse::<Locale>().is_err());
}

#[cfg(feature = "ssr")]
#[test]
fn the_page_language_is_lang_then_the_browsers_then_english() {
    let choose = |uri: &str, accept: Option<&str>| {
        let mut request = http::Request::builder().uri(uri);
        if let Some(accept) = accept {
            request = request.header(http::header::ACCEPT_LANGUAGE, accept);
        }
        let (parts, ()) = request.body(()).expect("a valid request").into_parts();
        for_request(&parts)
    };
    assert_eq!(choose("/?lang=ar", Some("de")), Locale::ar);
    assert_eq!(choose("/embed?agentId=1001&lang=es", None), Locale::es);
    // An unknown or malformed `lang` falls through to the browser's.
    assert_eq!(choose("/?lang=fr", Some("de-AT,de;q=0.9")), Locale::de);
    assert_eq!(choose("/?lang=", Some("es-MX")), Locale::es);
    // By quality, not by order; the first we speak wins.
    assert_eq!(choose("/", Some("fr;q=1, ar;q=0.5, de;q=0.8")), Locale::de);
    assert_eq!(choose("/", Some("fr, ja")), Locale::en);
    assert_eq!(choose("/", Some(";;q=x,,*-*")), Locale::en);
    assert_eq!(choose("/", None), Locale::en);
}
