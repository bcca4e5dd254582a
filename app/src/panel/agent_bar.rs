//! The agent's own state: Ready, Not ready (with a reason), after-call work
//! with its countdown and "Finish wrap-up", and Log out. The wrap-up form
//! is a split chunk in a [`LazySlot`], fetched at the first wrap-up (or in
//! the background after login).

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::{
    slot::{LazySlot, Mount, SlotContext},
    state::{PanelState, duration},
    status::{activity, activity_words},
};
use crate::{
    interface::{Interface, Request},
    languages::{Locale, use_locale},
    opencti::{events::WorkMode, functions::Function, rules::Action},
};

/// The work mode as agents say it (empty when there is none).
pub fn work_mode_words(locale: Locale, mode: WorkMode) -> &'static str {
    match mode {
        WorkMode::AutoIn => td_string!(locale, work_mode.auto_in),
        WorkMode::ManualIn => td_string!(locale, work_mode.manual_in),
        WorkMode::AuxWork => td_string!(locale, work_mode.aux_work),
        WorkMode::Acw => td_string!(locale, work_mode.wrap_up),
        WorkMode::Busy => td_string!(locale, work_mode.busy),
        WorkMode::None => "",
    }
}

#[component]
pub fn AgentBar() -> impl IntoView {
    let interface = Interface::expect();
    let ui = PanelState::expect();
    let now = ui.now;
    let menu_open = ui.not_ready_menu;
    super::assist::prefill_wrap_up_note(interface, ui.wrap_up_note);
    let store = interface.store();
    let in_wrap_up = Memo::new(move |_| store.with(|s| s.in_wrap_up()));
    let locale = use_locale();
    let status = move || store.with(activity);
    let since = move || {
        let (since, now) = (store.with(|s| s.since), now.get());
        if since == 0 || now < since {
            String::new()
        } else {
            duration(now - since)
        }
    };
    let permits = move |function| interface.permits(Action::new(function, &[]));
    let reason_permitted = move |reason: &str| {
        interface.permits(Action {
            reason: Some(reason),
            ..Action::new(Function::AgentNotReady, &[])
        })
    };
    // The configured reasons; a CTI server that names none takes Not ready as it is.
    let reasons = move || store.with(|s| s.reason_codes.clone());
    let not_ready = move |_| {
        if reasons().is_empty() {
            interface.act(Request::AgentNotReady {
                work_mode: None,
                reason_code: None,
            });
        } else {
            menu_open.update(|o| *o = !*o);
        }
    };

    view! {
        <div class="agent-bar">
            <div class="agent-who">
                <span class="agent-id">{move || store.with(|s| td_string!(locale, agent.who, id = s.agent_id.as_str()))}</span>
                <span class="agent-ext">{move || store.with(|s| td_string!(locale, agent.extension, extension = s.this_dn.as_str()))}</span>
            </div>
            <div class=move || format!("agent-state state-{}", status().as_str())>
                <span class="agent-state-words">{move || activity_words(locale, status())}</span>
                <span class="timer">{since}</span>
                {move || store.with(|s| (!s.reason_code.is_empty() && !s.in_wrap_up()).then(|| format!("({})", s.reason_code)))}
                <span class="work-mode">{move || store.with(|s| work_mode_words(locale, s.work_mode))}</span>
            </div>
            <div class="agent-actions">
                <Show when=move || interface.offered(Function::AgentReady)>
                    <button class="btn btn-ready" disabled=move || !permits(Function::AgentReady) on:click=move |_| interface.act(Request::AgentReady { work_mode: None })>{td_string!(locale, agent.ready)}</button>
                </Show>
                <Show when=move || interface.offered(Function::AgentNotReady)>
                    <div class="menu-anchor">
                        <button class="btn btn-not-ready" aria-haspopup=move || (!reasons().is_empty()).then_some("menu")
                            aria-expanded=move || (!reasons().is_empty()).then(|| menu_open.get().to_string())
                            on:click=not_ready>{td_string!(locale, agent.not_ready)}</button>
                        <Show when=move || menu_open.get() && !reasons().is_empty()>
                            <ul class="menu" role="menu" aria-label=td_string!(locale, agent.reasons)>
                                <For each=reasons key=|reason| reason.clone() let:reason>
                                    {
                                        let label = reason.clone();
                                        let current = reason.clone();
                                        view! {
                                            <li role="none">
                                                <button role="menuitem" class="menu-item" aria-disabled=move || (!reason_permitted(&current)).to_string()
                                                    on:click=move |_| {
                                                        menu_open.set(false);
                                                        interface.act(Request::AgentNotReady { work_mode: None, reason_code: Some(reason.clone()) });
                                                    }>{label}</button>
                                            </li>
                                        }
                                    }
                                </For>
                            </ul>
                        </Show>
                    </div>
                </Show>
                <Show when=move || interface.offered(Function::Logout)>
                    <button class="btn btn-ghost" disabled=move || !permits(Function::Logout)
                        on:click=move |_| interface.act(Request::Logout { reason_code: None })>{td_string!(locale, agent.log_out)}</button>
                </Show>
            </div>
            <LazySlot class="wrap-up-slot" shown=in_wrap_up.into() mount=mount_wrap_up/>
        </div>
    }
    .into_any()
}

/// The wrap-up chunk's entry point.
#[wasm_split_helpers::wasm_split(wrap_up, fallible, preload(preload_wrap_up_chunk))]
pub fn mount_wrap_up(parent: web_sys::Element, context: SlotContext) -> Mount {
    context.mount(&parent, WrapUpForm)
}

/// After-call work: the countdown, the disposition, the note and "Finish
/// wrap-up". Built afresh for each wrap-up (the note is the panel's: the
/// conversation assistant may have written it).
#[component]
fn WrapUpForm() -> impl IntoView {
    let interface = Interface::expect();
    let ui = PanelState::expect();
    let store = interface.store();
    let locale = use_locale();
    let now = ui.now;
    let note = ui.wrap_up_note;
    let wrap_up_left = move || {
        store
            .with(|s| s.wrap_up_ends_at.filter(|_| s.in_wrap_up()))
            .map(|end| duration(end.saturating_sub(now.get()) + 999))
    };
    // Memos: the closures below rebuild their views only when these change,
    // not at every event (which would drop what the agent chose).
    let in_wrap_up = Memo::new(move |_| store.with(|s| s.in_wrap_up()));
    let can_finish = Memo::new(move |_| interface.offered(Function::CompleteWrapUp));
    let dispositions = Memo::new(move |_| store.with(|s| s.dispositions.clone()));
    let form = move || {
        let disposition = RwSignal::new(String::new());
        view! {
            <div class="wrap-up" role="group" aria-label=td_string!(locale, agent.after_call_work)>
                <span>{td_string!(locale, agent.after_call_work)}</span>
                <span class="timer countdown">{wrap_up_left}</span>
                {move || can_finish.get().then(|| view! {
                    {move || dispositions.with(|d| !d.is_empty()).then(|| view! {
                        <label class="disposition">{td_string!(locale, agent.disposition)}
                            <select on:change=move |ev| disposition.set(event_target_value(&ev))>
                                <option value="">"—"</option>
                                <For each=move || dispositions.get() key=|d| d.clone() let:d>
                                    <option value=d.clone()>{d.clone()}</option>
                                </For>
                            </select>
                        </label>
                    })}
                    <label class="wrap-up-note">{td_string!(locale, agent.note)}
                        <textarea rows="2" maxlength="1000" prop:value=move || note.get()
                            on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                    </label>
                    <button class="btn btn-primary" on:click=move |_| {
                        let chosen = disposition.get_untracked();
                        let text = note.get_untracked();
                        note.set(String::new());
                        interface.act(Request::CompleteWrapUp {
                            disposition: (!chosen.is_empty()).then_some(chosen),
                            note: (!text.trim().is_empty()).then_some(text),
                        });
                    }>{td_string!(locale, agent.finish_wrap_up)}</button>
                })}
            </div>
        }
    };
    view! { {move || in_wrap_up.get().then(form)} }
}
