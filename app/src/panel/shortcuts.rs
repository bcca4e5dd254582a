//! Keyboard shortcuts (Alt+A answer, Alt+H hang up, Alt+O hold or retrieve,
//! Alt+R ready, Alt+N not ready, ? help, Esc close), their help overlay, and
//! the button that lets the agent allow desktop alerts (the alerts
//! themselves are the entry point's business: `frontend/src/alerts.rs`).

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{Notification, NotificationPermission};

use super::state::PanelState;
use crate::{
    interface::{Interface, Request},
    opencti::rules::CallState,
};

/// The shortcuts, as the help overlay lists them.
pub const SHORTCUTS: [(&str, &str); 7] = [
    ("Alt+A", "Answer the ringing call"),
    ("Alt+H", "Hang up"),
    ("Alt+O", "Hold or retrieve"),
    ("Alt+R", "Ready"),
    ("Alt+N", "Not ready (choose a reason)"),
    ("?", "Show or hide this help"),
    ("Esc", "Close menus and this help"),
];

/// Runs the shortcut for a key press, if it is one; says whether it was.
fn action(interface: Interface, ui: PanelState, key: &str, alt: bool, typing: bool) -> bool {
    let store = interface.store();
    let call = |state: CallState| store.with_untracked(|s| s.call_in(state).cloned());
    let engaged = || {
        store.with_untracked(|s| {
            s.calls
                .iter()
                .find(|c| c.call_state.call_state().is_engaged())
                .cloned()
        })
    };
    match (alt, key.to_ascii_lowercase().as_str()) {
        (true, "a") => call(CallState::Alerting)
            .map(|c| interface.act(Request::AnswerCall { call_id: c.call_id }))
            .is_some(),
        (true, "h") => engaged()
            .map(|c| interface.act(Request::HangUpCall { call_id: c.call_id }))
            .is_some(),
        (true, "o") => engaged()
            .map(|c| {
                let call_id = c.call_id;
                interface.act(if c.call_state.call_state() == CallState::Held {
                    Request::RetrieveCall { call_id }
                } else {
                    Request::HoldCall { call_id }
                })
            })
            .is_some(),
        (true, "r") => {
            interface.act(Request::AgentReady { work_mode: None });
            true
        }
        (true, "n") => {
            ui.not_ready_menu.set(true);
            true
        }
        (false, "?") if !typing => {
            ui.help_open.update(|o| *o = !*o);
            true
        }
        (false, "escape") => {
            ui.help_open.set(false);
            ui.not_ready_menu.set(false);
            false
        }
        _ => false,
    }
}

/// Listens for the shortcuts on the whole page (browser only: called from
/// an effect).
pub fn install(interface: Interface, ui: PanelState) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let listener =
        Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
            if !interface.store().with_untracked(|s| s.logged_in()) {
                return;
            }
            let typing = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                });
            if action(interface, ui, &e.key(), e.alt_key(), typing) {
                e.prevent_default();
            }
        });
    let _ = document.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
    listener.forget();
}

/// Whether the browser can show desktop notifications and the agent has not
/// been asked yet.
fn can_ask_for_notifications() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"Notification".into()).unwrap_or(false)
        && Notification::permission() == NotificationPermission::Default
}

#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let ui = PanelState::expect();
    let (can_ask, set_can_ask) = signal(false);
    Effect::new(move |_| set_can_ask.set(can_ask_for_notifications()));
    let ask = move |_| {
        // Browsers grant it only from a click like this one.
        if let Ok(promise) = Notification::request_permission() {
            leptos::task::spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            });
        }
        set_can_ask.set(false);
    };
    view! {
        <div class="panel-footer">
            <Show when=move || can_ask.get()>
                <button type="button" class="btn btn-ghost btn-small" on:click=ask>"Enable call alerts"</button>
            </Show>
            <button type="button" class="btn btn-ghost btn-small" aria-haspopup="dialog"
                aria-expanded=move || ui.help_open.get().to_string() on:click=move |_| ui.help_open.update(|o| *o = !*o)>
                "Keyboard shortcuts"
            </button>
        </div>
        <Show when=move || ui.help_open.get()>
            <div class="help" role="dialog" aria-label="Keyboard shortcuts">
                <dl>
                    {SHORTCUTS.iter().map(|(key, what)| view! { <dt><kbd>{*key}</kbd></dt><dd>{*what}</dd> }).collect_view()}
                </dl>
                <button type="button" class="btn btn-secondary btn-small" on:click=move |_| ui.help_open.set(false)>"Close"</button>
            </div>
        </Show>
    }
    .into_any()
}
