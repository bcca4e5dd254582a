//! Outbound dialling: the "Phone number" field and "Dial".

use leptos::prelude::*;

use crate::{
    client::Cti,
    interface::{Request, request::CallOptions},
    protocol::{functions::Function, validate},
};

#[component]
pub fn Dialer() -> impl IntoView {
    let cti = Cti::expect();
    let number = RwSignal::new(String::new());
    let (problem, set_problem) = signal(None::<String>);
    let dial = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match validate::destination(&number.get_untracked()) {
            Ok(destination) => {
                set_problem.set(None);
                cti.act(Request::MakeCall {
                    destination,
                    options: CallOptions::default(),
                });
            }
            Err(err) => set_problem.set(Some(err.err_message)),
        }
    };
    view! {
        <Show when=move || cti.offered(Function::MakeCall)>
            <form class="dialer" on:submit=dial novalidate>
                <label class="dialer-field">"Phone number"
                    <input name="number" type="tel" inputmode="tel" autocomplete="off" bind:value=number/>
                </label>
                <button type="submit" class="btn btn-answer">"Dial"</button>
                <p class="form-error" role="alert">{move || problem.get()}</p>
            </form>
        </Show>
    }
    .into_any()
}
