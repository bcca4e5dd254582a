//! The agent's calls: one card each, with only the actions its state allows,
//! and the consultation bar (complete transfer / conference, swap).

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::{
    state::{PanelState, duration},
    status::caller_words,
};
use crate::{
    interface::{Interface, Request, request::CallOptions},
    languages::{Locale, use_locale},
    opencti::{
        events::{CallStateName, CallType, RecordingState, SnapshotCall},
        functions::Function,
        rules::{Action, CallState},
        validate,
    },
};

fn state_label(locale: Locale, state: CallStateName) -> &'static str {
    match state {
        CallStateName::Alerting => td_string!(locale, call.ringing),
        CallStateName::Initiated => td_string!(locale, call.dialing),
        CallStateName::Held => td_string!(locale, call.on_hold),
        CallStateName::Disconnected | CallStateName::Abandoned => td_string!(locale, call.ended),
        _ => td_string!(locale, call.connected),
    }
}

/// Words for a call type, as agents say them.
pub fn type_label(locale: Locale, call_type: CallType) -> &'static str {
    match call_type {
        CallType::Inbound => td_string!(locale, call.inbound),
        CallType::Outbound => td_string!(locale, call.outbound),
        CallType::Internal => td_string!(locale, call.internal),
        CallType::Consult => td_string!(locale, call.consult),
        CallType::Unknown => td_string!(locale, call.call),
    }
}

/// The number in the "Phone number" field, cleaned for dialling (the
/// Interface reports what is wrong with it if it cannot be).
fn dial(destination: String) -> String {
    validate::destination(&destination).unwrap_or(destination)
}

/// The (original, consultation) pair while a consultation is up.
pub fn consultation(calls: &[SnapshotCall]) -> Option<(String, String)> {
    if calls.len() != 2
        || calls
            .iter()
            .any(|c| c.call_state == CallStateName::Alerting)
    {
        return None;
    }
    let consult = calls
        .iter()
        .position(|c| c.call_type == CallType::Consult)
        .unwrap_or(1);
    let original = 1 - consult;
    Some((
        calls[original].call_id.clone(),
        calls[consult].call_id.clone(),
    ))
}

#[component]
pub fn CallList() -> impl IntoView {
    let store = Interface::expect().store();
    let locale = use_locale();
    let ids = move || {
        store.with(|s| {
            s.calls
                .iter()
                .map(|c| c.call_id.clone())
                .collect::<Vec<_>>()
        })
    };
    view! {
        <ul class="calls" aria-label=td_string!(locale, call.list)>
            <For each=ids key=|id| id.clone() let:call_id>
                <CallCard call_id/>
            </For>
        </ul>
    }
    .into_any()
}

/// Shown while a consultation is up: whichever button started it, both
/// completions and Swap are offered.
#[component]
pub fn ConsultBar() -> impl IntoView {
    let interface = Interface::expect();
    let store = interface.store();
    let locale = use_locale();
    let pair = Memo::new(move |_| store.with(|s| consultation(&s.calls)));
    let complete = move |transfer: bool| {
        if let Some((held_call_id, consult_call_id)) = pair.get_untracked() {
            interface.act(if transfer {
                Request::TransferComplete {
                    held_call_id,
                    consult_call_id,
                }
            } else {
                Request::ConferenceComplete {
                    held_call_id,
                    consult_call_id,
                }
            });
        }
    };
    // Swap: the held call and the active one, while there are both.
    let swap_pair = Memo::new(move |_| {
        store.with(|s| {
            let held = s.call_in(CallState::Held)?.call_id.clone();
            let active = s.call_in(CallState::Connected)?.call_id.clone();
            Some((held, active))
        })
    });
    let swap = move |_| {
        if let Some((held_call_id, active_call_id)) = swap_pair.get_untracked() {
            interface.act(Request::AlternateCall {
                held_call_id,
                active_call_id,
            });
        }
    };
    let can_swap = move || {
        swap_pair.with(|pair| {
            pair.as_ref().is_some_and(|(held, active)| {
                interface.permits(Action::new(Function::AlternateCall, &[held, active]))
            })
        })
    };
    let can_complete = move |function| {
        pair.with(|pair| {
            pair.as_ref().is_some_and(|(original, consult)| {
                interface.permits(Action::new(function, &[original, consult]))
            })
        })
    };
    view! {
        <Show when=move || pair.get().is_some()>
            <div class="consult-bar" role="group" aria-label=td_string!(locale, call.consultation)>
                <Show when=move || interface.offered(Function::TransferComplete)>
                    <button class="btn btn-primary" disabled=move || !can_complete(Function::TransferComplete)
                        on:click=move |_| complete(true)>{td_string!(locale, call.complete_transfer)}</button>
                </Show>
                <Show when=move || interface.offered(Function::ConferenceComplete)>
                    <button class="btn btn-primary" disabled=move || !can_complete(Function::ConferenceComplete)
                        on:click=move |_| complete(false)>{td_string!(locale, call.complete_conference)}</button>
                </Show>
                <Show when=move || interface.offered(Function::AlternateCall)>
                    <button class="btn btn-secondary" disabled=move || !can_swap() on:click=swap>{td_string!(locale, call.swap)}</button>
                </Show>
            </div>
        </Show>
    }
    .into_any()
}

/// The recording control a call's card offers: resume when paused.
fn recording_control(paused: bool) -> Function {
    if paused {
        Function::ResumeRecording
    } else {
        Function::PauseRecording
    }
}

#[component]
fn CallCard(call_id: String) -> impl IntoView {
    let interface = Interface::expect();
    let store = interface.store();
    let ui = PanelState::expect();
    let locale = use_locale();
    let now = ui.now;
    let id = call_id.clone();
    let call = Memo::new(move |_| store.with(|s| s.call(&id).cloned()));
    let call_id = StoredValue::new(call_id);
    let field = move |f: fn(&SnapshotCall, Locale) -> String| {
        move || call.with(|c| c.as_ref().map(|c| f(c, locale)).unwrap_or_default())
    };
    let has_number = move || ui.number.with(|n| validate::destination(n).is_ok());
    // The rules decide; the panel adds only that passing a call on needs a number.
    let allowed = move |function: Function| {
        let needs_number = matches!(
            function,
            Function::BlindTransfer | Function::TransferInitiate | Function::ConferenceInitiate
        );
        call_id.with_value(|id| interface.permits(Action::new(function, &[id.as_str()])))
            && (!needs_number || has_number())
    };
    let button = move |label: &'static str,
                       class: &'static str,
                       function: Function,
                       make: fn(String, String, CallOptions) -> Request| {
        view! {
            <Show when=move || interface.offered(function)>
                <button class=format!("btn {class}") disabled=move || !allowed(function)
                    on:click=move |_| interface.act(make(call_id.get_value(), ui.number.get_untracked(), ui.call_options()))>{label}</button>
            </Show>
        }
        .into_any()
    };
    let ringing = move || {
        call.with(|c| {
            c.as_ref()
                .is_some_and(|c| c.call_state == CallStateName::Alerting)
        })
    };
    let held = move || {
        call.with(|c| {
            c.as_ref()
                .is_some_and(|c| c.call_state == CallStateName::Held)
        })
    };
    let recording = move || call.with(|c| c.as_ref().and_then(|c| c.recording));
    let paused = move || recording() == Some(RecordingState::Paused);
    let elapsed = move || {
        call.with(|c| {
            c.as_ref()
                .map(|c| duration(now.get().saturating_sub(c.start_time)))
                .unwrap_or_default()
        })
    };
    let this_dn = move || store.with(|s| s.this_dn.clone());
    // The customer hears nothing from the agent on this call.
    let audio = interface.audio();
    let muted_here = move || {
        audio.with(|a| a.muted)
            && call.with(|c| {
                c.as_ref()
                    .is_some_and(|c| c.call_state.call_state() == CallState::Connected)
            })
    };
    let conference_parties = move || {
        call.with(|c| {
            c.as_ref()
                .filter(|c| c.parties.len() > 2)
                .map(|c| c.parties.clone())
                .unwrap_or_default()
        })
    };

    view! {
        <li class=move || format!("call-card {}", if ringing() { "ringing" } else if held() { "held" } else { "active" })
            data-call-id=field(|c, _| c.call_id.clone())>
            <div class="call-head">
                <span class="call-number">{field(|c, locale| caller_words(locale, &c.other_dn))}</span>
                <span class="call-state">{field(|c, locale| state_label(locale, c.call_state).to_string())}</span>
                <Show when=muted_here>
                    <span class="call-audio">{td_string!(locale, audio.muted)}</span>
                </Show>
                // A live region: a screen reader hears the pause and resume.
                <Show when=move || recording().is_some()>
                    <span class=move || if paused() { "call-rec paused" } else { "call-rec" } role="status">
                        {move || {
                            let (shown, said) = match paused() {
                                true => (td_string!(locale, call.recording_paused), td_string!(locale, call.recording_paused)),
                                false => (td_string!(locale, call.recording), td_string!(locale, call.recording_active)),
                            };
                            view! { <span aria-hidden="true">{shown}</span><span class="visually-hidden">{said}</span> }
                        }}
                    </span>
                </Show>
                <span class="timer">{elapsed}</span>
            </div>
            <div class="call-meta">
                <span>{field(|c, locale| type_label(locale, c.call_type).to_string())}</span>
                // The queue, and the skills it chose this agent for (one
                // closure for both: each reactive closure costs the module).
                {move || call.with(|c| c.as_ref().and_then(|c| Some((c.queue.clone()?, c.skills.join(", ")))).map(|(q, skills)| view! {
                    <span>{td_string!(locale, call.queue, queue = q)}</span>
                    <span>{(!skills.is_empty()).then(|| td_string!(locale, call.skills, skills = skills))}</span>
                }))}
            </div>
            {move || call.with(|c| c.as_ref().filter(|c| !c.user_data.is_empty()).map(|c| view! {
                <dl class="call-data" aria-label=td_string!(locale, call.data)>
                    {c.user_data.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> }).collect_view()}
                </dl>
            }))}
            <Show when=move || !conference_parties().is_empty()>
                <ul class="parties" aria-label=td_string!(locale, call.parties)>
                    {move || conference_parties().into_iter().map(|p| {
                        let own = p.dn == this_dn();
                        let dn = p.dn.clone();
                        view! {
                            <li class="party">
                                <span class="party-dn">{if own { td_string!(locale, call.you, number = p.dn.as_str()) } else { p.dn.clone() }}</span>
                                <span class="party-state">{p.state.clone()}</span>
                                {(!own && interface.offered(Function::DropParty)).then(|| view! {
                                    <button class="btn btn-ghost btn-small" disabled=move || !allowed(Function::DropParty)
                                        on:click=move |_| interface.act(Request::DropParty { call_id: call_id.get_value(), party: dn.clone() })>
                                        {td_string!(locale, call.drop, number = p.dn.as_str())}
                                    </button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
            <div class="call-actions">
                <Show when=ringing fallback=move || view! {
                    <Show when=held fallback=move || button(td_string!(locale, call.hold), "btn-secondary", Function::HoldCall, |call_id, _, _| Request::HoldCall { call_id })>
                        {button(td_string!(locale, call.retrieve), "btn-secondary", Function::RetrieveCall, |call_id, _, _| Request::RetrieveCall { call_id })}
                    </Show>
                    {button(td_string!(locale, call.transfer), "btn-secondary", Function::BlindTransfer,
                        |call_id, number, options| Request::BlindTransfer { call_id, destination: dial(number), options })}
                    {button(td_string!(locale, call.consult_action), "btn-secondary", Function::TransferInitiate,
                        |call_id, number, options| Request::TransferInitiate { call_id, destination: dial(number), options })}
                    {button(td_string!(locale, call.conference), "btn-secondary", Function::ConferenceInitiate,
                        |call_id, number, options| Request::ConferenceInitiate { call_id, destination: dial(number), options })}
                    // One button for both: the recording's state says which.
                    <Show when=move || recording().is_some() && interface.offered(Function::PauseRecording)>
                        <button class="btn btn-secondary" disabled=move || !allowed(recording_control(paused()))
                            on:click=move |_| interface.act(match paused() {
                                true => Request::ResumeRecording { call_id: call_id.get_value() },
                                false => Request::PauseRecording { call_id: call_id.get_value() },
                            })>
                            {move || match paused() {
                                true => td_string!(locale, call.resume_recording),
                                false => td_string!(locale, call.pause_recording),
                            }}
                        </button>
                    </Show>
                    {button(td_string!(locale, call.hang_up), "btn-danger", Function::HangUpCall, |call_id, _, _| Request::HangUpCall { call_id })}
                }>
                    {button(td_string!(locale, call.answer), "btn-answer", Function::AnswerCall, |call_id, _, _| Request::AnswerCall { call_id })}
                    <Show when=move || !interface.offered(Function::AnswerCall)>
                        <span class="call-hint">{td_string!(locale, call.pick_up_phone)}</span>
                    </Show>
                    {button(td_string!(locale, call.reject), "btn-danger", Function::RejectCall, |call_id, _, _| Request::RejectCall { call_id })}
                </Show>
            </div>
        </li>
    }
    .into_any()
}
