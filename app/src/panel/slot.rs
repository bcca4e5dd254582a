//! A place in the panel whose content is a split wasm chunk, fetched and
//! mounted in the browser the first time it is needed (the server renders
//! the empty slot; nothing is hydrated inside). The softphone's controls
//! and the conversation assistant live in such slots: panels that never
//! need them never download them.

use std::{any::Any, future::Future};

use leptos::{html::Div, prelude::*};

use crate::{interface::Interface, languages::Locale};

/// What a chunk's entry point does: mounts its view under the element and
/// returns the mount, kept for the page's life.
pub type Mounted = Box<dyn Any>;

/// An empty `div` with `class`, hidden while `shown` is false; the first
/// time it is shown, `mount` loads the chunk and mounts it inside.
#[component]
pub fn LazySlot<M, F>(class: &'static str, shown: Signal<bool>, mount: M) -> impl IntoView
where
    M: Fn(web_sys::Element, Interface, Locale) -> F + Copy + 'static,
    F: Future<Output = Mounted> + 'static,
{
    let interface = Interface::expect();
    let locale = crate::languages::use_locale();
    let slot = NodeRef::<Div>::new();
    let mounted = StoredValue::new_local(None::<Mounted>);
    let loading = StoredValue::new(false);
    Effect::new(move |_| {
        if !shown.get() || loading.get_value() {
            return;
        }
        let Some(parent) = slot.get() else {
            return;
        };
        loading.set_value(true);
        wasm_bindgen_futures::spawn_local(async move {
            let view = mount(parent.into(), interface, locale).await;
            mounted.set_value(Some(view));
        });
    });
    view! { <div class=class node_ref=slot hidden=move || !shown.get()></div> }
}
