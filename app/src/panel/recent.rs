//! The agent's recent calls, newest first (the CTI server's history when it
//! keeps one), with click-to-redial.

use leptos::prelude::*;

use super::{
    calls::type_label,
    state::{PanelState, duration},
};
use crate::{
    interface::{Interface, Request, request::CallOptions},
    opencti::{
        events::{CallOutcome, RecentCall},
        functions::Function,
        validate,
    },
};

fn outcome(call: &RecentCall) -> &'static str {
    match call.outcome {
        CallOutcome::Answered => "Answered",
        CallOutcome::Abandoned => "Abandoned",
        CallOutcome::Missed => "Missed",
        CallOutcome::Transferred => "Transferred",
    }
}

#[component]
pub fn RecentCalls() -> impl IntoView {
    let interface = Interface::expect();
    let store = interface.store();
    let ui = PanelState::expect();
    let recent = move || store.with(|s| s.recent.iter().take(10).cloned().collect::<Vec<_>>());
    view! {
        <Show when=move || store.with(|s| !s.recent.is_empty())>
            <section class="recent" aria-label="Recent calls">
                <h3 class="section-title">"Recent calls"</h3>
                <ul class="recent-list">
                    {move || recent().into_iter().map(|call| {
                        let number = call.number.clone();
                        let label = format!("Call back {}", call.number);
                        let class = format!("recent-item outcome-{}", outcome(&call).to_lowercase());
                        let redial = move |_| {
                            ui.number.set(number.clone());
                            if let Ok(destination) = validate::destination(&number) {
                                interface.act(Request::MakeCall { destination, options: CallOptions::default() });
                            }
                        };
                        view! {
                            <li class=class>
                                <span class="recent-number">{call.number.clone()}</span>
                                <span class="recent-meta">
                                    {type_label(call.call_type)} " · " {outcome(&call)} " · " {duration(call.ended - call.started)}
                                    {call.disposition.clone().map(|d| format!(" · {d}"))}
                                </span>
                                <Show when=move || interface.offered(Function::MakeCall)>
                                    <button class="btn btn-ghost btn-small" aria-label=label.clone() on:click=redial.clone()>"Call back"</button>
                                </Show>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        </Show>
    }
    .into_any()
}
