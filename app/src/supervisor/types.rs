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
}

impl SupervisorAction {
    /// The name stored in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ForceNotReady => "forceNotReady",
            Self::ForceLogout => "forceLogout",
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
