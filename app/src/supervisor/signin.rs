//! The supervisor's sign-in form: "User ID", "Password", "Log in". An
//! agent's credentials are refused by the server (`403`), shown here.

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::{SupervisorLogin, SupervisorSession, http, page::Desk};
use crate::languages::{error_message, use_locale};

#[component]
pub fn SignIn() -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::expect();
    let user_id = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if user_id.with(|id| id.trim().is_empty()) {
            problem.set(Some(td_string!(locale, supervisor.need_user_id).into()));
            return;
        }
        if password.with(String::is_empty) {
            problem.set(Some(td_string!(locale, login.need_password).into()));
            return;
        }
        problem.set(None);
        busy.set(true);
        let body = SupervisorLogin {
            user_id: user_id.get_untracked().trim().to_string(),
            password: password.get_untracked(),
        };
        wasm_bindgen_futures::spawn_local(async move {
            let reply =
                http::call::<SupervisorSession>("POST", "/api/supervisor/login", None, Some(&body))
                    .await;
            busy.set(false);
            match reply {
                Ok(session) => {
                    password.set(String::new());
                    desk.signed_in(session);
                }
                Err(error) => problem.set(Some(error_message(locale, &error))),
            }
        });
    };
    view! {
        <form class="ccp login sv-login" on:submit=submit novalidate>
            <h1 class="login-title">{td_string!(locale, supervisor.sign_in_title)}</h1>
            <label>
                {td_string!(locale, supervisor.user_id)}
                <input name="user-id" autocomplete="username" inputmode="numeric"
                    prop:value=user_id on:input=move |ev| user_id.set(event_target_value(&ev))/>
            </label>
            <label>
                {td_string!(locale, login.password)}
                <input name="password" type="password" autocomplete="current-password"
                    prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
            </label>
            <p class="form-error" role="alert">{move || problem.get()}</p>
            <button class="btn btn-primary" type="submit" disabled=busy>{td_string!(locale, login.submit)}</button>
        </form>
    }
    .into_any()
}
