//! The agents table: who is in which state since when, on which call,
//! how many calls handled and how long on average; filterable by text and
//! state, sortable by column; each row's actions open a dialog that asks
//! the reason the agent will see.

use leptos::{
    html::{Button, Span, Tr},
    prelude::*,
};
use leptos_i18n::td_string;

use super::{
    ActionRequest, AgentActivity, AgentRow, AuditEntry, MAX_REASON_CHARS, SupervisorAction, http,
    page::Desk,
    sort_header::SortHeader,
    table::{AgentColumn, AgentFilter, Sort, agents_shown, elapsed, page_bounds},
};
use crate::{
    languages::{error_message, use_locale},
    panel::{state::duration, status::activity_words},
};

/// The action a supervisor is about to take: on whom, and which.
#[derive(Debug, Clone, PartialEq)]
struct Pending {
    agent_id: String,
    name: String,
    action: SupervisorAction,
}

#[component]
pub fn AgentsTable() -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::expect();
    let sort = RwSignal::new(Sort::by(AgentColumn::Agent));
    let filter = RwSignal::new(AgentFilter::default());
    let pending = RwSignal::new(None::<Pending>);
    let rows = Memo::new(move |_| {
        desk.snapshot.with(|s| {
            s.as_ref()
                .map(|s| filter.with(|f| agents_shown(&s.agents, f, sort.get())))
                .unwrap_or_default()
        })
    });
    let total = move || {
        desk.snapshot
            .with(|s| s.as_ref().map_or(0, |s| s.agents.len()))
    };
    // One page of rows at a time; a new order or filter starts at page one.
    let page = RwSignal::new(0usize);
    Effect::new(move |_| {
        sort.track();
        filter.track();
        page.set(0);
    });
    let bounds = move || rows.with(|ids| page_bounds(ids.len(), page.get()));
    let visible = Memo::new(move |_| {
        let (start, end, _) = bounds();
        rows.with(|ids| ids[start..end].to_vec())
    });
    let set_state_filter = move |ev| {
        let value = event_target_value(&ev);
        let activity = AgentActivity::ALL.into_iter().find(|a| a.as_str() == value);
        filter.update(|f| f.activity = activity);
    };
    view! {
        <section class="sv-section" aria-labelledby="sv-agents">
            <div class="sv-section-head">
                <h2 id="sv-agents" class="sv-heading">{td_string!(locale, supervisor.agents)}</h2>
                <span class="sv-count">
                    {move || {
                        let (start, end, _) = bounds();
                        let count = rows.with(Vec::len);
                        td_string!(locale, supervisor.shown, first = (start + 1).min(count), last = end, count = count).to_string()
                    }}
                </span>
                {move || (bounds().2 > 1).then(|| view! {
                    <nav class="sv-pager" aria-label=td_string!(locale, supervisor.pages)>
                        <button class="btn btn-small btn-ghost" type="button"
                            disabled=move || page.get() == 0
                            on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>
                            {td_string!(locale, supervisor.previous)}
                        </button>
                        <button class="btn btn-small btn-ghost" type="button"
                            disabled=move || { let (_, end, _) = bounds(); end >= rows.with(Vec::len) }
                            on:click=move |_| page.update(|p| *p += 1)>
                            {td_string!(locale, supervisor.next)}
                        </button>
                    </nav>
                })}
            </div>
            <div class="sv-filters">
                <label>
                    {td_string!(locale, supervisor.filter)}
                    <input type="search" placeholder=td_string!(locale, supervisor.filter_placeholder)
                        prop:value=move || filter.with(|f| f.text.clone())
                        on:input=move |ev| filter.update(|f| f.text = event_target_value(&ev))/>
                </label>
                <label>
                    {td_string!(locale, supervisor.state_filter)}
                    <select on:change=set_state_filter>
                        <option value="">{td_string!(locale, supervisor.all_states)}</option>
                        {AgentActivity::ALL.iter().map(|&a| view! { <option value=a.as_str()>{activity_words(locale, a)}</option> }).collect::<Vec<_>>()}
                    </select>
                </label>
            </div>
            <div class="sv-scroll">
                <table class="sv-table sv-agents">
                    <thead>
                        <tr>
                            <SortHeader label=td_string!(locale, supervisor.col_agent) column=AgentColumn::Agent sort/>
                            <SortHeader label=td_string!(locale, supervisor.col_extension) column=AgentColumn::Extension sort/>
                            <SortHeader label=td_string!(locale, supervisor.col_state) column=AgentColumn::State sort/>
                            <th scope="col">{td_string!(locale, supervisor.col_reason)}</th>
                            <SortHeader label=td_string!(locale, supervisor.col_time_in_state) column=AgentColumn::TimeInState sort/>
                            <th scope="col">{td_string!(locale, supervisor.col_call)}</th>
                            <SortHeader label=td_string!(locale, supervisor.col_handled) column=AgentColumn::Handled sort/>
                            <SortHeader label=td_string!(locale, supervisor.col_aht) column=AgentColumn::AverageHandle sort/>
                            <th scope="col">{td_string!(locale, supervisor.col_actions)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || 0..visible.with(Vec::len) key=|position| *position let:position>
                            <AgentSlot position visible pending/>
                        </For>
                    </tbody>
                </table>
            </div>
            {move || (rows.with(Vec::is_empty) && total() > 0).then(|| view! {
                <p class="sv-empty">{td_string!(locale, supervisor.no_match)}</p>
            })}
            <ActionDialog pending/>
        </section>
    }
}

/// Row `position` of the page: it shows whichever agent the order puts
/// there. Rows are recycled, not rebuilt, and one effect per row writes the
/// cells that changed: sorted by time in state, every row shows another
/// agent at every update, and one reactive node per cell cost ~20 µs each
/// there (`end2end/bench/supervisor.mjs`); the two timers stay reactive
/// text, since the clock moves them.
#[component]
fn AgentSlot(
    position: usize,
    visible: Memo<Vec<String>>,
    pending: RwSignal<Option<Pending>>,
) -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::expect();
    let agent_id =
        Memo::new(move |_| visible.with(|ids| ids.get(position).cloned().unwrap_or_default()));
    let row = Memo::new(move |_| agent_id.with(|id| desk.row(id)));
    let current = move || row.with(|r| r.as_ref().map(|r| r.get()));
    let since = Memo::new(move |_| {
        current().and_then(|r| (r.activity != AgentActivity::LoggedOut).then_some(r.since))
    });
    let call_since = Memo::new(move |_| current().and_then(|r| r.call.map(|c| c.since)));
    let (tr, name, id, extension, state, reason, party, handled, handle_time) = (
        NodeRef::<Tr>::new(),
        NodeRef::<Span>::new(),
        NodeRef::<Span>::new(),
        NodeRef::<Span>::new(),
        NodeRef::<Span>::new(),
        NodeRef::<Span>::new(),
        NodeRef::<Span>::new(),
        NodeRef::<Span>::new(),
        NodeRef::<Span>::new(),
    );
    let (force_not_ready, force_logout) = (NodeRef::<Button>::new(), NodeRef::<Button>::new());
    Effect::new(move |previous: Option<Option<AgentRow>>| {
        let now = current();
        let before = previous.flatten();
        if let Some(r) = &now {
            let changed = |cell: fn(&AgentRow) -> String| {
                let text = cell(r);
                before
                    .as_ref()
                    .is_none_or(|b| cell(b) != text)
                    .then_some(text)
            };
            let write = |node: NodeRef<Span>, cell: fn(&AgentRow) -> String| {
                if let (Some(text), Some(element)) = (changed(cell), node.get_untracked()) {
                    element.set_text_content(Some(&text));
                }
            };
            write(name, |r| r.name.clone());
            write(id, |r| r.agent_id.clone());
            write(extension, |r| r.extension.clone());
            write(reason, |r| r.reason.clone());
            write(party, |r| {
                r.call.as_ref().map(|c| c.party.clone()).unwrap_or_default()
            });
            write(handled, |r| r.handled.to_string());
            write(handle_time, |r| {
                r.average_handle_ms
                    .map_or_else(|| "—".to_string(), duration)
            });
            if before.as_ref().is_none_or(|b| b.activity != r.activity) {
                if let Some(element) = state.get_untracked() {
                    element.set_text_content(Some(activity_words(locale, r.activity)));
                }
                if let Some(element) = tr.get_untracked() {
                    element.set_class_name(&format!("sv-agent state-{}", r.activity.as_str()));
                }
                let logged_out = r.activity == AgentActivity::LoggedOut;
                for button in [force_not_ready, force_logout] {
                    if let Some(element) = button.get_untracked() {
                        element.set_disabled(logged_out);
                    }
                }
            }
            if let Some(element) = tr.get_untracked() {
                let _ = element.set_attribute("data-agent", &r.agent_id);
            }
        }
        now
    });
    let ask = move |action| {
        if let Some(r) = row.with_untracked(|r| r.as_ref().map(|r| r.get_untracked())) {
            pending.set(Some(Pending {
                agent_id: r.agent_id,
                name: r.name,
                action,
            }));
        }
    };
    view! {
        <tr node_ref=tr class="sv-agent">
            <th scope="row">
                <span class="sv-name" node_ref=name></span>
                <span class="sv-sub" node_ref=id></span>
            </th>
            <td class="num"><span node_ref=extension></span></td>
            <td><span class="sv-state" node_ref=state></span></td>
            <td><span node_ref=reason></span></td>
            <td class="num">{move || elapsed(since.get(), desk.now.get())}</td>
            <td>
                <span class="sv-call">
                    <span node_ref=party></span>
                    <span class="num sv-sub">{move || call_since.get().map(|at| elapsed(Some(at), desk.now.get()))}</span>
                </span>
            </td>
            <td class="num"><span node_ref=handled></span></td>
            <td class="num"><span node_ref=handle_time></span></td>
            <td><div class="sv-actions">
                <button node_ref=force_not_ready class="btn btn-small btn-not-ready" type="button"
                    on:click=move |_| ask(SupervisorAction::ForceNotReady)>
                    {td_string!(locale, supervisor.force_not_ready)}
                </button>
                <button node_ref=force_logout class="btn btn-small btn-secondary" type="button"
                    on:click=move |_| ask(SupervisorAction::ForceLogout)>
                    {td_string!(locale, supervisor.force_logout)}
                </button>
            </div></td>
        </tr>
    }
}

/// Asks the reason (the agent sees it), then carries the action out.
#[component]
fn ActionDialog(pending: RwSignal<Option<Pending>>) -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::expect();
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    // The reason field takes the focus when the dialog opens.
    Effect::new(move |_| {
        if pending.with(Option::is_some)
            && let Some(input) = input.get()
        {
            let _ = input.focus();
        }
    });
    let close = move || {
        pending.set(None);
        reason.set(String::new());
        problem.set(None);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(Pending {
            agent_id, action, ..
        }) = pending.get_untracked()
        else {
            return;
        };
        let text = reason.get_untracked().trim().to_string();
        if text.is_empty() {
            problem.set(Some(td_string!(locale, supervisor.need_reason).into()));
            return;
        }
        let Some(token) = desk.token() else {
            return;
        };
        busy.set(true);
        let request = ActionRequest {
            agent_id,
            action,
            reason: text,
        };
        wasm_bindgen_futures::spawn_local(async move {
            let reply = http::call::<AuditEntry>(
                "POST",
                "/api/supervisor/actions",
                Some(&token),
                Some(&request),
            )
            .await;
            busy.set(false);
            match reply {
                Ok(_) => {
                    close();
                    desk.refresh_audit();
                }
                Err(error) => problem.set(Some(error_message(locale, &error))),
            }
        });
    };
    let title = move || {
        pending.with(|p| {
            p.as_ref().map(|p| {
                let who = if p.name.is_empty() {
                    p.agent_id.clone()
                } else {
                    p.name.clone()
                };
                match p.action {
                    SupervisorAction::ForceNotReady => {
                        td_string!(locale, supervisor.force_not_ready_title, agent = who)
                            .to_string()
                    }
                    SupervisorAction::ForceLogout => {
                        td_string!(locale, supervisor.force_logout_title, agent = who).to_string()
                    }
                    // Never asked of a supervisor: the server's own.
                    SupervisorAction::DeleteRecordings => String::new(),
                }
            })
        })
    };
    let confirm_label = move || {
        pending.with(|p| match p.as_ref().map(|p| p.action) {
            Some(SupervisorAction::ForceLogout) => td_string!(locale, supervisor.force_logout),
            _ => td_string!(locale, supervisor.force_not_ready),
        })
    };
    let open = Memo::new(move |_| pending.with(Option::is_some));
    view! {
        {move || open.get().then(|| view! {
            <div class="sv-backdrop">
                <form class="ccp sv-dialog" role="dialog" aria-modal="true" aria-labelledby="sv-dialog-title"
                    on:submit=submit
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| if ev.key() == "Escape" { close() }>
                    <h2 id="sv-dialog-title" class="login-title">{title}</h2>
                    <label>
                        {td_string!(locale, supervisor.reason)}
                        <input node_ref=input name="reason" maxlength=MAX_REASON_CHARS.to_string()
                            prop:value=reason on:input=move |ev| reason.set(event_target_value(&ev))/>
                        <span class="sv-sub">{td_string!(locale, supervisor.reason_hint)}</span>
                    </label>
                    <p class="form-error" role="alert">{move || problem.get()}</p>
                    <div class="sv-dialog-actions">
                        <button class="btn btn-ghost" type="button" on:click=move |_| close()>{td_string!(locale, supervisor.cancel)}</button>
                        <button class="btn btn-danger" type="submit" disabled=busy>{confirm_label}</button>
                    </div>
                </form>
            </div>
        })}
    }
}
