//! The panel's own UI state, shared by its parts (not CTI state: that is the
//! Interface's store).

use leptos::prelude::*;

use crate::{
    interface::{request::CallOptions, store::Notice},
    languages::Locale,
};

#[derive(Clone, Copy)]
pub struct PanelState {
    /// The "Phone number" field: dialling, transfer and consult targets.
    pub number: RwSignal<String>,
    pub keypad_open: RwSignal<bool>,
    /// A note for the next agent: travels with a transfer or consultation
    /// as the call's attached data (`note`).
    pub note: RwSignal<String>,
    /// Agent ID to pre-fill in the login form (`/embed?agentId=…`).
    pub agent_hint: RwSignal<String>,
    /// The "Not ready" reasons menu.
    pub not_ready_menu: RwSignal<bool>,
    /// The keyboard shortcuts overlay.
    pub help_open: RwSignal<bool>,
    /// The directory of transfer targets.
    pub directory_open: RwSignal<bool>,
    /// The wrap-up form's note (the conversation assistant's summary
    /// pre-fills it).
    pub wrap_up_note: RwSignal<String>,
    /// Whether the panel's chunks are fetched in the background after
    /// login (page option `prefetch=0` turns it off).
    pub prefetch: RwSignal<bool>,
    /// Milliseconds since the epoch, ticking every second in the browser (0
    /// on the server, so that server rendering and hydration agree). One
    /// clock for every timer of the panel.
    pub now: RwSignal<u64>,
    /// The notice the agent dismissed (hidden until another replaces it).
    pub dismissed_notice: RwSignal<Option<Notice>>,
}

impl PanelState {
    pub fn new() -> Self {
        Self {
            number: RwSignal::new(String::new()),
            keypad_open: RwSignal::new(false),
            note: RwSignal::new(String::new()),
            agent_hint: RwSignal::new(String::new()),
            not_ready_menu: RwSignal::new(false),
            help_open: RwSignal::new(false),
            directory_open: RwSignal::new(false),
            wrap_up_note: RwSignal::new(String::new()),
            prefetch: RwSignal::new(true),
            now: RwSignal::new(0),
            dismissed_notice: RwSignal::new(None),
        }
    }

    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// `options` for Transfer, Consult and Conference: the note, if any.
    pub fn call_options(&self) -> CallOptions {
        let note = self.note.get_untracked().trim().to_string();
        CallOptions {
            user_data: (!note.is_empty()).then(|| [("note".to_string(), note)].into()),
        }
    }
}

impl Default for PanelState {
    fn default() -> Self {
        Self::new()
    }
}

/// The time of day of a moment (milliseconds since the epoch) in the
/// locale's format, by the browser's `Intl` (browser only: the panel's
/// history is fetched after hydration). Latin digits in every language, as
/// the panel's timers and phone numbers have.
pub fn time_of_day(locale: Locale, ms: u64) -> String {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"numeric".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    let _ = js_sys::Reflect::set(&options, &"numberingSystem".into(), &"latn".into());
    js_sys::Date::new(&(ms as f64).into())
        .to_locale_time_string_with_options(locale.as_ref(), &options)
        .into()
}

/// `m:ss` (or `h:mm:ss`) for a duration in milliseconds: the same clock
/// notation in every language the panel speaks.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}
