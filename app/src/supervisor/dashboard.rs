//! The signed-in part of the supervisor page: queues, agents, calls, audit
//! log.
//! Mounted in the browser only (`page`), so its views are built, never
//! rendered to HTML nor hydrated: no `Show` (its children are type-erased
//! views that carry every rendering path) and no `into_any` inside.
//!
//! It is also a split point: built with `cargo leptos build --split`, the
//! tables are a wasm chunk of their own, fetched when a supervisor signs in,
//! so an agent's panel never downloads them (BENCHMARKS.md, weight).

use leptos::prelude::*;

use super::{
    agents::AgentsTable, audit::AuditLog, calls::CallsSection, feed::FeedLink, page::Desk,
    queues::QueuesTable,
};
use crate::languages::Locale;

/// Opens the live feed with the supervisor's `token` and mounts the tables
/// under `parent`; both end when the returned handle is dropped. The feed
/// lives here too, so its code (and the figures' decoding) is in the chunk.
#[wasm_split_helpers::wasm_split(dashboard, fallible)]
pub fn mount_dashboard(
    parent: web_sys::Element,
    desk: Desk,
    locale: Locale,
    token: String,
) -> Result<Box<dyn std::any::Any>, wasm_split_helpers::SplitLoaderError> {
    let feed = FeedGuard(FeedLink::open(desk, token));
    desk.refresh_audit();
    let tables = leptos::mount::mount_to_renderer(&parent, move || {
        provide_context(desk);
        provide_context(locale);
        (QueuesTable(), AgentsTable(), CallsSection(), AuditLog())
    });
    Ok(Box::new((tables, feed)))
}

/// Stops the feed when the page lets the dashboard go (sign-out).
struct FeedGuard(FeedLink);

impl Drop for FeedGuard {
    fn drop(&mut self) {
        self.0.stop();
    }
}
