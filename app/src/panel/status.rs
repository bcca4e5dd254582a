//! What the agent is told: the live status region, the link banner and the
//! error toast.

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::state::PanelState;
use crate::{
    interface::{
        Interface, Store,
        store::{CallFailure, Notice},
    },
    languages::{Locale, error_message, use_locale},
    opencti::{
        events::{AgentState, LinkState},
        rules::CallState,
        validate,
    },
    supervisor::AgentActivity,
};

/// What the agent is doing, as the panel shows it: a call counts over its
/// state (the supervisor's view uses the same [`AgentActivity`]).
pub fn activity(store: &Store) -> AgentActivity {
    if !store.logged_in() {
        AgentActivity::LoggedOut
    } else if store.on_a_call() {
        AgentActivity::OnCall
    } else if store.in_wrap_up() {
        AgentActivity::WrapUp
    } else if store.agent_state == AgentState::Ready {
        AgentActivity::Ready
    } else {
        AgentActivity::NotReady
    }
}

/// An activity in the words of the buttons.
pub fn activity_words(locale: Locale, activity: AgentActivity) -> &'static str {
    match activity {
        AgentActivity::LoggedOut => td_string!(locale, state.logged_out),
        AgentActivity::OnCall => td_string!(locale, state.on_a_call),
        AgentActivity::WrapUp => td_string!(locale, state.after_call_work),
        AgentActivity::Ready => td_string!(locale, state.ready),
        AgentActivity::NotReady => td_string!(locale, state.not_ready),
    }
}

/// How the panel names a caller: their number, or "Private number" for one
/// who withheld it or whose caller ID is no number (nothing to call back).
pub fn caller_words(locale: Locale, number: &str) -> String {
    if validate::is_callable(number) {
        number.to_string()
    } else {
        td_string!(locale, call.private_number).to_string()
    }
}

/// The words of a notice.
pub fn notice_words(locale: Locale, notice: &Notice) -> String {
    match notice {
        Notice::MissedCall { number } => {
            let number = caller_words(locale, number);
            td_string!(locale, status.missed_call, number = number.as_str())
        }
        Notice::CallsEnded { count: 1 } => td_string!(locale, status.call_ended).to_string(),
        Notice::CallsEnded { count } => {
            td_string!(locale, status.calls_ended, count = *count)
        }
        Notice::LoggedOut { reason } => {
            td_string!(locale, status.logged_out_by, reason = reason.as_str())
        }
        Notice::CallFailed { number, why } => {
            let number = number.as_str();
            match why {
                CallFailure::Busy => td_string!(locale, status.call_failed_busy, number),
                CallFailure::InvalidNumber => {
                    td_string!(locale, status.call_failed_invalid_number, number)
                }
                CallFailure::Unavailable => {
                    td_string!(locale, status.call_failed_unavailable, number)
                }
            }
        }
    }
}

/// The title and body of the desktop notification for a ringing call.
pub fn incoming_alert(locale: Locale, number: &str) -> (&'static str, String) {
    let number = caller_words(locale, number);
    (
        td_string!(locale, status.alert_title),
        td_string!(locale, status.alert_body, number = number.as_str()),
    )
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
    let locale = use_locale();
    let text = move || {
        store.with(|s| {
            let state = activity_words(locale, activity(s));
            match s.call_in(CallState::Alerting) {
                Some(ringing) => {
                    let number = caller_words(locale, ringing.far_party());
                    td_string!(locale, status.incoming, state, number = number.as_str())
                }
                None => state.to_string(),
            }
        })
    };
    let spoken_notice = move || {
        store.with(|s| {
            (s.call_in(CallState::Alerting).is_none())
                .then(|| shown_notice(s, ui))
                .flatten()
                .map(|n| format!(". {}", notice_words(locale, &n)))
        })
    };
    let class = move || format!("status state-{}", store.with(activity).as_str());
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
    let locale = use_locale();
    let down = move || store.with(|s| s.logged_in() && s.link_state == LinkState::Disconnected);
    view! {
        <Show when=down>
            <div class="banner banner-warning" role="alert">{td_string!(locale, status.connection_lost)}</div>
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
    let locale = use_locale();
    let notice = move || store.with(|s| shown_notice(s, ui));
    view! {
        {move || notice().map(|n| {
            let words = notice_words(locale, &n);
            view! {
                <div class="banner banner-info">
                    <span>{words}</span>
                    <button class="btn btn-ghost btn-small" aria-label=td_string!(locale, status.dismiss_notice)
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
    let locale = use_locale();
    view! {
        {move || interface.problem().get().map(|err| view! {
            <div class="toast" role="alert">
                <span class="toast-message">{error_message(locale, &err)}</span>
                <code class="toast-code">{err.err_code.to_string()}</code>
                <button class="btn btn-ghost" aria-label=td_string!(locale, status.dismiss) on:click=move |_| interface.dismiss_problem()>"×"</button>
            </div>
        })}
    }
    .into_any()
}
