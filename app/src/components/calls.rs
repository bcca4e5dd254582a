//! The agent's calls: one card each, with only the actions its state allows.

use leptos::prelude::*;

use super::agent_bar::{clock, duration};
use crate::{
    client::Cti,
    interface::{Request, connection_state},
    protocol::{
        events::{CallStateName, CallType, SnapshotCall},
        functions::{Function, required_connection_states},
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

fn type_label(call_type: CallType) -> &'static str {
    match call_type {
        CallType::Inbound => "Inbound",
        CallType::Outbound => "Outbound",
        CallType::Internal => "Internal",
        CallType::Consult => "Consult",
        CallType::Unknown => "Call",
    }
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

#[component]
fn CallCard(call_id: String) -> impl IntoView {
    let cti = Cti::expect();
    let now = clock();
    let id = call_id.clone();
    let call = Memo::new(move |_| cti.store.with(|s| s.call(&id).cloned()));
    let field = move |f: fn(&SnapshotCall) -> String| {
        move || call.with(|c| c.as_ref().map(f).unwrap_or_default())
    };
    let allowed = move |function: Function| {
        call.with(|c| {
            c.as_ref().is_some_and(|c| {
                let state = connection_state(c.call_state);
                required_connection_states(function).is_none_or(|ok| ok.contains(&state))
            })
        }) && cti.offered(function)
    };
    let call_id = StoredValue::new(call_id);
    let button = move |label: &'static str,
                       class: &'static str,
                       function: Function,
                       make: fn(String) -> Request| {
        view! {
            <Show when=move || cti.offered(function)>
                <button class=format!("btn {class}") disabled=move || !allowed(function)
                    on:click=move |_| cti.act(make(call_id.get_value()))>{label}</button>
            </Show>
        }
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
                <dl class="call-data">
                    {c.user_data.iter().map(|(k, v)| view! { <dt>{k.clone()}</dt><dd>{v.clone()}</dd> }).collect_view()}
                </dl>
            }))}
            <div class="call-actions">
                <Show when=ringing fallback=move || view! {
                    {button("Hold", "btn-secondary", Function::HoldCall, |call_id| Request::HoldCall { call_id })}
                    {button("Retrieve", "btn-secondary", Function::RetrieveCall, |call_id| Request::RetrieveCall { call_id })}
                    {button("Hang up", "btn-danger", Function::HangUpCall, |call_id| Request::HangUpCall { call_id })}
                }>
                    {button("Answer", "btn-answer", Function::AnswerCall, |call_id| Request::AnswerCall { call_id })}
                    {button("Reject", "btn-danger", Function::RejectCall, |call_id| Request::RejectCall { call_id })}
                </Show>
            </div>
        </li>
    }
    .into_any()
}
