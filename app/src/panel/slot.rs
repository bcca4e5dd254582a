//! A place in the panel whose content is a split wasm chunk, fetched and
//! mounted in the browser the first time it is shown (nothing is hydrated
//! inside). The softphone's controls, the conversation assistant, the
//! keypad, the directory, the recent calls, the wrap-up form and the
//! shortcuts' help live in such slots: the page downloads none of them, and
//! once the agent is logged in and the browser is idle they are fetched in
//! the background ([`prefetch_when_idle`]), so that a click does not wait on
//! the network.
//!
//! A chunk that cannot be fetched (the network is down, the server was
//! upgraded under the page) leaves a message and a Retry button in its
//! slot; the rest of the panel, the call controls first, keeps working.
//!
//! Each chunk's entry point is declared with [`wasm_split_helpers::wasm_split`]
//! and its `fallible` option (Leptos's `#[lazy]` panics on a failed fetch,
//! which ends the whole wasm module), and its preload function is listed in
//! [`PREFETCHED`].

use std::{any::Any, future::Future};

use leptos::{html::Div, prelude::*};
use leptos_i18n::td_string;
pub use wasm_split_helpers::SplitLoaderError;

use super::state::PanelState;
use crate::{
    interface::Interface,
    languages::{Locale, use_locale},
};

/// What a chunk's entry point does: mounts its view under the element and
/// returns the mount, kept for the page's life.
pub type Mounted = Box<dyn Any>;

/// What a chunk's entry point returns: its mount, or why it could not run.
pub type Mount = Result<Mounted, SplitLoaderError>;

/// What a chunk's view may use: a mounted view has a root of its own, so it
/// gets the panel's contexts from here (see [`SlotContext::mount`]).
#[derive(Clone, Copy)]
pub struct SlotContext {
    pub interface: Interface,
    pub locale: Locale,
    pub ui: PanelState,
}

impl SlotContext {
    /// Mounts `view` under `parent` with the panel's contexts.
    pub fn mount<V: IntoView + 'static>(
        self,
        parent: &web_sys::Element,
        view: impl FnOnce() -> V + 'static,
    ) -> Mount {
        Ok(Box::new(leptos::mount::mount_to_renderer(
            parent,
            move || {
                provide_context(self.interface);
                provide_context(self.locale);
                provide_context(self.ui);
                view()
            },
        )))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Load {
    Idle,
    Loading,
    Mounted,
    Failed,
}

/// An empty `div` with `class`, hidden while `shown` is false; the first
/// time it is shown, `mount` loads the chunk and mounts it inside. A failed
/// load says so in the slot and offers to try again.
#[component]
pub fn LazySlot<M, F>(class: &'static str, shown: Signal<bool>, mount: M) -> impl IntoView
where
    M: Fn(web_sys::Element, SlotContext) -> F + Copy + Send + Sync + 'static,
    F: Future<Output = Mount> + 'static,
{
    let locale = use_locale();
    let context = SlotContext {
        interface: Interface::expect(),
        locale,
        ui: PanelState::expect(),
    };
    let slot = NodeRef::<Div>::new();
    let mounted = StoredValue::new_local(None::<Mounted>);
    let load = RwSignal::new(Load::Idle);
    let start = move || {
        let Some(parent) = slot.get_untracked() else {
            return;
        };
        load.set(Load::Loading);
        wasm_bindgen_futures::spawn_local(async move {
            match mount(parent.into(), context).await {
                Ok(view) => {
                    mounted.set_value(Some(view));
                    let _ = load.try_set(Load::Mounted);
                }
                Err(_) => {
                    let _ = load.try_set(Load::Failed);
                }
            }
        });
    };
    Effect::new(move |_| {
        if shown.get() && slot.get().is_some() && load.get_untracked() == Load::Idle {
            start();
        }
    });
    let failed = move || shown.get() && load.get() == Load::Failed;
    view! {
        <div class=class node_ref=slot hidden=move || !shown.get()></div>
        {move || failed().then(|| load_failed(locale, td_string!(locale, status.part_failed), start))}
    }
}

/// Says that a chunk could not be fetched, with a Retry that runs `retry`
/// (the panel's slots and the supervisor's dashboard).
pub fn load_failed(
    locale: Locale,
    message: &'static str,
    retry: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <p class="slot-failed" role="alert">
            <span>{message}</span>
            <button type="button" class="btn btn-secondary btn-small" on:click=move |_| retry()>
                {td_string!(locale, status.retry)}
            </button>
        </p>
    }
}

/// The chunks fetched in the background once the agent is logged in and
/// the browser is idle (in the order an agent usually needs them).
const PREFETCHED: [fn() -> Prefetch; 5] = [
    || Box::pin(super::agent_bar::preload_wrap_up_chunk()),
    || Box::pin(super::dialer::preload_keypad_chunk()),
    || Box::pin(super::directory::preload_directory_chunk()),
    || Box::pin(super::recent::preload_recent_chunk()),
    || Box::pin(super::shortcuts::preload_help_chunk()),
];

type Prefetch = std::pin::Pin<Box<dyn Future<Output = Result<(), SplitLoaderError>>>>;

fn prefetch_all() {
    for preload in PREFETCHED {
        wasm_bindgen_futures::spawn_local(async move {
            // A failure is met again, and shown, when the part is opened.
            let _ = preload().await;
        });
    }
}

/// Fetches the panel's chunks in the background, once: after login, when
/// the browser is next idle (browser only: call it from an effect). The
/// page option `prefetch=0` turns it off (a host on a metered link; the
/// benchmark of a cold first open).
pub fn prefetch_when_idle(interface: Interface, ui: PanelState) {
    let done = StoredValue::new(false);
    Effect::new(move |_| {
        if done.get_value() || !ui.prefetch.get() || !interface.store().with(|s| s.logged_in()) {
            return;
        }
        done.set_value(true);
        let Some(window) = web_sys::window() else {
            return;
        };
        let idle = wasm_bindgen::closure::Closure::once_into_js(prefetch_all);
        // Browsers without requestIdleCallback (Safari) fetch a second later.
        if window
            .request_idle_callback(wasm_bindgen::JsCast::unchecked_ref(&idle))
            .is_err()
        {
            gloo_timers::callback::Timeout::new(1_000, prefetch_all).forget();
        }
    });
}
