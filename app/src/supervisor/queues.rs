//! The queues table: calls waiting, longest wait, callbacks waiting (of
//! the calls waiting), today's answered,
//! abandoned and missed calls, average speed of answer, service level, and
//! a sparkline of the calls waiting over the last 15 minutes.

use leptos::prelude::*;
use leptos_i18n::td_string;

use super::{
    QueueRow,
    page::Desk,
    sort_header::SortHeader,
    table::{QueueColumn, Sort, elapsed, percent, queues_sorted, sparkline},
};
use crate::{languages::use_locale, panel::state::duration};

/// The sparkline's size on screen (px), and its drawing box (10× finer,
/// whole units).
const SPARK_WIDTH: u32 = 90;
const SPARK_HEIGHT: u32 = 22;

#[component]
pub fn QueuesTable() -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::expect();
    let sort = RwSignal::new(Sort::by(QueueColumn::Queue));
    let rows = Memo::new(move |_| {
        desk.snapshot.with(|s| {
            s.as_ref()
                .map(|s| queues_sorted(&s.queues, sort.get()))
                .unwrap_or_default()
        })
    });
    let level_seconds = move || {
        desk.snapshot
            .with(|s| s.as_ref().map_or(20, |s| s.service_level_seconds))
    };
    view! {
        <section class="sv-section" aria-labelledby="sv-queues">
            <h2 id="sv-queues" class="sv-heading">{td_string!(locale, supervisor.queues)}</h2>
            <div class="sv-scroll">
                <table class="sv-table sv-queues">
                    <thead>
                        <tr>
                            <SortHeader label=td_string!(locale, supervisor.col_queue) column=QueueColumn::Queue sort/>
                            <SortHeader label=td_string!(locale, supervisor.col_waiting) column=QueueColumn::Waiting sort/>
                            <SortHeader label=td_string!(locale, supervisor.col_longest_wait) column=QueueColumn::LongestWait sort/>
                            <th scope="col">{td_string!(locale, supervisor.col_callbacks)}</th>
                            <SortHeader label=td_string!(locale, supervisor.col_answered) column=QueueColumn::Answered sort/>
                            <SortHeader label=td_string!(locale, supervisor.col_abandoned) column=QueueColumn::Abandoned sort/>
                            <SortHeader label=td_string!(locale, supervisor.col_missed) column=QueueColumn::Missed sort/>
                            <SortHeader label=td_string!(locale, supervisor.col_asa) column=QueueColumn::AverageAnswer sort/>
                            <SortHeader label=td_string!(locale, supervisor.col_service_level) column=QueueColumn::ServiceLevel sort/>
                            <th scope="col">{td_string!(locale, supervisor.col_trend)}</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=move || rows.get() key=|q| format!("{q:?}") let:queue>
                            <QueueLine queue level_seconds=level_seconds()/>
                        </For>
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn QueueLine(queue: QueueRow, level_seconds: u64) -> impl IntoView {
    let locale = use_locale();
    let desk = Desk::expect();
    let oldest = queue.oldest_since;
    let peak = queue.waiting_history.iter().copied().max().unwrap_or(0);
    let trend = td_string!(locale, supervisor.trend_label, peak = peak).to_string();
    let level = td_string!(
        locale,
        supervisor.service_level_detail,
        seconds = level_seconds
    )
    .to_string();
    view! {
        <tr class:sv-waiting={queue.waiting > 0} data-queue=queue.number.clone()>
            <th scope="row">
                <span class="sv-name">{queue.name.clone()}</span>
                <span class="sv-sub">{queue.number.clone()}</span>
            </th>
            <td class="num sv-waiting-count">{queue.waiting}</td>
            <td class="num">{move || elapsed(oldest, desk.now.get())}</td>
            <td class="num sv-callbacks">{queue.callbacks_waiting}</td>
            <td class="num">{queue.answered}</td>
            <td class="num">{queue.abandoned}</td>
            <td class="num">{queue.missed}</td>
            <td class="num">{queue.average_answer_ms.map_or_else(|| "—".to_string(), duration)}</td>
            <td class="num" title=level>{percent(queue.service_level)}</td>
            <td>
                <svg class="sv-spark" role="img" aria-label=trend
                    viewBox=format!("0 -10 {} {}", SPARK_WIDTH * 10, SPARK_HEIGHT * 10 + 20) width=SPARK_WIDTH height=SPARK_HEIGHT
                    preserveAspectRatio="none">
                    <polyline points=sparkline(&queue.waiting_history, SPARK_WIDTH * 10, SPARK_HEIGHT * 10) vector-effect="non-scaling-stroke"/>
                </svg>
            </td>
        </tr>
    }
}
