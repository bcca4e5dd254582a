//! The supervisor's access to the hub: sign-in, the role check that every
//! supervisor request and subscription goes through, the live figures, and
//! the actions on agents (each one audited).
//!
//! Supervisor tokens are their own set, never an agent's: a token is
//! checked against the supervisors' tokens only, so an agent's session
//! token (or an agent's password at sign-in) opens no supervisor data.

use std::net::IpAddr;

use app::{
    opencti::{ErrorCode, OpenCtiError},
    supervisor::{
        ActionRequest, AuditEntry, MAX_REASON_CHARS, Snapshot, SupervisorAction, SupervisorSession,
    },
};
use tokio::sync::watch;

use super::{Hub, sign_in::Refusal};
use crate::records::Job;

/// Why a supervisor request is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SupervisorError {
    /// No valid supervisor sign-in (HTTP 401).
    #[error("{0}")]
    SignIn(OpenCtiError),
    /// Signed in, or authenticated, as someone who is not a supervisor: an
    /// agent (HTTP 403).
    #[error("{0}")]
    NotASupervisor(OpenCtiError),
    /// A supervisor's request that cannot be carried out (HTTP 400 or 409).
    #[error("{0}")]
    Refused(OpenCtiError),
    /// Too many sign-ins being checked at once: try again (HTTP 503).
    #[error("{0}")]
    Busy(OpenCtiError),
}

impl SupervisorError {
    pub fn error(&self) -> &OpenCtiError {
        match self {
            Self::SignIn(e) | Self::NotASupervisor(e) | Self::Refused(e) | Self::Busy(e) => e,
        }
    }
}

fn not_a_supervisor(who: &str) -> SupervisorError {
    SupervisorError::NotASupervisor(OpenCtiError::new(
        ErrorCode::Unauthorized,
        format!("{who} is not a supervisor: supervisor data needs a supervisor's sign-in"),
    ))
}

fn signed_out() -> SupervisorError {
    SupervisorError::SignIn(OpenCtiError::new(
        ErrorCode::Unauthorized,
        "the supervisor session has ended: sign in again",
    ))
}

/// A supervisor's live feed: the figures' version, bumped when they change.
pub struct SupervisorFeed {
    pub supervisor_id: String,
    pub changes: watch::Receiver<u64>,
}

impl Hub {
    /// Signs a supervisor in: a new supervisor token. An agent's right
    /// password gets `NotASupervisor`; a wrong one, or an unknown ID, the
    /// agents' login failure (and counts toward the same lockout).
    pub async fn supervisor_login(
        &self,
        user_id: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<SupervisorSession, SupervisorError> {
        let supervisor = self
            .lock()
            .switch
            .config()
            .supervisors
            .iter()
            .find(|s| s.id == user_id)
            .map(|s| (s.password.clone(), s.name.clone()));
        let supervisor_hash = supervisor.as_ref().map(|(hash, _)| hash.clone());
        self.check_credentials(user_id, password, client, "supervisor sign-in", |state| {
            supervisor_hash.or_else(|| state.switch.password_hash(user_id).map(str::to_string))
        })
        .await
        .map_err(|refusal| match refusal {
            Refusal::Failed => SupervisorError::SignIn(refusal.error()),
            Refusal::Busy => SupervisorError::Busy(refusal.error()),
        })?;
        let mut state = self.lock();
        let Some((_, name)) = supervisor else {
            tracing::warn!(agent = user_id, client = ?client, "an agent tried to sign in as a supervisor");
            return Err(not_a_supervisor(&format!("agent {user_id}")));
        };
        let now = self.now_ms();
        let token = state.supervisor_tokens.issue(user_id, now, now);
        tracing::info!(supervisor = user_id, client = ?client, "supervisor signed in");
        Ok(SupervisorSession {
            token,
            supervisor_id: user_id.to_string(),
            name: if name.is_empty() {
                format!("Supervisor {user_id}")
            } else {
                name
            },
        })
    }

    /// The supervisor a token belongs to: the role check of every
    /// supervisor request. An agent's session token is `NotASupervisor`.
    pub fn supervisor_of(&self, token: &str) -> Result<String, SupervisorError> {
        let state = self.lock();
        if let Ok(id) = state.supervisor_tokens.verify(token, self.now_ms()) {
            return Ok(id.to_string());
        }
        if let Some(agent) = state.sessions.agent_of(token) {
            tracing::warn!(agent = %agent, "an agent's session asked for supervisor data");
            return Err(not_a_supervisor(&format!("agent {agent}")));
        }
        Err(signed_out())
    }

    /// Ends a supervisor's session (its token stops working).
    pub fn supervisor_logout(&self, token: &str) -> Result<(), SupervisorError> {
        let id = self.supervisor_of(token)?;
        self.lock().supervisor_tokens.drop_agent(&id);
        tracing::info!(supervisor = %id, "supervisor signed out");
        Ok(())
    }

    /// Subscribes to the figures (a socket's `Supervise`): the token's
    /// socket keeps it alive while attached ([`Self::supervisor_left`]).
    pub fn supervise(&self, token: &str) -> Result<SupervisorFeed, SupervisorError> {
        let supervisor_id = self.supervisor_of(token)?;
        self.lock().supervisor_tokens.socket_joined(token);
        Ok(SupervisorFeed {
            supervisor_id,
            changes: self.inner.figures_changed.subscribe(),
        })
    }

    /// A supervisor's socket closed: its token's idle time starts.
    pub fn supervisor_left(&self, token: &str) {
        self.lock()
            .supervisor_tokens
            .socket_left(token, self.now_ms());
    }

    /// The figures as a supervisor sees them.
    pub fn supervisor_snapshot(&self, token: &str) -> Result<Snapshot, SupervisorError> {
        self.supervisor_of(token)?;
        // The snapshot alone: the handle-time histogram is `/metrics`' only.
        Ok(self.lock().figures.snapshot(self.now_ms()))
    }

    /// Carries out a supervisor's action on an agent and audits it: the
    /// agent's panel gets the state change with the supervisor's reason.
    pub fn supervisor_act(
        &self,
        token: &str,
        request: &ActionRequest,
    ) -> Result<AuditEntry, SupervisorError> {
        let supervisor_id = self.supervisor_of(token)?;
        let reason = request.reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(SupervisorError::Refused(OpenCtiError::bad_request(
                format!("give a reason of 1–{MAX_REASON_CHARS} characters: the agent sees it"),
            )));
        }
        if request.action == SupervisorAction::DeleteRecordings {
            return Err(SupervisorError::Refused(OpenCtiError::bad_request(
                "recordings are deleted by the server (--recording-retention-days)",
            )));
        }
        let agent_id = request.agent_id.as_str();
        let mut state = self.lock();
        state.switch.advance_to(self.now_ms());
        let outcome = match request.action {
            SupervisorAction::ForceNotReady => state.switch.force_not_ready(agent_id, reason),
            SupervisorAction::ForceLogout => {
                if state.switch.end_session(agent_id, reason) {
                    Ok(())
                } else {
                    Err(OpenCtiError::new(
                        ErrorCode::AgentNotLoggedIn,
                        format!("agent {agent_id} is not logged in"),
                    ))
                }
            }
            SupervisorAction::DeleteRecordings => Ok(()),
        };
        let output = state.switch.take_output();
        self.publish(&mut state, output);
        outcome.map_err(SupervisorError::Refused)?;
        if request.action == SupervisorAction::ForceLogout {
            state.sessions.close(agent_id);
        }
        let entry = AuditEntry {
            at: self.now_ms(),
            supervisor_id,
            action: request.action,
            agent_id: agent_id.to_string(),
            reason: reason.to_string(),
        };
        tracing::info!(
            supervisor = %entry.supervisor_id,
            agent = %entry.agent_id,
            action = entry.action.as_str(),
            reason = %entry.reason,
            "supervisor action"
        );
        self.inner.recorder.send(Job::Audit(entry.clone()));
        Ok(entry)
    }
}
