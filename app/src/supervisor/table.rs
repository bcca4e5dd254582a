//! The supervisor tables' sorting, filtering and formatting: pure functions
//! of the snapshot, so the page only renders what they return (and the
//! tests need no browser).

use super::{AgentActivity, AgentRow, QueueRow};
use crate::panel::state::duration;

/// The sortable columns of the agents table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentColumn {
    Agent,
    Extension,
    State,
    TimeInState,
    Handled,
    AverageHandle,
}

/// The sortable columns of the queues table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueColumn {
    Queue,
    Waiting,
    LongestWait,
    Answered,
    Abandoned,
    Missed,
    AverageAnswer,
    ServiceLevel,
}

/// A table's order: a column, and which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort<C> {
    pub column: C,
    pub descending: bool,
}

impl<C: Copy + PartialEq> Sort<C> {
    pub fn by(column: C) -> Self {
        Self {
            column,
            descending: false,
        }
    }

    /// A click on a column's header: that column, or the other way if it
    /// already sorts.
    pub fn toggle(self, column: C) -> Self {
        Self {
            column,
            descending: self.column == column && !self.descending,
        }
    }

    /// The header's `aria-sort`.
    pub fn aria(self, column: C) -> &'static str {
        match (self.column == column, self.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }
}

/// Which agents the table shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentFilter {
    /// Part of the name, ID or extension (any case).
    pub text: String,
    pub activity: Option<AgentActivity>,
}

impl AgentFilter {
    pub fn admits(&self, row: &AgentRow) -> bool {
        if self.activity.is_some_and(|a| a != row.activity) {
            return false;
        }
        let text = self.text.trim();
        if text.is_empty() {
            return true;
        }
        let text = text.to_lowercase();
        row.name.to_lowercase().contains(&text)
            || row.agent_id.contains(&text)
            || row.extension.contains(&text)
    }
}

/// The IDs of the agents the filter admits, in the sort's order (ties by
/// ID, so the order is stable from one update to the next). IDs, not rows:
/// the table keeps one row per agent and only reorders them.
pub fn agents_shown(
    rows: &[AgentRow],
    filter: &AgentFilter,
    sort: Sort<AgentColumn>,
) -> Vec<String> {
    let mut shown: Vec<&AgentRow> = rows.iter().filter(|r| filter.admits(r)).collect();
    shown.sort_by(|a, b| {
        let order = match sort.column {
            AgentColumn::Agent => a.name.cmp(&b.name),
            AgentColumn::Extension => a.extension.cmp(&b.extension),
            AgentColumn::State => a.activity.cmp(&b.activity),
            // Ascending is the shortest time first: the latest change.
            AgentColumn::TimeInState => b.since.cmp(&a.since),
            AgentColumn::Handled => a.handled.cmp(&b.handled),
            AgentColumn::AverageHandle => a.average_handle_ms.cmp(&b.average_handle_ms),
        };
        let order = if sort.descending {
            order.reverse()
        } else {
            order
        };
        order.then_with(|| a.agent_id.cmp(&b.agent_id))
    });
    shown.into_iter().map(|r| r.agent_id.clone()).collect()
}

/// Agents one page of the table shows: the DOM (and every timer in it)
/// stays this size however many agents the contact center has.
pub const PAGE_SIZE: usize = 25;

/// The rows `[start, end)` of page `page` (from 0) of `len` rows, and how
/// many pages there are (at least one); a page past the end shows the last.
pub fn page_bounds(len: usize, page: usize) -> (usize, usize, usize) {
    let pages = len.div_ceil(PAGE_SIZE).max(1);
    let page = page.min(pages - 1);
    let start = page * PAGE_SIZE;
    (start, (start + PAGE_SIZE).min(len), pages)
}

/// The queues in the sort's order (ties by number).
pub fn queues_sorted(rows: &[QueueRow], sort: Sort<QueueColumn>) -> Vec<QueueRow> {
    let mut sorted = rows.to_vec();
    sorted.sort_by(|a, b| {
        let order = match sort.column {
            QueueColumn::Queue => a.name.cmp(&b.name),
            QueueColumn::Waiting => a.waiting.cmp(&b.waiting),
            // Ascending is the shortest wait first; no call waits least.
            QueueColumn::LongestWait => b
                .oldest_since
                .unwrap_or(u64::MAX)
                .cmp(&a.oldest_since.unwrap_or(u64::MAX)),
            QueueColumn::Answered => a.answered.cmp(&b.answered),
            QueueColumn::Abandoned => a.abandoned.cmp(&b.abandoned),
            QueueColumn::Missed => a.missed.cmp(&b.missed),
            QueueColumn::AverageAnswer => a.average_answer_ms.cmp(&b.average_answer_ms),
            QueueColumn::ServiceLevel => a
                .service_level
                .unwrap_or(-1.0)
                .total_cmp(&b.service_level.unwrap_or(-1.0)),
        };
        let order = if sort.descending {
            order.reverse()
        } else {
            order
        };
        order.then_with(|| a.number.cmp(&b.number))
    });
    sorted
}

/// How long since `since` at `now` (a clock), or a dash for "never".
pub fn elapsed(since: Option<u64>, now: u64) -> String {
    match since {
        Some(since) if since > 0 => duration(now.saturating_sub(since)),
        _ => "—".into(),
    }
}

/// A share as a whole percentage, or a dash with nothing to count.
/// (Integer formatting only: float formatting would add its code to the
/// panel's wasm.)
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(
        || "—".into(),
        |s| format!("{} %", (s * 100.0).round() as u32),
    )
}

/// The points of a sparkline of `values` in a `width`×`height` box, in
/// whole units (SVG `polyline`; draw it in a viewBox of that size): the
/// highest value touches the top, zero the bottom.
pub fn sparkline(values: &[u64], width: u32, height: u32) -> String {
    let top = values.iter().copied().max().unwrap_or(0).max(1);
    let last = values.len().saturating_sub(1).max(1) as u64;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = i as u64 * u64::from(width) / last;
            let y = u64::from(height) - v * u64::from(height) / top;
            format!("{x},{y}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
