//! What travels between the server (`/api/supervisor`, the relay's
//! `Supervisor` frames) and the supervisor page: the figures, the session,
//! the actions and the audit log.

use serde::{Deserialize, Serialize};

/// Everything the supervisor page shows, at `at` (ms since the epoch).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub at: u64,
    pub agents: Vec<AgentRow>,
    pub queues: Vec<QueueRow>,
    /// A queue call answered within this many seconds counts toward the
    /// service level.
    pub service_level_seconds: u64,
}

impl Snapshot {
    /// The figures to send after `sent`: the same, but with only the agent
    /// rows that differ from `sent`'s (a supervisor's socket sends the
    /// changes, not a thousand rows five times a second).
    pub fn changes_since(&self, sent: &Snapshot) -> Snapshot {
        let before: std::collections::HashMap<&str, &AgentRow> = sent
            .agents
            .iter()
            .map(|row| (row.agent_id.as_str(), row))
            .collect();
        Snapshot {
            at: self.at,
            agents: self
                .agents
                .iter()
                .filter(|row| before.get(row.agent_id.as_str()) != Some(row))
                .cloned()
                .collect(),
            queues: self.queues.clone(),
            service_level_seconds: self.service_level_seconds,
        }
    }

    /// Applies figures received after these: everything is replaced but the
    /// agents, of which `update` carries only the rows that changed when
    /// `changes_only` (a row for a new agent is added at the end).
    pub fn merge(&mut self, update: Snapshot, changes_only: bool) {
        if !changes_only {
            *self = update;
            return;
        }
        let position: std::collections::HashMap<String, usize> = self
            .agents
            .iter()
            .enumerate()
            .map(|(i, row)| (row.agent_id.clone(), i))
            .collect();
        for row in update.agents {
            match position.get(&row.agent_id) {
                Some(&i) => self.agents[i] = row,
                None => self.agents.push(row),
            }
        }
        self.at = update.at;
        self.queues = update.queues;
        self.service_level_seconds = update.service_level_seconds;
    }
}

/// An agent's state as the supervisor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentActivity {
    LoggedOut,
    NotReady,
    Ready,
    OnCall,
    WrapUp,
}

impl AgentActivity {
    /// Every activity, in the order of `/metrics`' `state` label.
    pub const ALL: [Self; 5] = [
        Self::LoggedOut,
        Self::NotReady,
        Self::Ready,
        Self::OnCall,
        Self::WrapUp,
    ];

    /// The `state` label of `/metrics` and the CSS class of the view.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoggedOut => "logged_out",
            Self::NotReady => "not_ready",
            Self::Ready => "ready",
            Self::OnCall => "on_call",
            Self::WrapUp => "wrap_up",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentRow {
    pub agent_id: String,
    pub name: String,
    pub extension: String,
    pub activity: AgentActivity,
    pub reason: String,
    /// When the agent entered its state (ms since the epoch; 0 if never).
    pub since: u64,
    pub call: Option<CurrentCall>,
    pub handled: u64,
    /// Average handle time (talk and hold) of the calls handled, in ms.
    pub average_handle_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentCall {
    pub call_id: String,
    pub party: String,
    pub since: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRow {
    pub number: String,
    pub name: String,
    pub waiting: u64,
    /// Of the calls waiting, the callbacks (the caller hung up and keeps
    /// their place; the queue will call them back).
    #[serde(default)]
    pub callbacks_waiting: u64,
    /// When the longest-waiting call entered the queue, if any waits.
    pub oldest_since: Option<u64>,
    pub answered: u64,
    pub abandoned: u64,
    pub missed: u64,
    /// Average speed of answer of the answered calls, in ms.
    pub average_answer_ms: Option<u64>,
    /// Answered within the service level, of answered and abandoned.
    pub service_level: Option<f64>,
    /// Calls waiting at most in each of the last minutes, oldest first.
    pub waiting_history: Vec<u64>,
}

/// What a supervisor may do to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SupervisorAction {
    /// Takes the agent out of routing with the supervisor's reason.
    ForceNotReady,
    /// Ends the agent's session: ringing queue calls go back to their queue.
    ForceLogout,
    /// The server deleted recordings past `--recording-retention-days`
    /// (no agent; the reason says how many).
    DeleteRecordings,
}

impl SupervisorAction {
    /// The name stored in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ForceNotReady => "forceNotReady",
            Self::ForceLogout => "forceLogout",
            Self::DeleteRecordings => "deleteRecordings",
        }
    }
}

/// `POST /api/supervisor/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupervisorLogin {
    pub user_id: String,
    pub password: String,
}

/// A supervisor's session: the token every supervisor request carries
/// (`Authorization: Bearer`, or the relay's `Supervise` frame).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupervisorSession {
    pub token: String,
    pub supervisor_id: String,
    pub name: String,
}

/// `POST /api/supervisor/actions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRequest {
    pub agent_id: String,
    pub action: SupervisorAction,
    /// Shown in the agent's panel; required.
    pub reason: String,
}

/// One line of the audit log: who did what to whom, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// When (ms since the epoch).
    pub at: u64,
    pub supervisor_id: String,
    pub action: SupervisorAction,
    pub agent_id: String,
    pub reason: String,
}

/// Longest reason a supervisor may give, in characters.
pub const MAX_REASON_CHARS: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, activity: AgentActivity, since: u64) -> AgentRow {
        AgentRow {
            agent_id: id.into(),
            name: format!("Agent {id}"),
            extension: String::new(),
            activity,
            reason: String::new(),
            since,
            call: None,
            handled: 0,
            average_handle_ms: None,
        }
    }

    fn snapshot(at: u64, agents: Vec<AgentRow>) -> Snapshot {
        Snapshot {
            at,
            agents,
            queues: vec![],
            service_level_seconds: 20,
        }
    }

    #[test]
    fn only_the_changed_rows_travel_and_merge_back_into_the_whole() {
        let first = snapshot(
            1,
            vec![
                row("1", AgentActivity::Ready, 1),
                row("2", AgentActivity::NotReady, 1),
                row("3", AgentActivity::LoggedOut, 0),
            ],
        );
        let mut second = first.clone();
        second.at = 2;
        second.agents[1] = row("2", AgentActivity::OnCall, 2);
        second.agents.push(row("4", AgentActivity::Ready, 2));
        let changes = second.changes_since(&first);
        let ids: Vec<&str> = changes.agents.iter().map(|r| r.agent_id.as_str()).collect();
        assert_eq!(ids, ["2", "4"]);
        assert_eq!(changes.at, 2);

        let mut view = first.clone();
        view.merge(changes, true);
        assert_eq!(view, second);
        // A whole snapshot replaces everything (agents gone included).
        view.merge(first.clone(), false);
        assert_eq!(view, first);
        assert!(first.changes_since(&first).agents.is_empty());
    }
}
