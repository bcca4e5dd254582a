//! The audit log: the latest supervisor actions, newest first (stored with
//! the call records; `GET /api/supervisor/audit`). A list, not a table, so
//! its words never double the agents table's column headers.

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::{SupervisorAction, page::Desk};
use crate::{languages::use_locale, panel::state::time_of_day};

#[component]
pub fn AuditLog() -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::expect();
    view! {
        <section class="sv-section" aria-labelledby="sv-audit">
            <h2 id="sv-audit" class="sv-heading">{td_string!(locale, supervisor.audit)}</h2>
            {move || desk.audit.with(Vec::is_empty).then(|| view! {
                <p class="sv-empty">{td_string!(locale, supervisor.no_audit)}</p>
            })}
            <ol class="sv-audit">
                    {move || desk.audit.get().into_iter().map(|entry| view! {
                        <li>
                            <span class="sv-sub">{time_of_day(locale, entry.at)}</span>
                            <span>
                                <strong>{match entry.action {
                                    SupervisorAction::ForceNotReady => td_string!(locale, supervisor.force_not_ready),
                                    SupervisorAction::ForceLogout => td_string!(locale, supervisor.force_logout),
                                    SupervisorAction::DeleteRecordings => td_string!(locale, supervisor.delete_recordings),
                                }}</strong>
                                " · "{entry.agent_id}" · "
                                {td_string!(locale, supervisor.audit_by, supervisor = entry.supervisor_id.as_str()).to_string()}
                            </span>
                            <q>{entry.reason}</q>
                        </li>
                    }).collect_view()}
            </ol>
        </section>
    }
}
