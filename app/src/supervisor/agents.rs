//! The agents table: who is in which state since when, on which call,
//! how many calls handled and how long on average; filterable by text and
//! state, sortable by column; each row's actions open a dialog that asks
//! the reason the agent will see.

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::{
    ActionRequest, AgentActivity, AgentRow, AuditEntry, MAX_REASON_CHARS, SupervisorAction, http,
    page::Desk,
    sort_header::SortHeader,
    table::{AgentColumn, AgentFilter, Sort, agents_shown, elapsed},
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
    let set_state_filter = move |ev| {
        let value = event_target_value(&ev);
        let activity = AgentActivity::ALL.into_iter().find(|a| a.as_str() == value);
        filter.update(|f| f.activity = activity);
    };
    view! {
        <section class="sv-section" aria-labelledby="sv-agents">
            <div class="sv-section-head">
                <h2 id="sv-agents" class="sv-heading">{td_string!(locale, supervisor.agents)}</h2>
                <span class="sv-count" aria-live="polite">
                    {move || td_string!(locale, supervisor.shown, shown = rows.with(Vec::len), total = total()).to_string()}
                </span>
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
                        {AgentActivity::ALL.map(|a| view! { <option value=a.as_str()>{activity_words(locale, a)}</option> }).to_vec()}
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
                        <For each=move || rows.get() key=|row| row.clone() let:row>
                            <AgentLine row pending/>
                        </For>
                    </tbody>
                </table>
            </div>
            <Show when=move || { rows.with(Vec::is_empty) && total() > 0 }>
                <p class="sv-empty">{td_string!(locale, supervisor.no_match)}</p>
            </Show>
            <ActionDialog pending/>
        </section>
    }
    .into_any()
}

#[component]
fn AgentLine(row: AgentRow, pending: RwSignal<Option<Pending>>) -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::expect();
    let logged_out = row.activity == AgentActivity::LoggedOut;
    let since = (!logged_out).then_some(row.since);
    let call_since = row.call.as_ref().map(|c| c.since);
    let ask = {
        let (agent_id, name) = (row.agent_id.clone(), row.name.clone());
        move |action| {
            pending.set(Some(Pending {
                agent_id: agent_id.clone(),
                name: name.clone(),
                action,
            }))
        }
    };
    let ask_logout = ask.clone();
    view! {
        <tr class=format!("sv-agent state-{}", row.activity.as_str()) data-agent=row.agent_id.clone()>
            <th scope="row">
                <span class="sv-name">{row.name.clone()}</span>
                <span class="sv-sub">{row.agent_id.clone()}</span>
            </th>
            <td class="num">{row.extension.clone()}</td>
            <td><span class="sv-state">{activity_words(locale, row.activity)}</span></td>
            <td>{row.reason.clone()}</td>
            <td class="num">{move || elapsed(since, desk.now.get())}</td>
            <td>
                {row.call.clone().map(|call| view! {
                    <span class="sv-call">
                        <span>{call.party}</span>
                        <span class="num sv-sub">{move || elapsed(call_since, desk.now.get())}</span>
                    </span>
                })}
            </td>
            <td class="num">{row.handled}</td>
            <td class="num">{row.average_handle_ms.map_or_else(|| "—".to_string(), duration)}</td>
            <td><div class="sv-actions">
                <button class="btn btn-small btn-not-ready" type="button" disabled=logged_out
                    on:click=move |_| ask(SupervisorAction::ForceNotReady)>
                    {td_string!(locale, supervisor.force_not_ready)}
                </button>
                <button class="btn btn-small btn-secondary" type="button" disabled=logged_out
                    on:click=move |_| ask_logout(SupervisorAction::ForceLogout)>
                    {td_string!(locale, supervisor.force_logout)}
                </button>
            </div></td>
        </tr>
    }
    .into_any()
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
    view! {
        <Show when=move || pending.with(Option::is_some)>
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
        </Show>
    }
    .into_any()
}
