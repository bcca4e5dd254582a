//! The agent's recent calls, newest first (the CTI server's history when it
//! keeps one), with click-to-redial. A split chunk in a [`LazySlot`],
//! fetched when the first call ends (or in the background after login).

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::{
    calls::type_label,
    slot::{LazySlot, Mount, SlotContext},
    state::{PanelState, duration, time_of_day},
    status::caller_words,
};
use crate::{
    interface::{Interface, Request, request::CallOptions},
    languages::{Locale, use_locale},
    opencti::{
        events::{CallOutcome, RecentCall},
        functions::Function,
        validate,
    },
};

/// The outcome's CSS class suffix (the same in every language) and words.
fn outcome(locale: Locale, call: &RecentCall) -> (&'static str, &'static str) {
    match call.outcome {
        CallOutcome::Answered => ("answered", td_string!(locale, recent.answered)),
        CallOutcome::Abandoned => ("abandoned", td_string!(locale, recent.abandoned)),
        CallOutcome::Missed => ("missed", td_string!(locale, recent.missed)),
        CallOutcome::Transferred => ("transferred", td_string!(locale, recent.transferred)),
    }
}

/// The list's slot, shown once there are recent calls.
#[component]
pub fn RecentCalls() -> impl IntoView {
    let store = Interface::expect().store();
    let shown = Memo::new(move |_| store.with(|s| !s.recent.is_empty()));
    view! { <LazySlot class="recent-slot" shown=shown.into() mount=mount_recent/> }
}

/// The recent calls chunk's entry point.
#[wasm_split_helpers::wasm_split(recent, fallible, preload(preload_recent_chunk))]
pub fn mount_recent(parent: web_sys::Element, context: SlotContext) -> Mount {
    context.mount(&parent, RecentList)
}

#[component]
fn RecentList() -> impl IntoView {
    let interface = Interface::expect();
    let store = interface.store();
    let ui = PanelState::expect();
    let locale = use_locale();
    // A memo: the list is rebuilt when the recent calls change, not at
    // every event of the call in progress.
    let recent =
        Memo::new(move |_| store.with(|s| s.recent.iter().take(10).cloned().collect::<Vec<_>>()));
    view! {
        <section class="recent" aria-label=td_string!(locale, recent.title)>
            <h3 class="section-title">{td_string!(locale, recent.title)}</h3>
            <ul class="recent-list">
                {move || recent.get().into_iter().map(|call| {
                    let number = call.number.clone();
                    let shown = caller_words(locale, &call.number);
                    let callable = validate::is_callable(&call.number);
                    let label = td_string!(locale, recent.call_back_number, number = shown.as_str());
                    let (outcome_class, outcome_words) = outcome(locale, &call);
                    let class = format!("recent-item outcome-{outcome_class}");
                    let redial = move |_| {
                        ui.number.set(number.clone());
                        if let Ok(destination) = validate::destination(&number) {
                            interface.act(Request::MakeCall { destination, options: CallOptions::default() });
                        }
                    };
                    view! {
                        <li class=class>
                            <span class="recent-number">{shown.clone()}</span>
                            <span class="recent-meta">
                                <span class="timer">{time_of_day(locale, call.started)}</span> " · " {type_label(locale, call.call_type)} " · " {outcome_words} " · " <span class="timer">{duration(call.ended - call.started)}</span>
                                {call.disposition.clone().map(|d| format!(" · {d}"))}
                            </span>
                            {move || (callable && interface.offered(Function::MakeCall)).then(|| view! {
                                <button class="btn btn-ghost btn-small" aria-label=label.clone() on:click=redial.clone()>{td_string!(locale, recent.call_back)}</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}
