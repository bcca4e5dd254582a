//! The agent's calls: one card each, with only the actions its state allows,
//! and the consultation bar (complete transfer / conference, swap).

use leptos::prelude::*;

use super::{
    agent_bar::{clock, duration},
    panel::PanelState,
};
use crate::{
    client::Cti,
    interface::{Request, connection_state, request::CallOptions},
    protocol::{
        events::{CallStateName, CallType, SnapshotCall},
        functions::{Function, required_connection_states},
        validate,
    },
};

fn state_label(state: CallStateName) -> &'static str {
    match state {
        CallStateName::Alerting => "Ringing",
        CallStateName::Initiated => "Dialing",
        CallStateName::Held => "On hold",
        CallStateName::Disconnected | CallStateName::Abandoned => "Ended",
        _ => "Connected",
    }
}

/// Words for a call type, as agents say them.
pub fn type_label(call_type: CallType) -> &'static str {
    match call_type {
        CallType::Inbound => "Inbound",
        CallType::Outbound => "Outbound",
        CallType::Internal => "Internal",
        CallType::Consult => "Consult",
        CallType::Unknown => "Call",
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
    let cti = Cti::expect();
    let ids = move || {
        cti.store.with(|s| {
            s.calls
                .iter()
                .map(|c| c.call_id.clone())
                .collect::<Vec<_>>()
        })
    };
    view! {
        <ul class="calls" aria-label="Calls">
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
    let cti = Cti::expect();
    let pair = Memo::new(move |_| cti.store.with(|s| consultation(&s.calls)));
    let complete = move |transfer: bool| {
        if let Some((held_call_id, consult_call_id)) = pair.get_untracked() {
            cti.act(if transfer {
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
    let swap = move |_| {
        let calls = cti.store.with_untracked(|s| s.calls.clone());
        let held = calls.iter().find(|c| c.call_state == CallStateName::Held);
        let active = calls.iter().find(|c| c.call_state != CallStateName::Held);
        if let (Some(held), Some(active)) = (held, active) {
            cti.act(Request::AlternateCall {
                held_call_id: held.call_id.clone(),
                active_call_id: active.call_id.clone(),
            });
        }
    };
    let can_swap = move || {
        cti.store.with(|s| {
            s.calls.iter().any(|c| c.call_state == CallStateName::Held)
                && s.calls.iter().any(|c| {
                    connection_state(c.call_state)
                        == crate::protocol::native::ConnectionState::Connected
                })
        })
    };
    view! {
        <Show when=move || pair.get().is_some()>
            <div class="consult-bar" role="group" aria-label="Consultation">
                <Show when=move || cti.offered(Function::TransferComplete)>
                    <button class="btn btn-primary" on:click=move |_| complete(true)>"Complete transfer"</button>
                </Show>
                <Show when=move || cti.offered(Function::ConferenceComplete)>
                    <button class="btn btn-primary" on:click=move |_| complete(false)>"Complete conference"</button>
                </Show>
                <Show when=move || cti.offered(Function::AlternateCall)>
                    <button class="btn btn-secondary" disabled=move || !can_swap() on:click=swap>"Swap"</button>
                </Show>
            </div>
        </Show>
    }
    .into_any()
}

#[component]
fn CallCard(call_id: String) -> impl IntoView {
    let cti = Cti::expect();
    let ui = PanelState::expect();
    let now = clock();
    let id = call_id.clone();
    let call = Memo::new(move |_| cti.store.with(|s| s.call(&id).cloned()));
    let call_id = StoredValue::new(call_id);
    let field = move |f: fn(&SnapshotCall) -> String| {
        move || call.with(|c| c.as_ref().map(f).unwrap_or_default())
    };
    let consult_up = Memo::new(move |_| cti.store.with(|s| s.calls.len() > 1));
    let has_number = move || ui.number.with(|n| validate::destination(n).is_ok());
    let allowed = move |function: Function| {
        let state_ok = call.with(|c| {
            c.as_ref().is_some_and(|c| {
                let state = connection_state(c.call_state);
                required_connection_states(function).is_none_or(|ok| ok.contains(&state))
            })
        });
        let needs_number = matches!(
            function,
            Function::BlindTransfer | Function::TransferInitiate | Function::ConferenceInitiate
        );
        let needs_no_consult = matches!(
            function,
            Function::TransferInitiate | Function::ConferenceInitiate
        );
        state_ok && (!needs_number || has_number()) && (!needs_no_consult || !consult_up.get())
    };
    let button = move |label: &'static str,
                       class: &'static str,
                       function: Function,
                       make: fn(String, String, CallOptions) -> Request| {
        view! {
            <Show when=move || cti.offered(function)>
                <button class=format!("btn {class}") disabled=move || !allowed(function)
                    on:click=move |_| cti.act(make(call_id.get_value(), ui.number.get_untracked(), ui.call_options()))>{label}</button>
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
    let elapsed = move || {
        call.with(|c| {
            c.as_ref()
                .map(|c| duration(now.get().saturating_sub(c.start_time)))
                .unwrap_or_default()
        })
    };
    let this_dn = move || cti.store.with(|s| s.this_dn.clone());
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
            data-call-id=field(|c| c.call_id.clone())>
            <div class="call-head">
                <span class="call-number">{field(|c| c.other_dn.clone())}</span>
                <span class="call-state">{field(|c| state_label(c.call_state).to_string())}</span>
                <span class="timer">{elapsed}</span>
            </div>
            <div class="call-meta">
                <span>{field(|c| type_label(c.call_type).to_string())}</span>
                {move || call.with(|c| c.as_ref().and_then(|c| c.queue.clone()).map(|q| view! { <span>"Queue " {q}</span> }))}
            </div>
            {move || call.with(|c| c.as_ref().filter(|c| !c.user_data.is_empty()).map(|c| view! {
                <dl class="call-data" aria-label="Call data">
                    {c.user_data.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> }).collect_view()}
                </dl>
            }))}
            <Show when=move || !conference_parties().is_empty()>
                <ul class="parties" aria-label="Parties">
                    {move || conference_parties().into_iter().map(|p| {
                        let own = p.dn == this_dn();
                        let dn = p.dn.clone();
                        view! {
                            <li class="party">
                                <span class="party-dn">{p.dn.clone()}{own.then_some(" (you)")}</span>
                                <span class="party-state">{p.state.clone()}</span>
                                {(!own && cti.offered(Function::DropParty)).then(|| view! {
                                    <button class="btn btn-ghost btn-small" disabled=move || !allowed(Function::DropParty)
                                        on:click=move |_| cti.act(Request::DropParty { call_id: call_id.get_value(), party: dn.clone() })>
                                        {format!("Drop {}", p.dn)}
                                    </button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
            <div class="call-actions">
                <Show when=ringing fallback=move || view! {
                    <Show when=held fallback=move || button("Hold", "btn-secondary", Function::HoldCall, |call_id, _, _| Request::HoldCall { call_id })>
                        {button("Retrieve", "btn-secondary", Function::RetrieveCall, |call_id, _, _| Request::RetrieveCall { call_id })}
                    </Show>
                    {button("Transfer", "btn-secondary", Function::BlindTransfer,
                        |call_id, number, options| Request::BlindTransfer { call_id, destination: dial(number), options })}
                    {button("Consult", "btn-secondary", Function::TransferInitiate,
                        |call_id, number, options| Request::TransferInitiate { call_id, destination: dial(number), options })}
                    {button("Conference", "btn-secondary", Function::ConferenceInitiate,
                        |call_id, number, options| Request::ConferenceInitiate { call_id, destination: dial(number), options })}
                    {button("Hang up", "btn-danger", Function::HangUpCall, |call_id, _, _| Request::HangUpCall { call_id })}
                }>
                    {button("Answer", "btn-answer", Function::AnswerCall, |call_id, _, _| Request::AnswerCall { call_id })}
                    {button("Reject", "btn-danger", Function::RejectCall, |call_id, _, _| Request::RejectCall { call_id })}
                </Show>
            </div>
        </li>
    }
    .into_any()
}
