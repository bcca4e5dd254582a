//! The agent's own state: Ready, Not ready (with a reason), after-call work
//! with its countdown and "Finish wrap-up", and Log out.

use leptos::prelude::*;

use super::status::state_words;
use crate::{
    client::Cti,
    interface::Request,
    protocol::{events::AgentState, functions::Function},
};

/// Wrap-up outcomes the agent may record with "Finish wrap-up".
pub const DISPOSITIONS: [&str; 4] = ["Resolved", "Follow-up", "Sale", "No sale"];

/// The not-ready reasons of the demo configuration.
pub const REASONS: [&str; 4] = ["Break", "Lunch", "Meeting", "Training"];

/// A clock for timers: milliseconds since the epoch, ticking every second in
/// the browser (0 on the server, so SSR and hydration agree). Created once by
/// the panel ([`provide_clock`]) and read by every timer.
pub fn clock() -> ReadSignal<u64> {
    expect_context::<ReadSignal<u64>>()
}

/// Starts the panel's clock and provides it to the components below.
pub fn provide_clock() {
    let (now, set_now) = signal(0u64);
    #[cfg(feature = "hydrate")]
    {
        set_now.set(js_sys::Date::now() as u64);
        // The panel lives as long as the page; `try_set` keeps a late tick harmless.
        gloo_timers::callback::Interval::new(1000, move || {
            let _ = set_now.try_set(js_sys::Date::now() as u64);
        })
        .forget();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = set_now;
    provide_context(now);
}

/// The work mode as agents say it (empty when there is none).
pub fn work_mode_words(mode: crate::protocol::events::WorkMode) -> &'static str {
    use crate::protocol::events::WorkMode;
    match mode {
        WorkMode::AutoIn => "Auto-in",
        WorkMode::ManualIn => "Manual-in",
        WorkMode::AuxWork => "Aux work",
        WorkMode::Acw => "Wrap-up",
        WorkMode::Busy => "Busy",
        WorkMode::None => "",
    }
}

/// `m:ss` (or `h:mm:ss`) for a duration in milliseconds.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[component]
pub fn AgentBar() -> impl IntoView {
    let cti = Cti::expect();
    let now = clock();
    let menu_open = super::panel::PanelState::expect().not_ready_menu;
    let disposition = RwSignal::new(String::new());
    let store = cti.store;
    let words = move || store.with(state_words);
    let since = move || {
        let (since, now) = (store.with(|s| s.since), now.get());
        if since == 0 || now < since {
            String::new()
        } else {
            duration(now - since)
        }
    };
    let wrap_up_left = move || {
        store
            .with(|s| s.wrap_up_ends_at.filter(|_| s.in_wrap_up()))
            .map(|end| duration(end.saturating_sub(now.get()) + 999))
    };
    let is_ready = move || store.with(|s| s.agent_state == AgentState::Ready && !s.in_wrap_up());
    let is_not_ready = move |reason: &str| {
        store.with(|s| {
            s.agent_state == AgentState::NotReady && !s.in_wrap_up() && s.reason_code == reason
        })
    };

    view! {
        <div class="agent-bar">
            <div class="agent-who">
                <span class="agent-id">{move || store.with(|s| format!("Agent {}", s.agent_id))}</span>
                <span class="agent-ext">{move || store.with(|s| format!("Ext. {}", s.this_dn))}</span>
            </div>
            <div class=move || format!("agent-state state-{}", words().to_lowercase().replace([' ', '-'], "_"))>
                <span class="agent-state-words">{words}</span>
                <span class="timer">{since}</span>
                {move || store.with(|s| (!s.reason_code.is_empty() && !s.in_wrap_up()).then(|| format!("({})", s.reason_code)))}
                <span class="work-mode">{move || store.with(|s| work_mode_words(s.work_mode))}</span>
            </div>
            <div class="agent-actions">
                <Show when=move || cti.offered(Function::AgentReady)>
                    <button class="btn btn-ready" disabled=is_ready on:click=move |_| cti.act(Request::AgentReady { work_mode: None })>"Ready"</button>
                </Show>
                <Show when=move || cti.offered(Function::AgentNotReady)>
                    <div class="menu-anchor">
                        <button class="btn btn-not-ready" aria-haspopup="menu" aria-expanded=move || menu_open.get().to_string()
                            on:click=move |_| menu_open.update(|o| *o = !*o)>"Not ready"</button>
                        <Show when=move || menu_open.get()>
                            <ul class="menu" role="menu" aria-label="Not-ready reasons">
                                {REASONS.iter().map(|reason| {
                                    let reason = reason.to_string();
                                    let label = reason.clone();
                                    let current = reason.clone();
                                    view! {
                                        <li role="none">
                                            <button role="menuitem" class="menu-item" aria-disabled=move || is_not_ready(&current).to_string()
                                                on:click=move |_| {
                                                    menu_open.set(false);
                                                    cti.act(Request::AgentNotReady { work_mode: None, reason_code: Some(reason.clone()) });
                                                }>{label}</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </Show>
                    </div>
                </Show>
                <Show when=move || cti.offered(Function::Logout)>
                    <button class="btn btn-ghost" disabled=move || store.with(|s| !s.calls.is_empty())
                        on:click=move |_| cti.act(Request::Logout { reason_code: None })>"Log out"</button>
                </Show>
            </div>
            <Show when=move || store.with(|s| s.in_wrap_up())>
                <div class="wrap-up" role="group" aria-label="After-call work">
                    <span>"After-call work"</span>
                    <span class="timer countdown">{wrap_up_left}</span>
                    <Show when=move || cti.offered(Function::CompleteWrapUp)>
                        <label class="disposition">"Disposition"
                            <select on:change=move |ev| disposition.set(event_target_value(&ev))>
                                <option value="">"—"</option>
                                {DISPOSITIONS.iter().map(|d| view! { <option value=*d>{*d}</option> }).collect_view()}
                            </select>
                        </label>
                        <button class="btn btn-primary" on:click=move |_| {
                            let chosen = disposition.get_untracked();
                            cti.act(Request::CompleteWrapUp { disposition: (!chosen.is_empty()).then_some(chosen) });
                        }>"Finish wrap-up"</button>
                    </Show>
                </div>
            </Show>
        </div>
    }
    .into_any()
}
