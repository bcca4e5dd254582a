//! The directory of transfer targets: agents with their live state, queues
//! with their waiting calls, and recent numbers, with search. Choosing an
//! entry fills the "Phone number" field.

use leptos::prelude::*;

use super::state::PanelState;
use crate::{
    interface::Interface,
    opencti::{
        directory::{Directory, DirectoryAgent},
        events::{AgentState, WorkMode},
        functions::Function,
    },
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

/// An agent's state in words, and the class of its dot.
fn agent_state(agent: &DirectoryAgent) -> (&'static str, &'static str) {
    match (agent.agent_state, agent.work_mode) {
        (AgentState::Logout, _) => ("Logged out", "off"),
        (AgentState::Busy, _) => ("On a call", "busy"),
        (_, WorkMode::Acw) => ("After-call work", "acw"),
        (AgentState::Ready, _) => ("Ready", "ready"),
        _ => ("Not ready", "not-ready"),
    }
}

/// The directory's lines: agents other than the viewer, queues, then the
/// recent numbers that are neither.
fn entries(directory: Directory, own_dn: &str, recent: Vec<String>) -> Vec<Entry> {
    let mut list: Vec<Entry> = directory
        .agents
        .into_iter()
        .filter(|a| a.extension != own_dn)
        .map(|a| {
            let (words, state) = agent_state(&a);
            Entry {
                label: if a.name.is_empty() {
                    format!("Agent {}", a.agent_id)
                } else {
                    a.name
                },
                detail: format!("Ext. {} · {words}", a.extension),
                number: a.extension,
                state,
            }
        })
        .collect();
    list.extend(directory.queues.into_iter().map(|q| Entry {
        label: format!("{} queue", q.name),
        detail: format!("{} · {} waiting", q.number, q.waiting),
        number: q.number,
        state: "queue",
    }));
    for number in recent {
        if !list.iter().any(|e| e.number == number) {
            list.push(Entry {
                label: number.clone(),
                detail: "Recent".into(),
                number,
                state: "recent",
            });
        }
    }
    list
}

#[component]
pub fn DirectoryPanel() -> impl IntoView {
    let interface = Interface::expect();
    let store = interface.store();
    let ui = PanelState::expect();
    let open = RwSignal::new(false);
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
            let _ = entries_now.try_set(entries(directory, &own, recent));
        });
    };
    let toggle = move |_| {
        open.update(|o| *o = !*o);
        if open.get_untracked() {
            refresh();
        }
    };
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
    let offered = move || {
        interface.offered(Function::BlindTransfer)
            || interface.offered(Function::TransferInitiate)
            || interface.offered(Function::MakeCall)
    };

    view! {
        <Show when=offered>
            <div class="directory">
                <button type="button" class="btn btn-ghost" aria-expanded=move || open.get().to_string()
                    aria-controls="directory-list" on:click=toggle>"Directory"</button>
                <Show when=move || open.get()>
                    <div class="directory-body" id="directory-list">
                        <input type="search" aria-label="Search directory" placeholder="Search agents, queues, numbers" bind:value=query/>
                        <ul class="directory-list" aria-label="Directory">
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
                </Show>
            </div>
        </Show>
    }
    .into_any()
}
