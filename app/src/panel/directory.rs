//! The directory of transfer targets: agents with their live state, queues
//! with their waiting calls, and recent numbers, with search. Choosing an
//! entry fills the "Phone number" field. The button is the panel's; the
//! list is a split chunk in a [`LazySlot`], fetched when first opened (or in
//! the background after login).

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::{
    slot::{LazySlot, Mount, SlotContext},
    state::PanelState,
    status::activity_words,
};
use crate::{
    interface::Interface,
    languages::{Locale, use_locale},
    opencti::{
        directory::{Directory, DirectoryAgent},
        events::{AgentState, WorkMode},
        functions::Function,
    },
    supervisor::AgentActivity,
};

/// One line of the directory.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    number: String,
    label: String,
    detail: String,
    /// A CSS class for the state dot.
    state: &'static str,
}

/// An agent's state, and the class of its dot.
fn agent_state(agent: &DirectoryAgent) -> (AgentActivity, &'static str) {
    match (agent.agent_state, agent.work_mode) {
        (AgentState::Logout, _) => (AgentActivity::LoggedOut, "off"),
        (AgentState::Busy, _) => (AgentActivity::OnCall, "busy"),
        (_, WorkMode::Acw) => (AgentActivity::WrapUp, "acw"),
        (AgentState::Ready, _) => (AgentActivity::Ready, "ready"),
        _ => (AgentActivity::NotReady, "not-ready"),
    }
}

/// The directory's lines: agents other than the viewer, queues, then the
/// recent numbers that are neither.
fn entries(locale: Locale, directory: Directory, own_dn: &str, recent: Vec<String>) -> Vec<Entry> {
    let mut list: Vec<Entry> = directory
        .agents
        .into_iter()
        .filter(|a| a.extension != own_dn)
        .map(|a| {
            let (activity, state) = agent_state(&a);
            let words = activity_words(locale, activity);
            Entry {
                label: if a.name.is_empty() {
                    td_string!(locale, agent.who, id = a.agent_id.as_str())
                } else {
                    a.name
                },
                detail: td_string!(
                    locale,
                    directory.agent_detail,
                    extension = a.extension.as_str(),
                    state = words
                ),
                number: a.extension,
                state,
            }
        })
        .collect();
    list.extend(directory.queues.into_iter().map(|q| Entry {
        label: td_string!(locale, directory.queue, name = q.name.as_str()),
        detail: td_string!(
            locale,
            directory.queue_detail,
            number = q.number.as_str(),
            waiting = q.waiting
        ),
        number: q.number,
        state: "queue",
    }));
    for number in recent {
        if !list.iter().any(|e| e.number == number) {
            list.push(Entry {
                label: number.clone(),
                detail: td_string!(locale, directory.recent).into(),
                number,
                state: "recent",
            });
        }
    }
    list
}

/// The directory's button, and the slot its list is mounted in.
#[component]
pub fn DirectoryPanel() -> impl IntoView {
    let interface = Interface::expect();
    let ui = PanelState::expect();
    let locale = use_locale();
    let open = ui.directory_open;
    let offered = move || {
        interface.offered(Function::BlindTransfer)
            || interface.offered(Function::TransferInitiate)
            || interface.offered(Function::MakeCall)
    };
    view! {
        <Show when=offered>
            <div class="directory">
                <button type="button" class="btn btn-ghost" aria-expanded=move || open.get().to_string()
                    aria-controls="directory-list" on:click=move |_| open.update(|o| *o = !*o)>{td_string!(locale, directory.title)}</button>
                <LazySlot class="directory-slot" shown=open.into() mount=mount_directory/>
            </div>
        </Show>
    }
    .into_any()
}

/// The directory chunk's entry point.
#[wasm_split_helpers::wasm_split(directory, fallible, preload(preload_directory_chunk))]
pub fn mount_directory(parent: web_sys::Element, context: SlotContext) -> Mount {
    context.mount(&parent, DirectoryList)
}

/// The search and the list, fetched again each time the directory opens.
#[component]
fn DirectoryList() -> impl IntoView {
    let interface = Interface::expect();
    let store = interface.store();
    let ui = PanelState::expect();
    let locale = use_locale();
    let open = ui.directory_open;
    let query = RwSignal::new(String::new());
    let entries_now = RwSignal::new(Vec::<Entry>::new());

    // An Implementation without getDirectory still lists the recent numbers.
    let refresh = move || {
        leptos::task::spawn_local(async move {
            let directory = if interface.offered(Function::GetDirectory) {
                interface.directory().await.unwrap_or_default()
            } else {
                Directory::default()
            };
            let (own, recent) = store.with_untracked(|s| {
                let recent = s.recent.iter().map(|r| r.number.clone()).collect();
                (s.this_dn.clone(), recent)
            });
            let _ = entries_now.try_set(entries(locale, directory, &own, recent));
        });
    };
    Effect::new(move |_| {
        if open.get() {
            refresh();
        }
    });
    let shown = move || {
        let q = query.get().to_lowercase();
        entries_now.with(|list| {
            list.iter()
                .filter(|e| {
                    q.is_empty()
                        || e.label.to_lowercase().contains(&q)
                        || e.number.contains(&q)
                        || e.detail.to_lowercase().contains(&q)
                })
                .cloned()
                .collect::<Vec<_>>()
        })
    };

    view! {
        <div class="directory-body" id="directory-list">
            <input type="search" aria-label=td_string!(locale, directory.search)
                placeholder=td_string!(locale, directory.search_placeholder) bind:value=query/>
            <ul class="directory-list" aria-label=td_string!(locale, directory.title)>
                {move || shown().into_iter().map(|entry| {
                    let number = entry.number.clone();
                    view! {
                        <li>
                            <button type="button" class="directory-entry"
                                on:click=move |_| { ui.number.set(number.clone()); open.set(false); }>
                                <span class=format!("dot dot-{}", entry.state) aria-hidden="true"></span>
                                <span class="directory-label">{entry.label.clone()}</span>
                                <span class="directory-detail">{entry.detail.clone()}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}
