//! The supervisor's figures, computed once, by folding the switch's
//! observations in order ([`Figures::apply`]): pure, no clock and no I/O,
//! so hand-made sequences test them. The supervisor page and `/metrics`
//! read the same [`Figures`].

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use app::{
    supervisor::{AgentActivity, AgentRow, CurrentCall, QueueRow, Snapshot},
    wire::native::AgentStatus,
};

use crate::switch::{Observation, SwitchConfig};

/// How many minutes of calls waiting each queue keeps (the sparkline).
pub const HISTORY_MINUTES: usize = 15;

/// Upper bounds (seconds) of the handle-time histogram's buckets.
pub const HANDLE_TIME_BUCKETS: [f64; 9] = [
    30.0, 60.0, 120.0, 180.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
];

#[derive(Debug, Clone, PartialEq)]
struct Agent {
    name: String,
    extension: String,
    status: AgentStatus,
    reason: String,
    since: u64,
    call: Option<CurrentCall>,
    handled: u64,
    handle_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Queue {
    name: String,
    /// Calls waiting, with when each entered the queue.
    waiting: BTreeMap<String, u64>,
    /// Those of them that are callbacks (nobody on the line).
    callbacks: BTreeSet<String>,
    answered: u64,
    answered_in_service_level: u64,
    answer_ms: u64,
    abandoned: u64,
    missed: u64,
    /// (minute since the epoch, most calls waiting in it, calls waiting at
    /// its end so far) for the minutes with a change, oldest first.
    history: VecDeque<(u64, u64, u64)>,
}

impl Queue {
    /// The call no longer waits here (answered, ended, moved or called back).
    fn leave(&mut self, call_id: &str, at: u64) {
        self.waiting.remove(call_id);
        self.callbacks.remove(call_id);
        self.note_waiting(at);
    }

    /// Notes the number of calls waiting after a change at `at`.
    fn note_waiting(&mut self, at: u64) {
        let minute = at / 60_000;
        let now = self.waiting.len() as u64;
        match self.history.back_mut() {
            Some((m, most, last)) if *m == minute => {
                *most = (*most).max(now);
                *last = now;
            }
            back => {
                // The level carried into this minute counts toward its most.
                let before = back.map_or(0, |(_, _, last)| *last);
                self.history.push_back((minute, before.max(now), now));
            }
        }
        // One minute older than the window stays: it gives the level the
        // window starts at.
        while self.history.len() > 1
            && self
                .history
                .get(1)
                .is_some_and(|(m, _, _)| minute.saturating_sub(*m) >= HISTORY_MINUTES as u64)
        {
            self.history.pop_front();
        }
    }
}

/// The handle times of calls, as a histogram.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HandleTimes {
    /// Calls with a handle time up to each bound of [`HANDLE_TIME_BUCKETS`]
    /// (not cumulative).
    pub buckets: [u64; HANDLE_TIME_BUCKETS.len()],
    pub count: u64,
    pub sum_seconds: f64,
}

impl HandleTimes {
    fn observe(&mut self, ms: u64) {
        let seconds = ms as f64 / 1000.0;
        if let Some(i) = HANDLE_TIME_BUCKETS.iter().position(|b| seconds <= *b) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum_seconds += seconds;
    }
}

/// Where a call stands for the queues.
#[derive(Debug, Clone, PartialEq)]
struct CallTrack {
    /// The queue it waits in, and since when (answered calls wait nowhere).
    queue: Option<(String, u64)>,
}

/// Agents, queues and their counts since the server started.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    agents: BTreeMap<String, Agent>,
    queues: BTreeMap<String, Queue>,
    calls: BTreeMap<String, CallTrack>,
    service_level_ms: u64,
    pub handle_times: HandleTimes,
}

impl Figures {
    /// Every configured agent logged out and every queue empty.
    pub fn new(config: &SwitchConfig, service_level_seconds: u64) -> Self {
        Self {
            agents: config
                .agents
                .iter()
                .map(|a| {
                    let agent = Agent {
                        name: a.name.clone(),
                        extension: a.extension.clone(),
                        status: AgentStatus::LoggedOut,
                        reason: String::new(),
                        since: 0,
                        call: None,
                        handled: 0,
                        handle_ms: 0,
                    };
                    (a.id.clone(), agent)
                })
                .collect(),
            queues: config
                .queues
                .iter()
                .map(|q| {
                    let queue = Queue {
                        name: q.name.clone(),
                        ..Queue::default()
                    };
                    (q.number.clone(), queue)
                })
                .collect(),
            calls: BTreeMap::new(),
            service_level_ms: service_level_seconds * 1000,
            handle_times: HandleTimes::default(),
        }
    }

    /// Folds one observation in.
    pub fn apply(&mut self, observation: &Observation) {
        match observation {
            Observation::AgentState {
                agent_id,
                status,
                reason,
                at,
            } => {
                if let Some(agent) = self.agents.get_mut(agent_id) {
                    agent.status = *status;
                    agent.reason = reason.clone();
                    agent.since = *at;
                }
            }
            Observation::CallQueued {
                call_id,
                queue,
                since,
                callback,
                at,
            } => {
                let track = self
                    .calls
                    .entry(call_id.clone())
                    .or_insert(CallTrack { queue: None });
                // From another queue: it has left that one.
                if let Some((other, _)) = track.queue.take().filter(|(q, _)| q != queue)
                    && let Some(q) = self.queues.get_mut(&other)
                {
                    q.leave(call_id, *at);
                }
                track.queue = Some((queue.clone(), *since));
                if let Some(q) = self.queues.get_mut(queue) {
                    q.waiting.insert(call_id.clone(), *since);
                    if *callback {
                        q.callbacks.insert(call_id.clone());
                    }
                    q.note_waiting(*at);
                }
            }
            Observation::CallbackTaken { call_id, at } => {
                let waited = self.calls.remove(call_id).and_then(|c| c.queue);
                if let Some((queue, _)) = waited
                    && let Some(q) = self.queues.get_mut(&queue)
                {
                    q.leave(call_id, *at);
                }
            }
            Observation::CallMissed { call_id, .. } => {
                let queue = self.calls.get(call_id).and_then(|c| c.queue.clone());
                if let Some(q) = queue.and_then(|(queue, _)| self.queues.get_mut(&queue)) {
                    q.missed += 1;
                }
            }
            Observation::CallAnswered {
                call_id,
                agent_id,
                party,
                at,
            } => {
                let waited = self.calls.get_mut(call_id).and_then(|c| c.queue.take());
                if let Some((queue, since)) = waited
                    && let Some(q) = self.queues.get_mut(&queue)
                {
                    q.answered += 1;
                    let wait = at.saturating_sub(since);
                    q.answer_ms += wait;
                    if wait <= self.service_level_ms {
                        q.answered_in_service_level += 1;
                    }
                    q.leave(call_id, *at);
                }
                if let Some(agent) = self.agents.get_mut(agent_id) {
                    agent.call = Some(CurrentCall {
                        call_id: call_id.clone(),
                        party: party.clone(),
                        since: *at,
                    });
                }
            }
            Observation::AgentLeftCall {
                call_id,
                agent_id,
                handle_ms,
                ..
            } => {
                if let Some(agent) = self.agents.get_mut(agent_id) {
                    if agent.call.as_ref().is_some_and(|c| c.call_id == *call_id) {
                        agent.call = None;
                    }
                    agent.handled += 1;
                    agent.handle_ms += handle_ms;
                }
                self.handle_times.observe(*handle_ms);
            }
            Observation::CallEnded { call_id, at } => {
                // Ended while still waiting (in the queue or ringing an
                // agent): the caller gave up.
                if let Some(CallTrack {
                    queue: Some((queue, _)),
                }) = self.calls.remove(call_id)
                    && let Some(q) = self.queues.get_mut(&queue)
                {
                    q.abandoned += 1;
                    q.leave(call_id, *at);
                }
            }
        }
    }

    /// The figures as the supervisor page shows them, at `now`.
    pub fn snapshot(&self, now: u64) -> Snapshot {
        let minute = now / 60_000;
        Snapshot {
            at: now,
            service_level_seconds: self.service_level_ms / 1000,
            agents: self
                .agents
                .iter()
                .map(|(id, a)| AgentRow {
                    agent_id: id.clone(),
                    name: a.name.clone(),
                    extension: a.extension.clone(),
                    activity: activity(a),
                    reason: a.reason.clone(),
                    since: a.since,
                    call: a.call.clone(),
                    handled: a.handled,
                    average_handle_ms: (a.handled > 0).then(|| a.handle_ms / a.handled),
                })
                .collect(),
            queues: self
                .queues
                .iter()
                .map(|(number, q)| {
                    let offered = q.answered + q.abandoned;
                    QueueRow {
                        number: number.clone(),
                        name: q.name.clone(),
                        waiting: q.waiting.len() as u64,
                        callbacks_waiting: q.callbacks.len() as u64,
                        oldest_since: q.waiting.values().min().copied(),
                        answered: q.answered,
                        abandoned: q.abandoned,
                        missed: q.missed,
                        average_answer_ms: (q.answered > 0).then(|| q.answer_ms / q.answered),
                        service_level: (offered > 0)
                            .then(|| q.answered_in_service_level as f64 / offered as f64),
                        waiting_history: waiting_history(q, minute),
                    }
                })
                .collect(),
        }
    }
}

/// What the agent is doing: a call counts over its state.
fn activity(agent: &Agent) -> AgentActivity {
    match (agent.status, &agent.call) {
        (AgentStatus::LoggedOut, _) => AgentActivity::LoggedOut,
        (_, Some(_)) => AgentActivity::OnCall,
        (AgentStatus::WorkingAfterCall, None) => AgentActivity::WrapUp,
        (AgentStatus::Ready, None) => AgentActivity::Ready,
        (AgentStatus::NotReady, None) => AgentActivity::NotReady,
    }
}

/// The most calls waiting in each of the last [`HISTORY_MINUTES`] minutes up
/// to `minute`, oldest first; a minute with no change stays at the level
/// the last change left.
fn waiting_history(queue: &Queue, minute: u64) -> Vec<u64> {
    let first = minute.saturating_sub(HISTORY_MINUTES as u64 - 1);
    let mut level = 0;
    let mut changes = queue.history.iter().peekable();
    while let Some((_, _, last)) = changes.next_if(|(m, _, _)| *m < first) {
        level = *last;
    }
    (first..=minute)
        .map(|m| match changes.next_if(|(at, _, _)| *at == m) {
            Some((_, most, last)) => {
                level = *last;
                *most
            }
            None => level,
        })
        .collect()
}

#[cfg(test)]
mod tests;
