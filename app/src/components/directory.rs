//! The directory of transfer targets: agents with their live state, queues
//! with their waiting calls, and recent numbers, with search. Choosing an
//! entry fills the "Phone number" field.

use leptos::prelude::*;

use super::panel::PanelState;
use crate::{client::Cti, protocol::functions::Function};

/// One line of the directory.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    number: String,
    label: String,
    detail: String,
    /// A CSS class for the state dot.
    state: &'static str,
}

#[cfg(feature = "hydrate")]
fn agent_state(
    status: crate::protocol::native::AgentStatus,
    busy: bool,
) -> (&'static str, &'static str) {
    use crate::protocol::native::AgentStatus;
    match (status, busy) {
        (AgentStatus::LoggedOut, _) => ("Logged out", "off"),
        (_, true) => ("On a call", "busy"),
        (AgentStatus::Ready, _) => ("Ready", "ready"),
        (AgentStatus::WorkingAfterCall, _) => ("After-call work", "acw"),
        (AgentStatus::NotReady, _) => ("Not ready", "not-ready"),
    }
}

#[component]
pub fn DirectoryPanel() -> impl IntoView {
    let cti = Cti::expect();
    let ui = PanelState::expect();
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let entries = RwSignal::new(Vec::<Entry>::new());

    let refresh = move || {
        #[cfg(feature = "hydrate")]
        wasm_bindgen_futures::spawn_local(async move {
            let Ok(directory) = cti.directory().await else {
                return;
            };
            let own = cti.store.with_untracked(|s| s.this_dn.clone());
            let mut list: Vec<Entry> = directory
                .agents
                .into_iter()
                .filter(|a| a.extension != own)
                .map(|a| {
                    let (words, state) = agent_state(a.status, a.busy);
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
            let recent = cti.store.with_untracked(|s| {
                s.recent
                    .iter()
                    .map(|r| r.number.clone())
                    .collect::<Vec<_>>()
            });
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
            let _ = entries.try_set(list);
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
        entries.with(|list| {
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
        cti.offered(Function::BlindTransfer)
            || cti.offered(Function::TransferInitiate)
            || cti.offered(Function::MakeCall)
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
