//! What the agent is told: the live status region, the link banner and the
//! error toast.

use leptos::prelude::*;

use super::state::PanelState;
use crate::{
    interface::{Interface, Store, store::Notice},
    opencti::{
        events::{AgentState, LinkState},
        rules::CallState,
    },
};

/// The agent state in the words of the buttons.
pub fn state_words(store: &Store) -> &'static str {
    if !store.logged_in() {
        return "Logged out";
    }
    if store.on_a_call() {
        "On a call"
    } else if store.in_wrap_up() {
        "After-call work"
    } else if store.agent_state == AgentState::Ready {
        "Ready"
    } else {
        "Not ready"
    }
}

/// The words of a notice.
pub fn notice_words(notice: &Notice) -> String {
    match notice {
        Notice::MissedCall { number } => {
            format!(
                "Missed call from {number}: it went to another agent. Choose Ready to take calls again."
            )
        }
        Notice::CallsEnded { count: 1 } => {
            "A call ended while the panel was disconnected.".to_string()
        }
        Notice::CallsEnded { count } => {
            format!("{count} calls ended while the panel was disconnected.")
        }
    }
}

/// The store's notice unless the agent dismissed it.
fn shown_notice(store: &Store, ui: PanelState) -> Option<Notice> {
    store
        .notice
        .clone()
        .filter(|n| ui.dismissed_notice.with(|d| d.as_ref() != Some(n)))
}

/// The ARIA live region: the current state and the latest announcement
/// (a ringing call, else a notice), not a history. A notice is read out
/// here but shown in [`NoticeBanner`], so it is not on screen twice.
#[component]
pub fn StatusRegion() -> impl IntoView {
    let store = Interface::expect().store();
    let ui = PanelState::expect();
    let text = move || {
        store.with(|s| {
            let state = state_words(s);
            match s.call_in(CallState::Alerting) {
                Some(ringing) => format!("{state}. Incoming call from {}", ringing.ani),
                None => state.to_string(),
            }
        })
    };
    let spoken_notice = move || {
        store.with(|s| {
            (s.call_in(CallState::Alerting).is_none())
                .then(|| shown_notice(s, ui))
                .flatten()
                .map(|n| format!(". {}", notice_words(&n)))
        })
    };
    let class = move || {
        let words = store.with(state_words);
        format!(
            "status state-{}",
            words.to_lowercase().replace([' ', '-'], "_")
        )
    };
    view! {
        <div class=class role="status" aria-live="polite">
            {text}<span class="visually-hidden">{spoken_notice}</span>
        </div>
    }
    .into_any()
}

/// Shown while the link to the CTI server is down (logged-in agents only).
#[component]
pub fn LinkBanner() -> impl IntoView {
    let store = Interface::expect().store();
    let down = move || store.with(|s| s.logged_in() && s.link_state == LinkState::Disconnected);
    view! {
        <Show when=down>
            <div class="banner banner-warning" role="alert">"Connection lost. Reconnecting…"</div>
        </Show>
    }
    .into_any()
}

/// The latest notice, visible until dismissed or replaced (the status
/// region has already announced it).
#[component]
pub fn NoticeBanner() -> impl IntoView {
    let store = Interface::expect().store();
    let ui = PanelState::expect();
    let notice = move || store.with(|s| shown_notice(s, ui));
    view! {
        {move || notice().map(|n| {
            let words = notice_words(&n);
            view! {
                <div class="banner banner-info">
                    <span>{words}</span>
                    <button class="btn btn-ghost btn-small" aria-label="Dismiss notice"
                        on:click=move |_| ui.dismissed_notice.set(Some(n.clone()))>"×"</button>
                </div>
            }
        })}
    }
    .into_any()
}

/// The latest failed action, with its OpenCTI code; dismissible.
#[component]
pub fn Toast() -> impl IntoView {
    let interface = Interface::expect();
    view! {
        {move || interface.problem().get().map(|err| view! {
            <div class="toast" role="alert">
                <span class="toast-message">{err.err_message.clone()}</span>
                <code class="toast-code">{err.err_code.to_string()}</code>
                <button class="btn btn-ghost" aria-label="Dismiss" on:click=move |_| interface.dismiss_problem()>"×"</button>
            </div>
        })}
    }
    .into_any()
}
