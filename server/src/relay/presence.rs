//! Presence: a session lives while a panel is connected to it. Each socket
//! attached to a session holds a [`Presence`]; when the last one goes, the
//! session has the grace period (`--session-grace-seconds`) to see a panel
//! again (a reload, a network drop), after which the agent is logged out as
//! the switch does for a logout, with its ringing queue calls going back to
//! their queue.

use super::{Hub, clock::Due};

/// A socket's hold on its session; dropping it (the socket closed or left
/// the session) may start the grace period.
pub struct Presence {
    hub: Hub,
    token: String,
}

impl Drop for Presence {
    fn drop(&mut self) {
        let now = self.hub.now_ms();
        let absence = self.hub.lock().sessions.socket_left(&self.token, now);
        if let Some((agent_id, generation)) = absence {
            self.hub.start_grace(agent_id, generation);
        }
    }
}

impl Hub {
    /// Counts a socket as present in the session `token` until the returned
    /// value is dropped.
    pub fn present(&self, token: &str) -> Presence {
        self.lock().sessions.socket_joined(token);
        Presence {
            hub: self.clone(),
            token: token.to_string(),
        }
    }

    /// Ends the agent's session after the grace period, unless a socket
    /// joined it meanwhile (which changes its absence `generation`).
    pub(super) fn start_grace(&self, agent_id: String, generation: u64) {
        let grace = self.config().session_grace;
        let at = self.now_ms() + grace.as_millis() as u64;
        let due = Due::Grace {
            agent_id,
            generation,
        };
        let Some(due) = self.config().clock.defer(at, due) else {
            return;
        };
        // A socket dropped while the runtime shuts down has nobody to tell.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let hub = self.clone();
        runtime.spawn(async move {
            tokio::time::sleep(grace).await;
            hub.fire(due);
        });
    }

    pub(super) fn expire_if_absent(&self, agent_id: &str, generation: u64) {
        let mut state = self.lock();
        if state.sessions.absence(agent_id) != Some(generation) {
            return;
        }
        state.switch.advance_to(self.now_ms());
        let was_logged_in = state.switch.end_session(agent_id, "");
        let output = state.switch.take_output();
        self.publish(&mut state, output);
        state.sessions.close(agent_id);
        if was_logged_in {
            tracing::info!(
                agent = %agent_id,
                grace_seconds = self.config().session_grace.as_secs(),
                "logged out: no panel connected for the grace period"
            );
        }
    }
}
