//! The Call Control Panel: its views render only from the Interface's store
//! and act only through the Interface. Browser-only work (the clock, page
//! options, keyboard shortcuts) runs in effects, which the server never runs.

pub mod agent_bar;
pub mod assist;
pub mod audio;
pub mod calls;
pub mod dialer;
pub mod directory;
pub mod login;
pub mod recent;
pub mod shortcuts;
pub mod slot;
pub mod state;
pub mod status;

use leptos::prelude::*;

use crate::{interface::Interface, languages::use_locale};
use agent_bar::AgentBar;
use assist::AssistBar;
use audio::AudioBar;
use calls::{CallList, ConsultBar};
use dialer::{Dialer, Keypad};
use directory::DirectoryPanel;
use login::LoginForm;
use recent::RecentCalls;
use shortcuts::ShortcutHelp;
pub use state::PanelState;
use status::{LinkBanner, NoticeBanner, StatusRegion, Toast};

/// Options from the query string (`/embed?agentId=1001&theme=dark&compact=1`):
/// login pre-fill, theme, compact spacing and background prefetch of the
/// panel's parts (`prefetch=0`), applied after hydration.
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
            ("prefetch", _) if value == "0" || value == "false" => ui.prefetch.set(false),
            _ => {}
        }
    }
}

/// Starts the panel's clock (browser only: called from an effect).
fn start_clock(now: RwSignal<u64>) {
    now.set(js_sys::Date::now() as u64);
    // The panel lives as long as the page; `try_set` keeps a late tick harmless.
    gloo_timers::callback::Interval::new(1000, move || {
        let _ = now.try_set(js_sys::Date::now() as u64);
    })
    .forget();
}

/// The Call Control Panel. `data-hydrated` turns to `true` once the browser
/// has taken over (and `window.OpenCTI` exists), so tests and hosts can wait
/// for it instead of sleeping.
#[component]
pub fn Panel() -> impl IntoView {
    let interface = Interface::use_or_provide();
    let ui = PanelState::new();
    provide_context(ui);
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| {
        start_clock(ui.now);
        apply_page_options(ui);
        shortcuts::install(interface, ui);
        audio::follow_calls(interface);
        slot::prefetch_when_idle(interface, ui);
        set_hydrated.set(true);
    });
    let store = interface.store();
    let locale = use_locale();
    let logged_in = move || store.with(|s| s.logged_in());
    // A note belongs to the calls it was written for.
    Effect::new(move |_| {
        if store.with(|s| s.calls.is_empty()) {
            ui.note.set(String::new());
        }
    });

    view! {
        <section class="ccp" aria-label=leptos_i18n::td_string!(locale, page.title) data-hydrated=move || hydrated.get().to_string()>
            <StatusRegion/>
            <LinkBanner/>
            <NoticeBanner/>
            <Show when=logged_in fallback=|| view! { <LoginForm/> }>
                <AgentBar/>
                <ConsultBar/>
                <AudioBar/>
                <CallList/>
                <AssistBar/>
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
