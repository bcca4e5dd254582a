//! `/supervisor`: the sign-in form until a supervisor signs in, then the
//! queues, the agents and the audit log, live from the relay.
//!
//! The server renders the page signed out (it keeps no cookie); in the
//! browser the tab's `sessionStorage` brings a signed-in supervisor back
//! after a reload, and the feed ([`super::feed`]) keeps the tables live.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::{
    AgentRow, AuditEntry, Snapshot, SupervisorSession, dashboard::mount_dashboard, http,
    signin::SignIn,
};
use crate::{languages::use_locale, panel::slot::load_failed};

/// Where this tab keeps the supervisor's session (a reload keeps it, a new
/// tab or window signs in again).
const SESSION_KEY: &str = "opencti.supervisor";

/// How the page's live feed is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedState {
    Connecting,
    Live,
    Down,
}

/// The page's state, shared by its parts.
#[derive(Clone, Copy)]
pub struct Desk {
    pub session: RwSignal<Option<SupervisorSession>>,
    pub snapshot: RwSignal<Option<Snapshot>>,
    /// The server's time now (ms since the epoch), ticking every second.
    pub now: RwSignal<u64>,
    pub feed: RwSignal<FeedState>,
    pub audit: RwSignal<Vec<AuditEntry>>,
    /// One signal per agent's row: an update sets only the rows that
    /// changed, so the table redraws those cells and nothing else.
    rows: StoredValue<HashMap<String, ArcRwSignal<AgentRow>>>,
    /// Server time minus this browser's time, from the latest snapshot.
    skew: StoredValue<i64>,
}

impl Desk {
    fn new() -> Self {
        Self {
            session: RwSignal::new(None),
            snapshot: RwSignal::new(None),
            now: RwSignal::new(0),
            feed: RwSignal::new(FeedState::Connecting),
            audit: RwSignal::new(vec![]),
            rows: StoredValue::new(HashMap::new()),
            skew: StoredValue::new(0),
        }
    }

    pub fn expect() -> Self {
        expect_context()
    }

    /// The row of an agent of the latest snapshot.
    pub fn row(&self, agent_id: &str) -> Option<ArcRwSignal<AgentRow>> {
        self.rows.with_value(|rows| rows.get(agent_id).cloned())
    }

    pub fn token(&self) -> Option<String> {
        self.session
            .with_untracked(|s| s.as_ref().map(|s| s.token.clone()))
    }

    /// Figures from the feed (whole, or the rows that changed): the rows
    /// that changed are set, then the tables' order and the queues follow. The clock keeps its
    /// one tick a second (setting it here would redraw every timer).
    pub fn apply(&self, snapshot: Snapshot, changes_only: bool) {
        self.skew
            .set_value(snapshot.at as i64 - browser_now() as i64);
        if self.now.get_untracked() == 0 {
            self.now.set(snapshot.at);
        }
        // The changed rows are set once the map is let go: what they wake
        // may read the map.
        let mut changed = vec![];
        self.rows.update_value(|rows| {
            for row in &snapshot.agents {
                match rows.get(&row.agent_id) {
                    Some(signal) => {
                        if signal.with_untracked(|old| old != row) {
                            changed.push((signal.clone(), row.clone()));
                        }
                    }
                    None => {
                        rows.insert(row.agent_id.clone(), ArcRwSignal::new(row.clone()));
                    }
                }
            }
        });
        for (signal, row) in changed {
            signal.set(row);
        }
        self.snapshot.update(|current| match current {
            Some(current) => current.merge(snapshot, changes_only),
            None => *current = Some(snapshot),
        });
        if self.feed.get_untracked() != FeedState::Live {
            self.feed.set(FeedState::Live);
        }
    }

    fn tick(&self) {
        self.now
            .set((browser_now() as i64 + self.skew.get_value()).max(0) as u64);
    }

    /// Signed in: the session is kept for a reload of this tab.
    pub fn signed_in(&self, session: SupervisorSession) {
        if let (Some(storage), Ok(json)) = (session_storage(), serde_json::to_string(&session)) {
            let _ = storage.set_item(SESSION_KEY, &json);
        }
        self.session.set(Some(session));
    }

    /// Signed out (by the supervisor, or the server ended the session).
    pub fn signed_out(&self) {
        if let Some(storage) = session_storage() {
            let _ = storage.remove_item(SESSION_KEY);
        }
        self.session.set(None);
        self.snapshot.set(None);
        self.rows.set_value(HashMap::new());
        self.audit.set(vec![]);
        self.feed.set(FeedState::Connecting);
    }

    /// Reads the audit log again (after sign-in and after each action).
    pub fn refresh_audit(&self) {
        let Some(token) = self.token() else {
            return;
        };
        let audit = self.audit;
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(entries) = http::call::<Vec<AuditEntry>>(
                "GET",
                "/api/supervisor/audit?limit=20",
                Some(&token),
                None::<&()>,
            )
            .await
            {
                audit.set(entries);
            }
        });
    }
}

fn browser_now() -> u64 {
    js_sys::Date::now() as u64
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn stored_session() -> Option<SupervisorSession> {
    let json = session_storage()?.get_item(SESSION_KEY).ok().flatten()?;
    serde_json::from_str(&json).ok()
}

/// `/supervisor` as a lazy route: its header, sign-in form, session and the
/// dashboard's loader are a wasm chunk of their own (`cargo leptos build
/// --split`), fetched only when the page is `/supervisor` (before it
/// hydrates there), so an agent's panel downloads none of it.
#[derive(Debug)]
pub struct SupervisorRoute;

#[leptos_router::lazy_route]
impl leptos_router::LazyRoute for SupervisorRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <SupervisorPage/> }.into_any()
    }
}

#[component]
pub fn SupervisorPage() -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::new();
    provide_context(desk);
    let board = NodeRef::<leptos::html::Div>::new();
    let mounted = StoredValue::new_local(None::<Box<dyn std::any::Any>>);
    // `data-hydrated` turns true once the browser runs the page (tests and
    // tools wait for it before they type).
    let hydrated = RwSignal::new(false);
    // Browser only (effects do not run on the server): a reload of a
    // signed-in tab goes straight back to the tables.
    Effect::new(move |_| {
        if let Some(session) = stored_session() {
            desk.session.set(Some(session));
        }
        let clock = gloo_timers::callback::Interval::new(1_000, move || desk.tick());
        clock.forget();
        hydrated.set(true);
    });
    // The feed and the tables follow the session. The tables are mounted
    // in the browser only, never server-rendered nor hydrated (the server
    // knows no supervisor), from a wasm chunk of their own
    // (`dashboard::mount_dashboard`): an agent's panel carries none of it.
    // A chunk that cannot be fetched says so, with a Retry (`attempt`).
    let failed = RwSignal::new(false);
    let attempt = RwSignal::new(0_u32);
    Effect::new(move |_| {
        attempt.track();
        let token = desk.session.with(|s| s.as_ref().map(|s| s.token.clone()));
        mounted.set_value(None);
        failed.set(false);
        if let (Some(token), Some(parent)) = (token, board.get()) {
            wasm_bindgen_futures::spawn_local(async move {
                let dashboard = mount_dashboard(parent.into(), desk, locale, token.clone()).await;
                // Still the same sign-in once the chunk has arrived?
                if desk.token().as_ref() != Some(&token) {
                    return;
                }
                match dashboard {
                    Ok(dashboard) => mounted.set_value(Some(dashboard)),
                    Err(_) => failed.set(true),
                }
            });
        }
    });
    let sign_out = move |_| {
        let token = desk.token();
        desk.signed_out();
        if let Some(token) = token {
            wasm_bindgen_futures::spawn_local(async move {
                let _ =
                    http::call::<()>("POST", "/api/supervisor/logout", Some(&token), None::<&()>)
                        .await;
            });
        }
    };
    let signed_in = move || desk.session.with(Option::is_some);
    view! {
        <div class="page supervisor-page" data-hydrated=move || hydrated.get().to_string()>
            <header class="page-header">
                <span class="brand">"OpenCTI"</span>
                <span class="page-title">{td_string!(locale, supervisor.title)}</span>
                <span class="sv-who" class:sv-hidden=move || !signed_in()>
                    <FeedBadge/>
                    <span class="sv-name">{move || desk.session.with(|s| s.as_ref().map(|s| s.name.clone()))}</span>
                    <button class="btn btn-small btn-ghost" on:click=sign_out>{td_string!(locale, supervisor.sign_out)}</button>
                </span>
            </header>
            <main class="sv-main">
                <div class:sv-hidden=signed_in><SignIn/></div>
                {move || failed.get().then(|| load_failed(
                    locale,
                    td_string!(locale, supervisor.dashboard_failed),
                    move || attempt.update(|n| *n += 1),
                ))}
                <div class="sv-dashboard" node_ref=board></div>
            </main>
        </div>
    }
    .into_any()
}

/// Live, or reconnecting: a supervisor must know whether the figures move.
#[component]
fn FeedBadge() -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::expect();
    let live = move || desk.feed.get() == FeedState::Live;
    view! {
        <span class="sv-feed" class:sv-feed-live=live role="status">
            {move || if live() {
                td_string!(locale, supervisor.live)
            } else {
                td_string!(locale, supervisor.connecting)
            }}
        </span>
    }
}
