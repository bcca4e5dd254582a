//! The panel frame: provides the Interface handle, starts the browser
//! runtime after hydration, and lays out the parts.

use leptos::prelude::*;

use super::{
    agent_bar::AgentBar,
    calls::CallList,
    dialer::Dialer,
    login::LoginForm,
    status::{LinkBanner, StatusRegion, Toast},
};
use crate::client::Cti;

/// The Call Control Panel. `data-hydrated` turns to `true` once the browser
/// has taken over (and `window.OpenCTI` exists), so tests and hosts can wait
/// for it instead of sleeping.
#[component]
pub fn Panel() -> impl IntoView {
    let cti = Cti::new();
    provide_context(cti);
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let reference = crate::browser::reference::Reference::new(cti);
            crate::browser::runtime::use_implementation(cti, std::rc::Rc::new(reference));
            crate::browser::js_api::install(cti);
        }
        set_hydrated.set(true);
    });
    let logged_in = move || cti.store.with(|s| s.logged_in());

    view! {
        <section class="ccp" aria-label="Call Control Panel" data-hydrated=move || hydrated.get().to_string()>
            <StatusRegion/>
            <LinkBanner/>
            <Show when=logged_in fallback=|| view! { <LoginForm/> }>
                <AgentBar/>
                <CallList/>
                <Dialer/>
            </Show>
            <Toast/>
        </section>
    }
    .into_any()
}
