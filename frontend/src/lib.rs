//! The browser entry point: hydrates the server-rendered panel.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the script that cargo-leptos injects into the page.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
