//! The "Phone number" field with "Dial", and the keypad: its keys send DTMF
//! on the active call, or type into the field when there is none. The
//! keypad is a split chunk in a [`LazySlot`], fetched when first opened (or
//! in the background after login).

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::{
    slot::{LazySlot, Mount, SlotContext},
    state::PanelState,
};
use crate::{
    interface::{Interface, Request, request::CallOptions},
    languages::{error_message, use_locale},
    opencti::{
        functions::Function,
        rules::{Action, CallState},
        validate,
    },
};

#[component]
pub fn Dialer() -> impl IntoView {
    let interface = Interface::expect();
    let store = interface.store();
    let ui = PanelState::expect();
    let locale = use_locale();
    let (problem, set_problem) = signal(None::<String>);
    let dial = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match validate::destination(&ui.number.get_untracked()) {
            Ok(destination) => {
                set_problem.set(None);
                interface.act(Request::MakeCall {
                    destination,
                    options: CallOptions::default(),
                });
            }
            Err(err) => set_problem.set(Some(error_message(locale, &err))),
        }
    };
    // Dialling is for a free line: with a call up, Consult is the way.
    let line_busy = move || !interface.permits(Action::new(Function::MakeCall, &[]));
    let on_a_call = move || store.with(|s| s.on_a_call());
    let can_pass_on = move || {
        interface.offered(Function::BlindTransfer)
            || interface.offered(Function::TransferInitiate)
            || interface.offered(Function::ConferenceInitiate)
    };
    let shown = move || {
        interface.offered(Function::MakeCall)
            || interface.offered(Function::SendDtmf)
            || can_pass_on()
    };
    view! {
        <Show when=shown>
        <form class="dialer" on:submit=dial novalidate>
            <label class="dialer-field">{td_string!(locale, dialer.phone_number)}
                <input name="number" type="tel" inputmode="tel" autocomplete="off" bind:value=ui.number/>
            </label>
            <div class="dialer-buttons">
                <Show when=move || interface.offered(Function::MakeCall)>
                    <button type="submit" class="btn btn-answer" disabled=line_busy>{td_string!(locale, dialer.dial)}</button>
                </Show>
                <Show when=move || interface.offered(Function::SendDtmf) || interface.offered(Function::MakeCall)>
                    <button type="button" class="btn btn-secondary" aria-expanded=move || ui.keypad_open.get().to_string()
                        aria-controls="keypad" on:click=move |_| ui.keypad_open.update(|o| *o = !*o)>{td_string!(locale, dialer.keypad)}</button>
                </Show>
            </div>
            <Show when=move || on_a_call() && can_pass_on()>
                <label class="dialer-note">{td_string!(locale, dialer.note)}
                    <input name="note" maxlength="500" autocomplete="off" bind:value=ui.note/>
                </label>
            </Show>
            <p class="form-error" role="alert">{move || problem.get()}</p>
        </form>
        </Show>
    }
    .into_any()
}

const KEYS: [(&str, &str); 12] = [
    ("1", ""),
    ("2", "ABC"),
    ("3", "DEF"),
    ("4", "GHI"),
    ("5", "JKL"),
    ("6", "MNO"),
    ("7", "PQRS"),
    ("8", "TUV"),
    ("9", "WXYZ"),
    ("*", ""),
    ("0", "+"),
    ("#", ""),
];

/// The keypad's slot, shown while the keypad is open.
#[component]
pub fn Keypad() -> impl IntoView {
    let ui = PanelState::expect();
    view! { <LazySlot class="keypad-slot" shown=ui.keypad_open.into() mount=mount_keypad/> }
}

/// The keypad chunk's entry point.
#[wasm_split_helpers::wasm_split(keypad, fallible, preload(preload_keypad_chunk))]
pub fn mount_keypad(parent: web_sys::Element, context: SlotContext) -> Mount {
    context.mount(&parent, KeypadKeys)
}

#[component]
fn KeypadKeys() -> impl IntoView {
    let interface = Interface::expect();
    let store = interface.store();
    let ui = PanelState::expect();
    let locale = use_locale();
    let press = move |digit: &'static str| {
        let active =
            store.with_untracked(|s| s.call_in(CallState::Connected).map(|c| c.call_id.clone()));
        match active {
            Some(call_id) => interface.act(Request::SendDtmf {
                call_id,
                digits: digit.to_string(),
            }),
            None => ui.number.update(|n| n.push_str(digit)),
        }
    };
    view! {
        <div class="keypad" id="keypad" role="group" aria-label=td_string!(locale, dialer.keypad)>
            {KEYS.iter().map(|(digit, letters)| view! {
                <button type="button" class="key" aria-label=*digit on:click=move |_| press(digit)>
                    <span class="key-digit">{*digit}</span>
                    <span class="key-letters" aria-hidden="true">{*letters}</span>
                </button>
            }).collect_view()}
        </div>
    }
}
