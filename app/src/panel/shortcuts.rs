//! Keyboard shortcuts (Alt+A answer, Alt+H hang up, Alt+O hold or retrieve,
//! Alt+R ready, Alt+N not ready, ? help, Esc close), their help overlay, and
//! the button that lets the agent allow desktop alerts (the alerts
//! themselves are the entry point's business: `frontend/src/alerts.rs`).
//!
//! The Alt shortcuts match the physical key (`KeyboardEvent.code`), not the
//! character it types: Option+A types "å" on a Mac, and the A key types
//! "ф" on a Russian layout, yet both answer. The help overlay names each
//! key as the agent's layout labels it, where the browser can tell.

use leptos::prelude::*;
use leptos_i18n::td_string;
use wasm_bindgen::{JsCast, closure::Closure};
use web_sys::{Notification, NotificationPermission};

use super::{
    slot::{LazySlot, Mount, SlotContext},
    state::PanelState,
};
use crate::{
    interface::{Interface, Request},
    languages::{Locale, use_locale},
    opencti::rules::CallState,
};

/// The Alt shortcuts by physical key (`KeyboardEvent.code`).
pub const ALT_SHORTCUTS: [&str; 5] = ["KeyA", "KeyH", "KeyO", "KeyR", "KeyN"];

/// The other shortcuts, by the character they type.
pub const OTHER_SHORTCUTS: [&str; 2] = ["?", "Esc"];

/// What a shortcut does, as the help overlay lists it.
fn describe(locale: Locale, shortcut: &str) -> &'static str {
    match shortcut {
        "KeyA" => td_string!(locale, shortcuts.answer),
        "KeyH" => td_string!(locale, shortcuts.hang_up),
        "KeyO" => td_string!(locale, shortcuts.hold),
        "KeyR" => td_string!(locale, shortcuts.ready),
        "KeyN" => td_string!(locale, shortcuts.not_ready),
        "?" => td_string!(locale, shortcuts.help),
        _ => td_string!(locale, shortcuts.escape),
    }
}

/// The letter a physical key types on a US layout: `KeyA` → `A`.
fn us_label(code: &str) -> String {
    code.strip_prefix("Key").unwrap_or(code).to_string()
}

/// Runs the shortcut for a key press, if it is one; says whether it was.
fn action(
    interface: Interface,
    ui: PanelState,
    (code, key): (&str, &str),
    alt: bool,
    typing: bool,
) -> bool {
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
    // Alt combinations by physical key; the others by the character typed
    // ("?" sits on different keys in different layouts).
    let shortcut = if alt {
        code
    } else {
        match key {
            "?" => "?",
            "Escape" | "Esc" => "Escape",
            _ => "",
        }
    };
    match (alt, shortcut) {
        (true, "KeyA") => call(CallState::Alerting)
            .map(|c| interface.act(Request::AnswerCall { call_id: c.call_id }))
            .is_some(),
        (true, "KeyH") => engaged()
            .map(|c| interface.act(Request::HangUpCall { call_id: c.call_id }))
            .is_some(),
        (true, "KeyO") => engaged()
            .map(|c| {
                let call_id = c.call_id;
                interface.act(if c.call_state.call_state() == CallState::Held {
                    Request::RetrieveCall { call_id }
                } else {
                    Request::HoldCall { call_id }
                })
            })
            .is_some(),
        (true, "KeyR") => {
            interface.act(Request::AgentReady { work_mode: None });
            true
        }
        (true, "KeyN") => {
            ui.not_ready_menu.set(true);
            true
        }
        (false, "?") if !typing => {
            ui.help_open.update(|o| *o = !*o);
            true
        }
        (false, "Escape") => {
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
            // AltGr (Ctrl+Alt on Windows) types characters such as "ą" on
            // the A key: that is typing, not a shortcut.
            let alt =
                e.alt_key() && !e.ctrl_key() && !e.meta_key() && !e.get_modifier_state("AltGraph");
            if action(interface, ui, (&e.code(), &e.key()), alt, typing) {
                e.prevent_default();
            }
        });
    let _ = document.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
    listener.forget();
}

/// Relabels the help's Alt keys (`<kbd data-code>`) with the letters they
/// type in the agent's keyboard layout, from the Keyboard Map API
/// (Chromium); where the browser does not tell, the US letters stay.
fn relabel_keys_from_layout() -> Option<()> {
    use js_sys::{Function, Promise, Reflect};
    let window: wasm_bindgen::JsValue = web_sys::window()?.into();
    let navigator = Reflect::get(&window, &"navigator".into()).ok()?;
    let keyboard = Reflect::get(&navigator, &"keyboard".into())
        .ok()
        .filter(|k| k.is_object())?;
    let get_layout_map: Function = Reflect::get(&keyboard, &"getLayoutMap".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let promise: Promise = get_layout_map.call0(&keyboard).ok()?.dyn_into().ok()?;
    let relabel = Closure::once(move |map: wasm_bindgen::JsValue| {
        let document = web_sys::window().and_then(|w| w.document());
        let get = Reflect::get(&map, &"get".into()).and_then(|g| g.dyn_into::<Function>());
        let (Some(document), Ok(get)) = (document, get) else {
            return;
        };
        for code in ALT_SHORTCUTS {
            // Upper case by JavaScript: Rust's `to_uppercase` would bring
            // Unicode's case tables into the wasm (8 KB).
            let letter = get
                .call1(&map, &code.into())
                .ok()
                .and_then(|l| l.dyn_into::<js_sys::JsString>().ok());
            let kbd = document.query_selector(&format!("kbd[data-code={code}]"));
            if let (Some(letter), Ok(Some(kbd))) = (letter, kbd) {
                let label = js_sys::JsString::from("Alt+").concat(&letter.to_upper_case());
                let _ = Reflect::set(&kbd, &"textContent".into(), &label);
            }
        }
    });
    let _ = promise.then(&relabel);
    // The callback runs once, later: JavaScript owns it from here.
    relabel.forget();
    Some(())
}

/// Whether the browser can show desktop notifications and the agent has not
/// been asked yet.
fn can_ask_for_notifications() -> bool {
    js_sys::Reflect::has(&js_sys::global(), &"Notification".into()).unwrap_or(false)
        && Notification::permission() == NotificationPermission::Default
}

/// The footer (allow desktop alerts, open the help) and the help's slot:
/// the help itself is a split chunk, fetched when first opened (or in the
/// background after login).
#[component]
pub fn ShortcutHelp() -> impl IntoView {
    let ui = PanelState::expect();
    let locale = use_locale();
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
                <button type="button" class="btn btn-ghost btn-small" on:click=ask>{td_string!(locale, shortcuts.enable_alerts)}</button>
            </Show>
            <button type="button" class="btn btn-ghost btn-small" aria-haspopup="dialog"
                aria-expanded=move || ui.help_open.get().to_string() on:click=move |_| ui.help_open.update(|o| *o = !*o)>
                {td_string!(locale, shortcuts.title)}
            </button>
        </div>
        <LazySlot class="help-slot" shown=ui.help_open.into() mount=mount_help/>
    }
    .into_any()
}

/// The help chunk's entry point.
#[wasm_split_helpers::wasm_split(help, fallible, preload(preload_help_chunk))]
pub fn mount_help(parent: web_sys::Element, context: SlotContext) -> Mount {
    context.mount(&parent, HelpOverlay)
}

#[component]
fn HelpOverlay() -> impl IntoView {
    let ui = PanelState::expect();
    let locale = use_locale();
    // US letters until (and unless) the browser tells the layout's.
    Effect::new(move |_| {
        if ui.help_open.get() {
            relabel_keys_from_layout();
        }
    });
    view! {
        <div class="help" role="dialog" aria-label=td_string!(locale, shortcuts.title)>
            <dl>
                {ALT_SHORTCUTS.iter().map(|code| view! {
                    <dt><kbd data-code=*code>{format!("Alt+{}", us_label(code))}</kbd></dt><dd>{describe(locale, code)}</dd>
                }).collect_view()}
                {OTHER_SHORTCUTS.iter().map(|key| view! { <dt><kbd>{*key}</kbd></dt><dd>{describe(locale, key)}</dd> }).collect_view()}
            </dl>
            <button type="button" class="btn btn-secondary btn-small" on:click=move |_| ui.help_open.set(false)>{td_string!(locale, shortcuts.close)}</button>
        </div>
    }
}
