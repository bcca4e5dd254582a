//! The panel frame: provides the Interface handle and the panel's own UI
//! state, starts the browser runtime after hydration, and lays out the parts.

use leptos::prelude::*;

use super::{
    agent_bar::AgentBar,
    calls::{CallList, ConsultBar},
    dialer::{Dialer, Keypad},
    directory::DirectoryPanel,
    login::LoginForm,
    recent::RecentCalls,
    shortcuts::ShortcutHelp,
    status::{LinkBanner, StatusRegion, Toast},
};
use crate::client::Cti;

/// UI state shared by the panel's parts (not CTI state: that is the store).
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
}

impl PanelState {
    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// `options` for Transfer, Consult and Conference: the note, if any.
    pub fn call_options(&self) -> crate::interface::request::CallOptions {
        let note = self.note.get_untracked().trim().to_string();
        crate::interface::request::CallOptions {
            user_data: (!note.is_empty()).then(|| [("note".to_string(), note)].into()),
        }
    }
}

/// Options from the query string (`/embed?agentId=1001&theme=dark&compact=1`):
/// login pre-fill, theme and compact spacing, applied after hydration.
#[cfg(feature = "hydrate")]
fn apply_page_options(ui: PanelState) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let search = window.location().search().unwrap_or_default();
    let root = window.document().and_then(|d| d.document_element());
    for pair in search.trim_start_matches('?').split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = js_sys::decode_uri_component(&value.replace('+', " "))
            .map(String::from)
            .unwrap_or_default();
        match (key, root.as_ref()) {
            ("agentId", _) => ui.agent_hint.set(value),
            ("theme", Some(root)) if value == "light" || value == "dark" => {
                let _ = root.set_attribute("data-theme", &value);
            }
            ("compact", Some(root)) if value != "0" && value != "false" => {
                let _ = root.set_attribute("data-compact", "");
            }
            _ => {}
        }
    }
}

/// The Call Control Panel. `data-hydrated` turns to `true` once the browser
/// has taken over (and `window.OpenCTI` exists), so tests and hosts can wait
/// for it instead of sleeping.
#[component]
pub fn Panel() -> impl IntoView {
    let cti = Cti::new();
    provide_context(cti);
    super::agent_bar::provide_clock();
    provide_context(PanelState {
        number: RwSignal::new(String::new()),
        keypad_open: RwSignal::new(false),
        note: RwSignal::new(String::new()),
        agent_hint: RwSignal::new(String::new()),
        not_ready_menu: RwSignal::new(false),
        help_open: RwSignal::new(false),
    });
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let reference = crate::browser::reference::Reference::new(cti);
            crate::browser::runtime::use_implementation(cti, std::rc::Rc::new(reference));
            crate::browser::js_api::install(cti);
            crate::browser::bridge::install(cti);
            apply_page_options(PanelState::expect());
            super::shortcuts::install(cti, PanelState::expect());
        }
        set_hydrated.set(true);
    });
    let logged_in = move || cti.store.with(|s| s.logged_in());
    // A note belongs to the calls it was written for.
    let ui = PanelState::expect();
    Effect::new(move |_| {
        if cti.store.with(|s| s.calls.is_empty()) {
            ui.note.set(String::new());
        }
    });

    view! {
        <section class="ccp" aria-label="Call Control Panel" data-hydrated=move || hydrated.get().to_string()>
            <StatusRegion/>
            <LinkBanner/>
            <Show when=logged_in fallback=|| view! { <LoginForm/> }>
                <AgentBar/>
                <ConsultBar/>
                <CallList/>
                <Dialer/>
                <Keypad/>
                <DirectoryPanel/>
                <RecentCalls/>
                <ShortcutHelp/>
            </Show>
            <Toast/>
        </section>
    }
    .into_any()
}
