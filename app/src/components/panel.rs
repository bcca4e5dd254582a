//! The panel frame and its login form.

use leptos::prelude::*;

/// The Call Control Panel. `data-hydrated` turns to `true` once the browser
/// has taken over, so tests and hosts can wait for it instead of sleeping.
#[component]
pub fn Panel() -> impl IntoView {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));

    let agent_id = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let extension = RwSignal::new(String::new());
    let (problem, set_problem) = signal(None::<&'static str>);

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if agent_id.with(|id| id.trim().is_empty()) {
            set_problem.set(Some("Enter your agent ID."));
        } else if password.with(String::is_empty) {
            set_problem.set(Some("Enter your password."));
        } else {
            set_problem.set(None);
        }
    };

    view! {
        <section class="ccp" aria-label="Call Control Panel" data-hydrated=move || hydrated.get().to_string()>
            <div class="status" role="status" aria-live="polite">"Logged out"</div>
            <form class="login" on:submit=submit novalidate>
                <label>"Agent ID" <input name="agentId" autocomplete="username" bind:value=agent_id/></label>
                <label>"Password" <input name="password" type="password" autocomplete="current-password" bind:value=password/></label>
                <label>"Extension" <input name="extension" inputmode="numeric" bind:value=extension/></label>
                <p class="form-error" role="alert">{move || problem.get()}</p>
                <button type="submit" class="btn btn-primary">"Log in"</button>
            </form>
        </section>
    }
}
