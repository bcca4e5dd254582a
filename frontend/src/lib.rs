//! The browser entry point and composition root: hydrates the panel, then
//! wires the parts that only a page has around the one Interface — the
//! reference Implementation, `window.OpenCTI`, the postMessage bridge and
//! the incoming-call alerts.

mod alerts;
mod bridge;
mod js_api;

use std::rc::Rc;

use app::{implementations::reference::Reference, interface::Interface};
use leptos::prelude::provide_context;
use wasm_bindgen::prelude::wasm_bindgen;

/// Whether the server named a Pega adapter for this page.
fn pega_configured() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!("meta[name=\"{}\"]", app::PEGA_META))
                .ok()
                .flatten()
        })
        .is_some()
}

/// Called by the script that cargo-leptos injects into the page.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let interface = Interface::new();
    // `hydrate_lazy`: /supervisor is a lazy route, whose chunk must arrive
    // before that page hydrates. Hydration runs in a task, so what follows
    // (the Implementation, `window.OpenCTI`) is installed first; the panel
    // reports `data-hydrated` from its own effect once it has taken over.
    leptos::mount::hydrate_lazy(move || {
        provide_context(interface);
        app::App()
    });
    // A page that names a Pega adapter gets it from the Pega host layer
    // when `window.OpenCTI` is installed; every other page talks to this
    // server through the reference Implementation.
    if !pega_configured() {
        interface.use_implementation(Rc::new(Reference::new(interface.sink())));
    }
    alerts::install(interface);
    // `window.OpenCTI` means the panel can take commands; the bridge then
    // announces `opencti:ready` to the host.
    js_api::install(interface);
    bridge::install(interface);
}
