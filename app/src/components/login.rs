//! The login form.

use leptos::prelude::*;

use crate::{
    client::Cti,
    interface::{Request, request::LoginOptions},
};

#[component]
pub fn LoginForm() -> impl IntoView {
    let cti = Cti::expect();
    let agent_id = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let extension = RwSignal::new(String::new());
    let (problem, set_problem) = signal(None::<String>);
    let busy = RwSignal::new(false);
    let ui = super::panel::PanelState::expect();
    Effect::new(move |_| {
        let hint = ui.agent_hint.get();
        if !hint.is_empty() && agent_id.with_untracked(String::is_empty) {
            agent_id.set(hint);
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if agent_id.with(|id| id.trim().is_empty()) {
            set_problem.set(Some("Enter your agent ID.".into()));
            return;
        }
        if password.with(String::is_empty) {
            set_problem.set(Some("Enter your password.".into()));
            return;
        }
        set_problem.set(None);
        busy.set(true);
        let request = Request::Login {
            agent_id: agent_id.get_untracked().trim().to_string(),
            password: password.get_untracked(),
            extension: Some(extension.get_untracked().trim().to_string()).filter(|e| !e.is_empty()),
            options: LoginOptions::default(),
        };
        #[cfg(feature = "hydrate")]
        wasm_bindgen_futures::spawn_local(async move {
            // On success the form is gone by now: `try_set` on its signals.
            if let Err(err) = cti.call(request).await {
                let _ = set_problem.try_set(Some(err.err_message));
            }
            let _ = busy.try_set(false);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (request, cti);
    };

    view! {
        <form class="login" on:submit=submit novalidate>
            <h2 class="login-title">"Sign in to take calls"</h2>
            <label>"Agent ID" <input name="agentId" autocomplete="username" bind:value=agent_id/></label>
            <label>"Password" <input name="password" type="password" autocomplete="current-password" bind:value=password/></label>
            <label>"Extension" <input name="extension" inputmode="numeric" placeholder="Your default" bind:value=extension/></label>
            <p class="form-error" role="alert">{move || problem.get()}</p>
            <button type="submit" class="btn btn-primary" disabled=move || busy.get()>"Log in"</button>
        </form>
    }
    .into_any()
}
