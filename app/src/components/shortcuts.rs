//! Keyboard shortcuts (Alt+A answer, Alt+H hang up, Alt+O hold or retrieve,
//! Alt+R ready, Alt+N not ready, ? help, Esc close), their help overlay,
//! and the incoming-call alerts (ringtone, desktop notification).

use leptos::prelude::*;

use super::panel::PanelState;

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

/// The page-wide key listener and the alerts (browser only).
#[cfg(feature = "hydrate")]
mod listener {
    use leptos::prelude::*;

    use super::super::panel::PanelState;
    use crate::{
        client::Cti,
        interface::Request,
        protocol::events::{CallStateName, SnapshotCall},
    };

    fn first_call(calls: &[SnapshotCall], ringing: bool) -> Option<SnapshotCall> {
        calls
            .iter()
            .find(|c| (c.call_state == CallStateName::Alerting) == ringing)
            .cloned()
    }

    /// What a key press asks for, if it is a shortcut.
    fn action(cti: Cti, ui: PanelState, key: &str, alt: bool, typing: bool) -> bool {
        let calls = cti.store.with_untracked(|s| s.calls.clone());
        match (alt, key.to_ascii_lowercase().as_str()) {
            (true, "a") => first_call(&calls, true)
                .map(|c| cti.act(Request::AnswerCall { call_id: c.call_id }))
                .is_some(),
            (true, "h") => first_call(&calls, false)
                .map(|c| cti.act(Request::HangUpCall { call_id: c.call_id }))
                .is_some(),
            (true, "o") => first_call(&calls, false)
                .map(|c| {
                    cti.act(if c.call_state == CallStateName::Held {
                        Request::RetrieveCall { call_id: c.call_id }
                    } else {
                        Request::HoldCall { call_id: c.call_id }
                    })
                })
                .is_some(),
            (true, "r") => {
                cti.act(Request::AgentReady { work_mode: None });
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

    /// Listens for the shortcuts on the whole page (browser only).
    pub fn install(cti: Cti, ui: PanelState) {
        use wasm_bindgen::{JsCast, closure::Closure};
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let listener =
            Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
                if !cti.store.with_untracked(|s| s.logged_in()) {
                    return;
                }
                let typing = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|el| {
                        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    });
                if action(cti, ui, &e.key(), e.alt_key(), typing) {
                    e.prevent_default();
                }
            });
        let _ =
            document.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
        listener.forget();

        // Alerts for ringing calls: a ring while anything alerts, and a
        // notification per new call when the tab is hidden.
        let alerting = Memo::new(move |_| {
            cti.store.with(|s| {
                s.calls
                    .iter()
                    .filter(|c| c.call_state == CallStateName::Alerting)
                    .map(|c| (c.call_id.clone(), c.ani.clone()))
                    .collect::<Vec<_>>()
            })
        });
        Effect::new(move |previous: Option<Vec<(String, String)>>| {
            let now = alerting.get();
            crate::browser::alerts::set_ringing(!now.is_empty());
            for (call_id, ani) in &now {
                if !previous
                    .as_ref()
                    .is_some_and(|p| p.iter().any(|(id, _)| id == call_id))
                {
                    crate::browser::alerts::notify_incoming(ani);
                }
            }
            now
        });
    }
}

#[cfg(feature = "hydrate")]
pub use listener::install;

#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let ui = PanelState::expect();
    let (can_ask, set_can_ask) = signal(false);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        set_can_ask.set(crate::browser::alerts::can_ask_for_notifications());
        #[cfg(not(feature = "hydrate"))]
        let _ = set_can_ask;
    });
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        crate::browser::alerts::ask_for_notifications();
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
