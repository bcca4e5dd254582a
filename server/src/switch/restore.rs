//! What survives a restart: each logged-in agent's state (not its calls,
//! which the restart ended) and the call numbering.

use std::sync::Arc;

use app::{
    opencti::{events::WorkMode, functions::TelephonyMode},
    wire::native::AgentStatus,
};

use super::{Switch, Timer, WrapUp};

/// A logged-in agent's state, as stored between runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedAgent {
    pub agent_id: String,
    pub extension: String,
    pub mode: TelephonyMode,
    pub status: AgentStatus,
    pub reason: String,
    pub work_mode: WorkMode,
    /// When the agent entered its state (ms since the epoch).
    pub since: u64,
    /// In after-call work: when it ends, and the state that follows it.
    pub wrap_up_ends_at: Option<u64>,
    pub resume_status: AgentStatus,
    pub resume_reason: String,
}

impl Switch {
    /// The agent's state to store, if it is logged in.
    pub fn saved_agent(&self, agent_id: &str) -> Option<SavedAgent> {
        let agent = self.agents.get(agent_id)?;
        let extension = agent.device.clone()?;
        let (resume_status, resume_reason) = agent.wrap_up.as_ref().map_or_else(
            || (AgentStatus::Ready, String::new()),
            |w| (w.resume, w.resume_reason.clone()),
        );
        Some(SavedAgent {
            agent_id: agent_id.to_string(),
            extension,
            mode: agent.mode,
            status: agent.status,
            reason: agent.reason.clone(),
            work_mode: agent.work_mode,
            since: agent.since,
            wrap_up_ends_at: agent.wrap_up.as_ref().map(|w| w.ends_at),
            resume_status,
            resume_reason,
        })
    }

    /// Logs an agent back in as it was before a restart, with no call and
    /// no event (its panel resumes with a snapshot). After-call work goes on
    /// until it was due to end. Refused if the agent or the extension is
    /// unknown or taken (the configuration changed between runs).
    pub fn restore_agent(&mut self, saved: SavedAgent) -> Result<(), String> {
        let now = self.now;
        if self.extensions.get(&saved.extension) != Some(&None) {
            return Err(format!("extension {} is unknown or taken", saved.extension));
        }
        let Some(agent) = self.agents.get_mut(&saved.agent_id) else {
            return Err(format!("agent {} is not configured", saved.agent_id));
        };
        if agent.device.is_some() || saved.status == AgentStatus::LoggedOut {
            return Err(format!("agent {} is already restored", saved.agent_id));
        }
        self.extensions
            .insert(saved.extension.clone(), Some(saved.agent_id.clone()));
        agent.device = Some(saved.extension);
        self.staffing.log_in(&agent.queues);
        Arc::make_mut(&mut self.signed_in).insert(saved.agent_id.clone());
        self.media.touch_all();
        agent.mode = saved.mode;
        agent.status = saved.status;
        agent.reason = saved.reason;
        agent.work_mode = saved.work_mode;
        agent.since = saved.since;
        agent.idle_since = now;
        if saved.status == AgentStatus::Ready {
            self.staffing.list(&saved.agent_id, now, &agent.queues);
        }
        if saved.status == AgentStatus::WorkingAfterCall {
            let ends_at = saved.wrap_up_ends_at.unwrap_or(now).max(now);
            agent.wrap_up = Some(WrapUp {
                started_at: now,
                ends_at,
                resume: saved.resume_status,
                resume_reason: saved.resume_reason,
                calls: vec![],
            });
            agent.wrap_up_generation += 1;
            self.output.timers.push(Timer::WrapUp {
                agent_id: saved.agent_id,
                generation: agent.wrap_up_generation,
                at: ends_at,
            });
        }
        Ok(())
    }

    /// Numbers new calls after `last` (the highest number already used), so
    /// that a restart never reuses a recorded call id.
    pub fn continue_numbering_after(&mut self, last: u64) {
        self.next_call = self.next_call.max(last + 1);
    }

    /// The highest call number used so far.
    pub fn last_call_number(&self) -> u64 {
        self.next_call - 1
    }

    /// The number in a call id of this switch (`C1007` → 7).
    pub fn call_number(call_id: &str) -> Option<u64> {
        call_id
            .strip_prefix('C')?
            .parse::<u64>()
            .ok()?
            .checked_sub(1000)
    }
}
