//! The panel's languages: English, Spanish, German and Arabic, compiled in
//! from `app/locales/*.json` by leptos_i18n (keys checked at compile time).
//!
//! The server chooses the language of a page once, from `?lang=` (which the
//! embedding parameter `lang` sets), else the browser's languages
//! (`Accept-Language`), else English ([`for_request`], SSR only), and names
//! it in `<html lang dir>`. Hydration reads it back from there, so the
//! server's text and the hydrated text are the same, with no flash.

#[cfg(feature = "ssr")]
mod request;

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

use leptos::prelude::*;

pub use i18n::Locale;
pub use leptos_i18n::Locale as _;
#[cfg(feature = "ssr")]
pub use request::for_request;

use crate::opencti::{ErrorCode, OpenCtiError};

/// The page's language: provided by the shell on the server, read from
/// `<html lang>` in the browser, English when neither says.
pub fn use_locale() -> Locale {
    use_context::<Locale>().unwrap_or_default()
}

/// The language the server wrote into `<html lang>`; `None` outside the
/// browser (the server renders routes without a document, e.g. when it
/// lists them at start-up).
pub fn from_document() -> Option<Locale> {
    if !cfg!(feature = "hydrate") {
        return None;
    }
    let lang = web_sys::window()?
        .document()?
        .document_element()?
        .get_attribute("lang")?;
    lang.parse().ok()
}

/// `ltr` or `rtl`, for `<html dir>`.
pub fn direction(locale: Locale) -> &'static str {
    leptos_i18n::Locale::direction(locale).as_str()
}

/// What the panel says for a failed action. The servers' messages are
/// English and name the exact problem, so English shows them as they are;
/// other languages show their translation of the error code's meaning (the
/// code itself is shown beside it, unchanged).
pub fn error_message(locale: Locale, error: &OpenCtiError) -> String {
    if locale == Locale::en && !error.err_message.is_empty() {
        return error.err_message.clone();
    }
    code_message(locale, error.err_code)
}

/// The meaning of an OpenCTI error code in a language.
pub fn code_message(locale: Locale, code: ErrorCode) -> String {
    use leptos_i18n::td_string;
    match code {
        ErrorCode::AgentNotLoggedIn => td_string!(locale, error.agent_not_logged_in).into(),
        ErrorCode::AgentLoggedIn => td_string!(locale, error.agent_logged_in).into(),
        ErrorCode::CallRejected => td_string!(locale, error.call_rejected).into(),
        ErrorCode::InvalidDestination => td_string!(locale, error.invalid_destination).into(),
        ErrorCode::InvalidObjectState => td_string!(locale, error.invalid_object_state).into(),
        ErrorCode::ConfAlreadyPresent => td_string!(locale, error.conf_already_present).into(),
        ErrorCode::DestBusy => td_string!(locale, error.dest_busy).into(),
        ErrorCode::InSameState => td_string!(locale, error.in_same_state).into(),
        // The one "try again" answer (too many logins being checked at once).
        ErrorCode::HttpError(503) => td_string!(locale, error.busy).into(),
        ErrorCode::HttpError(status) => td_string!(locale, error.http, status),
        ErrorCode::BadRequest => td_string!(locale, error.bad_request).into(),
        ErrorCode::Unauthorized => td_string!(locale, error.unauthorized).into(),
        ErrorCode::LinkDown => td_string!(locale, error.link_down).into(),
        ErrorCode::NotSupported => td_string!(locale, error.not_supported).into(),
    }
}

#[cfg(test)]
mod tests;
