//! Call records: what the switch knows about a call when it ends (its
//! parties' talk and hold time, whether it was answered, missed or
//! transferred), and what an agent's wrap-up adds afterwards (its length,
//! disposition and note). The switch produces them as output; the shell
//! stores them (see `crate::records`).

use app::{
    opencti::{
        UserData,
        events::{CallOutcome, CallType, RecentCall},
    },
    wire::native::{CallOrigin, ConnectionState},
};
use serde::{Deserialize, Serialize};

use super::{Call, Observation, RecordingSpans, Switch};

/// Most ended calls the switch keeps per agent for its panel's Recent calls.
pub const RECENT_PER_AGENT: usize = 50;

/// Which way a call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
    Internal,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
            Self::Internal => "internal",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Inbound, Self::Outbound, Self::Internal]
            .into_iter()
            .find(|d| d.as_str() == text)
    }
}

impl From<CallOrigin> for Direction {
    fn from(origin: CallOrigin) -> Self {
        match origin {
            CallOrigin::Inbound => Self::Inbound,
            CallOrigin::Outbound => Self::Outbound,
            CallOrigin::Internal => Self::Internal,
        }
    }
}

/// One agent's part in a call. Times are milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    pub agent_id: String,
    /// The extension the agent was on.
    pub extension: String,
    /// Whether the agent talked on the call (else it rang out or was turned
    /// away).
    pub answered: bool,
    pub talk_ms: u64,
    pub hold_ms: u64,
    /// Filled in by the agent's wrap-up, which may end after the call.
    pub wrap_up_ms: Option<u64>,
    pub disposition: Option<String>,
    pub note: Option<String>,
}

/// A call that ended. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    pub call_id: String,
    pub direction: Direction,
    pub ani: String,
    pub dnis: String,
    pub queue: Option<String>,
    /// The call this one consulted about (consultation calls only).
    pub consult_of: Option<String>,
    pub started_at: u64,
    pub answered_at: Option<u64>,
    pub ended_at: u64,
    pub outcome: CallOutcome,
    pub legs: Vec<Leg>,
    pub data: UserData,
    /// The flow steps it went through, with the keys and digits that chose
    /// them (`menu:2`, `account=4242`); empty if it met no flow.
    pub flow_path: Vec<String>,
    /// When its recording started and what was paused, if it was recorded.
    pub recording: Option<RecordingSpans>,
}

/// What an agent's wrap-up adds to the legs of the calls it followed.
#[derive(Debug, Clone, PartialEq)]
pub struct WrapUpRecord {
    pub agent_id: String,
    pub call_ids: Vec<String>,
    pub wrap_up_ms: u64,
    pub disposition: Option<String>,
    pub note: Option<String>,
}

/// What the switch hands the shell to store.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordUpdate {
    Call(CallRecord),
    WrapUp(WrapUpRecord),
}

/// An agent's leg while the call goes on: the connection state it is in
/// since when, and the time it spent talking and on hold so far.
#[derive(Debug, Clone)]
pub(super) struct LegTrack {
    agent_id: String,
    dn: String,
    /// `None` once the agent has left the call.
    state: Option<ConnectionState>,
    since: u64,
    talk_ms: u64,
    hold_ms: u64,
    answered: bool,
    /// Talk and hold before the current stint of handling began.
    stint_ms: u64,
}

impl LegTrack {
    /// Adds the time since the last change to talk or hold, as the state was.
    fn close_interval(&mut self, now: u64) {
        let elapsed = now.saturating_sub(self.since);
        match self.state {
            Some(ConnectionState::Connected) => self.talk_ms += elapsed,
            Some(ConnectionState::Held) => self.hold_ms += elapsed,
            _ => {}
        }
        self.since = now;
    }

    /// Moves the leg to `state`; says what that was for the agent: getting
    /// connected from ringing (or from nothing) is an answer, and leaving
    /// while talking or on hold ends a stint of handling. An agent can have
    /// several on one call (it transferred the call away, then answered it
    /// again from another queue).
    fn enter(&mut self, state: Option<ConnectionState>, now: u64) -> Option<LegChange> {
        use ConnectionState::{Connected, Held};
        self.close_interval(now);
        let was_handling = matches!(self.state, Some(Connected | Held));
        self.state = state;
        if state == Some(Connected) {
            self.answered = true;
        }
        match (was_handling, state) {
            (false, Some(Connected)) => {
                self.stint_ms = self.talk_ms + self.hold_ms;
                Some(LegChange::Answered)
            }
            (true, None) => Some(LegChange::Left {
                handle_ms: self.talk_ms + self.hold_ms - self.stint_ms,
            }),
            _ => None,
        }
    }

    fn observe(&self, change: LegChange, call_id: &str, party: &str, now: u64) -> Observation {
        let (call_id, agent_id) = (call_id.to_string(), self.agent_id.clone());
        match change {
            LegChange::Answered => Observation::CallAnswered {
                call_id,
                agent_id,
                party: party.to_string(),
                at: now,
            },
            LegChange::Left { handle_ms } => Observation::AgentLeftCall {
                call_id,
                agent_id,
                handle_ms,
                at: now,
            },
        }
    }
}

/// What a leg's change meant for its agent.
#[derive(Debug, Clone, Copy)]
enum LegChange {
    Answered,
    Left { handle_ms: u64 },
}

/// The number at the other end for the agent on `dn` of a call from
/// `calling` to `called`.
fn other_end<'a>((calling, called): (&'a str, &'a str), dn: &str) -> &'a str {
    if dn == calling { called } else { calling }
}

impl Switch {
    /// Brings the call's legs up to date with its parties: call after any
    /// change to them (the `tell_*` helpers do).
    pub(super) fn track(&mut self, call_id: &str) {
        let now = self.now;
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let present: Vec<(String, String, ConnectionState)> = call
            .parties
            .iter()
            .filter_map(|p| {
                self.agent_at(&p.dn)
                    .map(|a| (a.to_string(), p.dn.clone(), p.state))
            })
            .collect();
        self.media.touch(call_id);
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        let mut observed = vec![];
        // Borrowed beside `call.legs` (disjoint fields): no copy on this path.
        let ends = (call.calling.as_str(), call.called.as_str());
        for leg in &mut call.legs {
            let state = present
                .iter()
                .find(|(agent, dn, _)| *agent == leg.agent_id && *dn == leg.dn)
                .map(|(_, _, state)| *state);
            if leg.state != state
                && let Some(change) = leg.enter(state, now)
            {
                observed.push(leg.observe(change, call_id, other_end(ends, &leg.dn), now));
            }
        }
        for (agent_id, dn, state) in present {
            if call
                .legs
                .iter()
                .any(|l| l.agent_id == agent_id && l.state.is_some())
            {
                continue;
            }
            let party = other_end(ends, &dn).to_string();
            let leg = match call.legs.iter().position(|l| l.agent_id == agent_id) {
                Some(index) => &mut call.legs[index],
                None => {
                    call.legs.push(LegTrack {
                        agent_id,
                        dn: dn.clone(),
                        state: None,
                        since: now,
                        talk_ms: 0,
                        hold_ms: 0,
                        answered: false,
                        stint_ms: 0,
                    });
                    let last = call.legs.len() - 1;
                    &mut call.legs[last]
                }
            };
            leg.dn = dn;
            if let Some(change) = leg.enter(Some(state), now) {
                observed.push(leg.observe(change, call_id, &party, now));
            }
        }
        self.output.observations.extend(observed);
        self.start_recording_if_due(call_id);
    }

    /// The record of a call that has just left the switch; every agent who
    /// had it finds it in its recent calls.
    pub(super) fn record_ended(&mut self, mut call: Call) {
        let now = self.now;
        let ends = (call.calling.as_str(), call.called.as_str());
        for leg in &mut call.legs {
            if let Some(change) = leg.enter(None, now) {
                let observation = leg.observe(change, &call.id, other_end(ends, &leg.dn), now);
                self.output.observations.push(observation);
            }
        }
        self.output.observations.push(Observation::CallEnded {
            call_id: call.id.clone(),
            at: now,
        });
        let outcome = if call.transferred {
            CallOutcome::Transferred
        } else if call.answered_at.is_some() {
            CallOutcome::Answered
        } else if call.missed {
            CallOutcome::Missed
        } else {
            CallOutcome::Abandoned
        };
        let direction = Direction::from(call.origin);
        for leg in &call.legs {
            let own = leg.dn == call.calling;
            let recent = RecentCall {
                call_id: call.id.clone(),
                number: if own {
                    call.called.clone()
                } else {
                    call.calling.clone()
                },
                call_type: match (call.consult_of.is_some(), direction, own) {
                    (true, ..) => CallType::Consult,
                    (false, Direction::Internal, _) => CallType::Internal,
                    (false, Direction::Outbound, _) => CallType::Outbound,
                    (false, Direction::Inbound, _) => CallType::Inbound,
                },
                started: call.started_at,
                ended: now,
                outcome: match outcome {
                    CallOutcome::Answered if !leg.answered => CallOutcome::Missed,
                    other => other,
                },
                disposition: None,
            };
            let list = self.recent.entry(leg.agent_id.clone()).or_default();
            list.push_front(recent);
            list.truncate(RECENT_PER_AGENT);
        }
        let record = CallRecord {
            call_id: call.id,
            direction,
            ani: call.calling,
            dnis: call.called,
            queue: call.queue,
            flow_path: call.flow_path,
            recording: call.recording.map(|r| r.spans(now)),
            consult_of: call.consult_of,
            started_at: call.started_at,
            answered_at: call.answered_at,
            ended_at: now,
            outcome,
            legs: call
                .legs
                .into_iter()
                .map(|l| Leg {
                    agent_id: l.agent_id,
                    extension: l.dn,
                    answered: l.answered,
                    talk_ms: l.talk_ms,
                    hold_ms: l.hold_ms,
                    wrap_up_ms: None,
                    disposition: None,
                    note: None,
                })
                .collect(),
            data: call.data,
        };
        self.output.records.push(RecordUpdate::Call(record));
    }

    /// Records the end of an agent's wrap-up for the calls it followed, and
    /// shows the disposition in the agent's recent calls.
    pub(super) fn record_wrap_up(&mut self, record: WrapUpRecord) {
        if record.call_ids.is_empty() {
            return;
        }
        if let Some(disposition) = &record.disposition
            && let Some(list) = self.recent.get_mut(&record.agent_id)
        {
            for recent in list
                .iter_mut()
                .filter(|r| record.call_ids.contains(&r.call_id))
            {
                recent.disposition = Some(disposition.clone());
            }
        }
        self.output.records.push(RecordUpdate::WrapUp(record));
    }

    /// Seeds an agent's recent calls (newest first), from storage at start.
    pub fn restore_recent(&mut self, agent_id: &str, calls: Vec<RecentCall>) {
        let mut calls = calls;
        calls.truncate(RECENT_PER_AGENT);
        self.recent.insert(agent_id.to_string(), calls.into());
    }

    /// The agent's recent calls, newest first.
    pub(super) fn recent_of(&self, agent_id: &str) -> Vec<RecentCall> {
        self.recent
            .get(agent_id)
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }
}
