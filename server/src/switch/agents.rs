//! Agent services: log in and out, ready, not ready, after-call work.

use std::sync::Arc;

use app::{
    opencti::{
        ErrorCode, OpenCtiError,
        events::WorkMode,
        functions::{Function, TelephonyMode},
        rules::Action,
    },
    wire::native::{AgentInfo, AgentStatus, Cause, ConnectionState, DispositionInfo, NativeEvent},
};

use super::{Switch, Timer, WrapUp, WrapUpRecord, not_logged_in};

/// The one answer to a failed login, whatever was wrong (unknown agent,
/// wrong password, locked out): it tells a guesser nothing.
pub const LOGIN_FAILED: &str =
    "login failed: check the agent ID and password, or wait and try again later";

/// Longest note an agent may record at wrap-up, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;

impl Switch {
    /// The stored password hash of a configured agent.
    pub fn password_hash(&self, agent_id: &str) -> Option<&str> {
        self.agents
            .get(agent_id)
            .map(|a| a.config.password.as_str())
    }

    /// Logs the agent in on `extension` (default: its own) in `mode` (default:
    /// its configured one). Policy for a second login of a logged-in agent:
    /// on the same extension and mode it joins the running session (another
    /// tab or device of the same agent); anywhere else it is refused with
    /// `OPENCTI_AGENT_LOGGED_IN`.
    ///
    /// The caller has checked the agent's password (slowly, on purpose, and
    /// outside the switch: see `security::credentials`).
    pub fn login(
        &mut self,
        agent_id: &str,
        extension: Option<&str>,
        mode: Option<TelephonyMode>,
    ) -> Result<AgentInfo, OpenCtiError> {
        let agent = self
            .agents
            .get(agent_id)
            .ok_or_else(|| OpenCtiError::new(ErrorCode::Unauthorized, LOGIN_FAILED))?;
        let extension = extension
            .filter(|e| !e.is_empty())
            .unwrap_or(&agent.config.extension)
            .to_string();
        let Some(occupant) = self.extensions.get(&extension) else {
            return Err(OpenCtiError::new(
                ErrorCode::InvalidDestination,
                format!("there is no extension {extension}"),
            ));
        };
        if let Some(current) = &agent.device {
            if *current != extension {
                return Err(OpenCtiError::new(
                    ErrorCode::AgentLoggedIn,
                    format!("agent {agent_id} is already logged in on extension {current}"),
                ));
            }
            if mode.is_some_and(|m| m != agent.mode) {
                return Err(OpenCtiError::new(
                    ErrorCode::AgentLoggedIn,
                    format!(
                        "agent {agent_id} is already logged in in the {} telephony mode; log out to change it",
                        agent.mode.as_str()
                    ),
                ));
            }
            return Ok(self.agent_info(agent));
        }
        if let Some(other) = occupant {
            return Err(OpenCtiError::new(
                ErrorCode::AgentLoggedIn,
                format!("extension {extension} is in use by agent {other}"),
            ));
        }
        let mode = mode.unwrap_or(agent.config.telephony_mode);
        let now = self.now;
        let Some(agent) = self.agents.get_mut(agent_id) else {
            return Err(not_logged_in(agent_id));
        };
        self.extensions
            .insert(extension.clone(), Some(agent_id.to_string()));
        agent.device = Some(extension);
        self.staffing.log_in(&agent.queues);
        agent.mode = mode;
        agent.status = AgentStatus::NotReady;
        Arc::make_mut(&mut self.signed_in).insert(agent_id.to_string());
        self.media.touch_all();
        agent.reason = String::new();
        agent.work_mode = WorkMode::AuxWork;
        agent.since = now;
        agent.wrap_up_pending = false;
        agent.finished.clear();
        agent.wrap_up = None;
        let info = self.agent_info(&self.agents[agent_id]);
        self.deliver(agent_id, NativeEvent::AgentLoggedOn(info.clone()));
        Ok(info)
    }

    /// Logs the agent out. Refused while the agent has calls.
    pub fn logout(&mut self, agent_id: &str, reason: Option<&str>) -> Result<(), OpenCtiError> {
        let dn = self.permit(agent_id, Action::new(Function::Logout, &[]))?;
        self.check_reason(reason)?;
        self.sign_out(agent_id, &dn, reason.unwrap_or_default());
        Ok(())
    }

    /// Ends the session of an agent who is gone (no panel connected for the
    /// grace period) or whom a supervisor logs out (`reason` says why):
    /// ringing queue calls go back to their queue, other ringing calls are
    /// cleared, calls in progress are hung up, and the agent is logged out.
    /// Returns whether the agent was logged in.
    pub fn end_session(&mut self, agent_id: &str, reason: &str) -> bool {
        let Some(agent) = self.agents.get_mut(agent_id) else {
            return false;
        };
        let Some(dn) = agent.device.clone() else {
            return false;
        };
        // Out of routing first, so that no call comes straight back.
        agent.status = AgentStatus::NotReady;
        self.staffing.unlist(agent_id, &agent.queues);
        let calls: Vec<(String, Option<ConnectionState>, bool)> = self
            .calls
            .values()
            .filter_map(|c| {
                c.state_of(&dn)
                    .map(|state| (c.id.clone(), Some(state), c.offered_by_queue))
            })
            .collect();
        for (call_id, state, from_queue) in calls {
            if !self.calls.contains_key(&call_id) {
                continue;
            }
            if state == Some(ConnectionState::Alerting) && from_queue {
                self.requeue(&call_id, &dn, Cause::Redirected);
            } else {
                self.clear_party(&call_id, &dn, Cause::Redirected);
            }
        }
        self.sign_out(agent_id, &dn, reason);
        true
    }

    /// A supervisor takes the agent out of routing with its own words (not
    /// one of the agents' reason codes). Allowed in any state but logged
    /// out; a call in progress goes on.
    pub fn force_not_ready(&mut self, agent_id: &str, reason: &str) -> Result<(), OpenCtiError> {
        if self.agents.get(agent_id).is_none_or(|a| a.device.is_none()) {
            return Err(not_logged_in(agent_id));
        }
        self.enter(
            agent_id,
            AgentStatus::NotReady,
            reason.to_string(),
            WorkMode::AuxWork,
        );
        Ok(())
    }

    /// Logs the agent out of `dn`, with no check: the agent has no call left.
    fn sign_out(&mut self, agent_id: &str, dn: &str, reason: &str) {
        self.close_wrap_up(agent_id, None, None);
        let now = self.now;
        let Some(agent) = self.agents.get_mut(agent_id) else {
            return;
        };
        self.staffing.unlist(agent_id, &agent.queues);
        self.extensions.insert(dn.to_string(), None);
        agent.device = None;
        self.staffing.log_out(&agent.queues);
        agent.status = AgentStatus::LoggedOut;
        Arc::make_mut(&mut self.signed_in).remove(agent_id);
        self.media.touch_all();
        agent.reason = reason.to_string();
        agent.work_mode = WorkMode::None;
        agent.since = now;
        agent.wrap_up = None;
        agent.wrap_up_pending = false;
        agent.finished.clear();
        let mut info = self.agent_info(&self.agents[agent_id]);
        // The session is told which extension it was on.
        info.device = self.agents[agent_id].config.extension.clone();
        self.deliver(agent_id, NativeEvent::AgentLoggedOff(info));
        // The best agents of a skilled queue may be gone: its calls may now
        // go to the others.
        self.route();
    }

    /// Makes the agent available for ACD calls (ends after-call work).
    pub fn set_ready(
        &mut self,
        agent_id: &str,
        work_mode: Option<WorkMode>,
    ) -> Result<(), OpenCtiError> {
        self.permit(agent_id, Action::new(Function::AgentReady, &[]))?;
        let mode = match work_mode {
            None | Some(WorkMode::AutoIn) => WorkMode::AutoIn,
            Some(WorkMode::ManualIn) => WorkMode::ManualIn,
            Some(other) => {
                return Err(OpenCtiError::bad_request(format!(
                    "work mode {} is not a ready mode (use MODE_AUTO_IN or MODE_MANUAL_IN)",
                    serde_json::to_value(other).unwrap_or_default()
                )));
            }
        };
        self.enter(agent_id, AgentStatus::Ready, String::new(), mode);
        self.route();
        Ok(())
    }

    /// Makes the agent unavailable, with one of the configured reasons.
    pub fn set_not_ready(
        &mut self,
        agent_id: &str,
        reason: Option<&str>,
        work_mode: Option<WorkMode>,
    ) -> Result<(), OpenCtiError> {
        self.permit(
            agent_id,
            Action {
                reason,
                ..Action::new(Function::AgentNotReady, &[])
            },
        )?;
        self.check_reason(reason)?;
        let reason = reason.unwrap_or_default().to_string();
        let mode = match work_mode {
            None | Some(WorkMode::AuxWork) => WorkMode::AuxWork,
            Some(other) => {
                return Err(OpenCtiError::bad_request(format!(
                    "work mode {} is not a not-ready mode (use AUX_WORK)",
                    serde_json::to_value(other).unwrap_or_default()
                )));
            }
        };
        self.enter(agent_id, AgentStatus::NotReady, reason, mode);
        Ok(())
    }

    /// Ends after-call work now ("Finish wrap-up"), recording `disposition`
    /// (one of the configured ones) for the calls the wrap-up follows: each
    /// gets a `Disposition` event.
    pub fn complete_wrap_up(
        &mut self,
        agent_id: &str,
        disposition: Option<&str>,
        note: Option<&str>,
    ) -> Result<(), OpenCtiError> {
        self.permit(agent_id, Action::new(Function::CompleteWrapUp, &[]))?;
        let disposition = disposition.filter(|d| !d.is_empty());
        if let Some(d) = disposition
            && !self.config.dispositions.iter().any(|c| c == d)
        {
            return Err(OpenCtiError::bad_request(format!(
                "unknown disposition {d:?}; use one of {}",
                self.config.dispositions.join(", ")
            )));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if let Some(note) = note
            && note.chars().count() > MAX_NOTE_CHARS
        {
            return Err(OpenCtiError::bad_request(format!(
                "the note is longer than {MAX_NOTE_CHARS} characters"
            )));
        }
        let calls = self
            .agents
            .get(agent_id)
            .and_then(|a| a.wrap_up.as_ref())
            .map(|w| w.calls.clone())
            .unwrap_or_default();
        if let Some(disposition) = disposition {
            for call in calls {
                let event = NativeEvent::Disposition(DispositionInfo {
                    call_id: call.call_id,
                    agent_id: agent_id.to_string(),
                    disposition: disposition.to_string(),
                    data: call.data,
                    queue: call.queue,
                    timestamp: self.now,
                });
                self.deliver(agent_id, event);
            }
        }
        self.close_wrap_up(agent_id, disposition, note);
        self.end_wrap_up(agent_id);
        Ok(())
    }

    /// Records the end of the agent's after-call work (if any) for the calls
    /// it followed, with what the agent chose; it leaves the agent's state
    /// alone.
    fn close_wrap_up(&mut self, agent_id: &str, disposition: Option<&str>, note: Option<&str>) {
        let now = self.now;
        let Some(wrap_up) = self.agents.get(agent_id).and_then(|a| a.wrap_up.as_ref()) else {
            return;
        };
        let record = WrapUpRecord {
            agent_id: agent_id.to_string(),
            call_ids: wrap_up.calls.iter().map(|c| c.call_id.clone()).collect(),
            wrap_up_ms: now.saturating_sub(wrap_up.started_at),
            disposition: disposition.map(str::to_string),
            note: note.map(str::to_string),
        };
        if let Some(w) = self
            .agents
            .get_mut(agent_id)
            .and_then(|a| a.wrap_up.as_mut())
        {
            // Recorded once: whatever ends the wrap-up next finds no calls.
            w.calls.clear();
        }
        self.record_wrap_up(record);
    }

    /// The wrap-up timer fired; stale timers (the agent left ACW meanwhile,
    /// or started another one) are ignored.
    pub fn wrap_up_expired(&mut self, agent_id: &str, generation: u64) {
        let Some(agent) = self.agents.get(agent_id) else {
            return;
        };
        if agent.status == AgentStatus::WorkingAfterCall && agent.wrap_up_generation == generation {
            self.close_wrap_up(agent_id, None, None);
            self.end_wrap_up(agent_id);
        }
    }

    fn end_wrap_up(&mut self, agent_id: &str) {
        let Some(wrap_up) = self.agents.get_mut(agent_id).and_then(|a| a.wrap_up.take()) else {
            return;
        };
        let mode = if wrap_up.resume == AgentStatus::Ready {
            WorkMode::AutoIn
        } else {
            WorkMode::AuxWork
        };
        self.enter(agent_id, wrap_up.resume, wrap_up.resume_reason, mode);
        self.route();
    }

    /// Starts after-call work if the agent talked and has no call left.
    pub(super) fn maybe_wrap_up(&mut self, agent_id: &str) {
        let Some(agent) = self.agents.get(agent_id) else {
            return;
        };
        let Some(dn) = agent.device.clone() else {
            return;
        };
        if !agent.wrap_up_pending || self.device_busy(&dn) {
            return;
        }
        let seconds = self.config.wrap_up_seconds;
        let now = self.now;
        let Some(agent) = self.agents.get_mut(agent_id) else {
            return;
        };
        agent.wrap_up_pending = false;
        self.staffing.unlist(agent_id, &agent.queues);
        agent.idle_since = now;
        if agent.status == AgentStatus::Ready {
            self.staffing.list(agent_id, now, &agent.queues);
        }
        // A wrap-up that starts during another one follows both's calls.
        let mut calls = agent
            .wrap_up
            .as_ref()
            .map(|w| w.calls.clone())
            .unwrap_or_default();
        calls.append(&mut agent.finished);
        if seconds == 0 {
            return;
        }
        let (resume, resume_reason) = match agent.status {
            AgentStatus::WorkingAfterCall => match &agent.wrap_up {
                Some(w) => (w.resume, w.resume_reason.clone()),
                None => (AgentStatus::Ready, String::new()),
            },
            status => (status, agent.reason.clone()),
        };
        let ends_at = now + seconds * 1000;
        let started_at = agent.wrap_up.as_ref().map_or(now, |w| w.started_at);
        agent.wrap_up = Some(WrapUp {
            started_at,
            ends_at,
            resume,
            resume_reason,
            calls,
        });
        agent.wrap_up_generation += 1;
        let generation = agent.wrap_up_generation;
        self.enter(
            agent_id,
            AgentStatus::WorkingAfterCall,
            String::new(),
            WorkMode::Acw,
        );
        self.output.timers.push(Timer::WrapUp {
            agent_id: agent_id.to_string(),
            generation,
            at: ends_at,
        });
    }

    /// Lists a Ready agent whose extension has no call left as one routing
    /// may offer calls to.
    pub(super) fn list_if_free(&mut self, agent_id: &str) {
        let Some(agent) = self.agents.get(agent_id) else {
            return;
        };
        let free = agent.status == AgentStatus::Ready
            && agent
                .device
                .as_deref()
                .is_some_and(|dn| !self.device_busy(dn));
        if free {
            self.staffing
                .list(agent_id, agent.idle_since, &agent.queues);
        }
    }

    /// Moves the agent to `status` and tells its session.
    pub(super) fn enter(
        &mut self,
        agent_id: &str,
        status: AgentStatus,
        reason: String,
        work_mode: WorkMode,
    ) {
        if status != AgentStatus::WorkingAfterCall {
            self.close_wrap_up(agent_id, None, None);
        }
        let now = self.now;
        let Some(agent) = self.agents.get_mut(agent_id) else {
            return;
        };
        if status != AgentStatus::WorkingAfterCall {
            agent.wrap_up = None;
        }
        self.staffing.unlist(agent_id, &agent.queues);
        if status == AgentStatus::Ready && agent.status != AgentStatus::Ready {
            agent.idle_since = now;
        }
        if status == AgentStatus::Ready {
            self.staffing
                .list(agent_id, agent.idle_since, &agent.queues);
        }
        agent.status = status;
        agent.reason = reason;
        agent.work_mode = work_mode;
        agent.since = now;
        let info = self.agent_info(&self.agents[agent_id]);
        let event = match status {
            AgentStatus::Ready => NativeEvent::AgentReady(info),
            AgentStatus::NotReady => NativeEvent::AgentNotReady(info),
            AgentStatus::WorkingAfterCall => NativeEvent::AgentWorkingAfterCall(info),
            AgentStatus::LoggedOut => NativeEvent::AgentLoggedOff(info),
        };
        self.deliver(agent_id, event);
    }

    fn check_reason(&self, reason: Option<&str>) -> Result<(), OpenCtiError> {
        match reason {
            Some(r) if !r.is_empty() && !self.config.reason_codes.iter().any(|c| c == r) => {
                Err(OpenCtiError::bad_request(format!(
                    "unknown reason code {r:?}; use one of {}",
                    self.config.reason_codes.join(", ")
                )))
            }
            _ => Ok(()),
        }
    }

    /// The agent's telephony mode, once logged in.
    pub fn mode_of(&self, agent_id: &str) -> Result<TelephonyMode, OpenCtiError> {
        match self.agents.get(agent_id) {
            Some(a) if a.device.is_some() => Ok(a.mode),
            _ => Err(not_logged_in(agent_id)),
        }
    }
}
