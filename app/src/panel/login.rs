//! The login form.

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::state::PanelState;
use crate::{
    interface::{Interface, Request, request::LoginOptions},
    languages::{error_message, use_locale},
};

/// Where this browser remembers the last agent ID and extension (never the password).
const REMEMBER_KEY: &str = "opencti.login";

/// The remembered (agent ID, extension), empty when none (browser only:
/// read from an effect).
fn remembered() -> (String, String) {
    let stored = web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(REMEMBER_KEY).ok().flatten())
        .unwrap_or_default();
    match stored.split_once('|') {
        Some((agent, extension)) => (agent.to_string(), extension.to_string()),
        None => (String::new(), String::new()),
    }
}

fn remember(agent: &str, extension: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(REMEMBER_KEY, &format!("{agent}|{extension}"));
    }
}

#[component]
pub fn LoginForm() -> impl IntoView {
    let interface = Interface::expect();
    let agent_id = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let extension = RwSignal::new(String::new());
    let (problem, set_problem) = signal(None::<String>);
    let busy = RwSignal::new(false);
    let ui = PanelState::expect();
    let locale = use_locale();
    Effect::new(move |_| {
        // The embedding host's hint first, else what this browser remembers.
        let hint = ui.agent_hint.get();
        let (remembered_agent, remembered_extension) = remembered();
        let agent = if hint.is_empty() {
            remembered_agent
        } else {
            hint
        };
        if !agent.is_empty() && agent_id.with_untracked(String::is_empty) {
            agent_id.set(agent);
        }
        if !remembered_extension.is_empty() && extension.with_untracked(String::is_empty) {
            extension.set(remembered_extension);
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if agent_id.with(|id| id.trim().is_empty()) {
            set_problem.set(Some(td_string!(locale, login.need_agent_id).into()));
            return;
        }
        if password.with(String::is_empty) {
            set_problem.set(Some(td_string!(locale, login.need_password).into()));
            return;
        }
        set_problem.set(None);
        busy.set(true);
        let remembered_agent = agent_id.get_untracked().trim().to_string();
        let remembered_extension = extension.get_untracked().trim().to_string();
        let request = Request::Login {
            agent_id: agent_id.get_untracked().trim().to_string(),
            password: password.get_untracked(),
            extension: Some(extension.get_untracked().trim().to_string()).filter(|e| !e.is_empty()),
            options: LoginOptions::default(),
        };
        leptos::task::spawn_local(async move {
            // On success the form is gone by now: `try_set` on its signals.
            match interface.call(request).await {
                Ok(_) => remember(&remembered_agent, &remembered_extension),
                Err(err) => {
                    let _ = set_problem.try_set(Some(error_message(locale, &err)));
                }
            }
            let _ = busy.try_set(false);
        });
    };

    view! {
        <form class="login" on:submit=submit novalidate>
            <h2 class="login-title">{td_string!(locale, login.title)}</h2>
            <label>{td_string!(locale, login.agent_id)} <input name="agentId" autocomplete="username" bind:value=agent_id/></label>
            <label>{td_string!(locale, login.password)} <input name="password" type="password" autocomplete="current-password" bind:value=password/></label>
            <label>{td_string!(locale, login.extension)} <input name="extension" inputmode="numeric"
                placeholder=td_string!(locale, login.extension_placeholder) bind:value=extension/></label>
            <p class="form-error" role="alert">{move || problem.get()}</p>
            <button type="submit" class="btn btn-primary" disabled=move || busy.get()>{td_string!(locale, login.submit)}</button>
        </form>
    }
    .into_any()
}
