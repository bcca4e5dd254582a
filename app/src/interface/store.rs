//! The one state store of the Interface: agent, calls, parties, attached data
//! and link state. Only OpenCTI events change it ([`Store::apply`]); the panel
//! renders from it and `getState()` returns it as a SnapshotEvent.

use std::collections::BTreeMap;

use super::conversation::{Conversation, MAX_CONVERSATIONS};

use crate::opencti::{
    UserData,
    events::{
        AgentState, AgentStateName, CallInfoEvent, CallOutcome, CallStateName, DeviceState,
        LinkState, OpenCtiEvent, RecentCall, RecordingState, SnapshotCall, SnapshotEvent,
        VoiceAiEvent, WorkMode,
    },
    functions::TelephonyMode,
    rules::{AgentView, CallState, CallView, agent_state_with_calls},
};

/// `pyCause` of a queue call that rang out here (ring-no-answer).
pub const CAUSE_NO_ANSWER: &str = "noAnswer";

/// What a CallInfoEvent said of a call not seen yet: its data, queue,
/// skills and recording.
type PendingData = (
    UserData,
    Option<String>,
    Vec<String>,
    Option<RecordingState>,
);

/// Most calls kept in [`Store::recent`].
pub const RECENT_CALLS: usize = 50;

/// Something the agent must be told once, that no state shows by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A queue call rang here for the ring timeout and went to another
    /// agent (the agent is Not ready now, with the CTI server's reason).
    MissedCall { number: String },
    /// Calls that were up ended while the panel was away (a CTI server
    /// restart, a long network drop): the snapshot no longer has them.
    CallsEnded { count: usize },
    /// The session ended with a reason the agent did not give: a
    /// supervisor logged the agent out.
    LoggedOut { reason: String },
    /// A call out failed: the telephone network said why.
    CallFailed { number: String, why: CallFailure },
}

/// Why the telephone network could not complete a call (`pyCause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallFailure {
    Busy,
    InvalidNumber,
    Unavailable,
}

impl CallFailure {
    /// The failure a final event's `pyCause` names, if it names one.
    pub fn from_cause(cause: &str) -> Option<Self> {
        match cause {
            "busy" => Some(Self::Busy),
            "invalidNumber" => Some(Self::InvalidNumber),
            "unavailable" => Some(Self::Unavailable),
            _ => None,
        }
    }
}

/// The store. `Default` is a logged-out agent with the link down.
#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    pub agent_id: String,
    /// The ACD state (never `Busy`: that is derived from the calls).
    pub agent_state: AgentState,
    pub work_mode: WorkMode,
    pub reason_code: String,
    pub this_dn: String,
    pub telephony_mode: TelephonyMode,
    pub device_state: DeviceState,
    pub link_state: LinkState,
    /// When the agent entered its state (ms since the epoch).
    pub since: u64,
    pub wrap_up_ends_at: Option<u64>,
    pub calls: Vec<SnapshotCall>,
    /// Ended calls, newest first.
    pub recent: Vec<RecentCall>,
    /// Calls that were answered here, so that their end counts as answered.
    answered: Vec<String>,
    /// Attached data that arrived before its call's first state event.
    pending_data: BTreeMap<String, PendingData>,
    /// Not-ready reasons the CTI server accepts (from the snapshot).
    pub reason_codes: Vec<String>,
    /// Wrap-up dispositions the CTI server accepts (from the snapshot).
    pub dispositions: Vec<String>,
    /// The latest thing to tell the agent; a new ringing call replaces it.
    pub notice: Option<Notice>,
    /// What AI engines said about recent calls, oldest first.
    pub conversations: Vec<(String, Conversation)>,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            agent_id: String::new(),
            agent_state: AgentState::Logout,
            work_mode: WorkMode::None,
            reason_code: String::new(),
            this_dn: String::new(),
            telephony_mode: TelephonyMode::Full,
            device_state: DeviceState::Closed,
            link_state: LinkState::Disconnected,
            since: 0,
            wrap_up_ends_at: None,
            calls: vec![],
            recent: vec![],
            answered: vec![],
            pending_data: BTreeMap::new(),
            reason_codes: vec![],
            dispositions: vec![],
            notice: None,
            conversations: vec![],
        }
    }
}

impl Store {
    /// Whether an agent is logged in.
    pub fn logged_in(&self) -> bool {
        self.agent_state != AgentState::Logout
    }

    /// Whether the agent is in after-call work.
    pub fn in_wrap_up(&self) -> bool {
        self.logged_in() && self.work_mode == WorkMode::Acw
    }

    /// What AI engines said about `call_id`, if anything.
    pub fn conversation(&self, call_id: &str) -> Option<&Conversation> {
        self.conversations
            .iter()
            .find(|(id, _)| id == call_id)
            .map(|(_, c)| c)
    }

    pub fn call(&self, call_id: &str) -> Option<&SnapshotCall> {
        self.calls.iter().find(|c| c.call_id == call_id)
    }

    /// The agent and its calls as the [rules](crate::opencti::rules) see them.
    pub fn view(&self) -> AgentView<'_> {
        AgentView {
            logged_in: self.logged_in(),
            mode: self.telephony_mode,
            ready: self.agent_state == AgentState::Ready && !self.in_wrap_up(),
            in_wrap_up: self.in_wrap_up(),
            reason: &self.reason_code,
            this_dn: &self.this_dn,
            calls: self
                .calls
                .iter()
                .map(|c| CallView {
                    id: &c.call_id,
                    state: c.call_state.call_state(),
                    recording: c.recording,
                })
                .collect(),
        }
    }

    /// Whether the agent is on a call (dialling, talking or holding).
    pub fn on_a_call(&self) -> bool {
        self.calls
            .iter()
            .any(|c| c.call_state.call_state().is_engaged())
    }

    /// The first call in `state`.
    pub fn call_in(&self, state: CallState) -> Option<&SnapshotCall> {
        self.calls
            .iter()
            .find(|c| c.call_state.call_state() == state)
    }

    /// Applies one OpenCTI event.
    pub fn apply(&mut self, event: &OpenCtiEvent) {
        match event {
            OpenCtiEvent::SnapshotEvent(s) => self.apply_snapshot(s),
            OpenCtiEvent::AgentStateEvent(a) => {
                self.agent_id = a.agent_id.clone();
                self.agent_state = match a.event_name {
                    AgentStateName::Login => AgentState::Login,
                    AgentStateName::Ready => AgentState::Ready,
                    AgentStateName::NotReady => AgentState::NotReady,
                    AgentStateName::Logout => AgentState::Logout,
                    AgentStateName::Unknown => AgentState::Unknown,
                };
                self.work_mode = a.work_mode;
                self.reason_code = a.reason_code.clone();
                self.since = a.timestamp;
                self.wrap_up_ends_at = a.wrap_up_ends_at;
                if !a.this_dn.is_empty() {
                    self.this_dn = a.this_dn.clone();
                }
                if a.event_name == AgentStateName::Logout {
                    self.device_state = DeviceState::Closed;
                    self.calls.clear();
                    self.recent.clear();
                    self.notice = (!a.reason_code.is_empty()).then(|| Notice::LoggedOut {
                        reason: a.reason_code.clone(),
                    });
                    self.pending_data.clear();
                    self.conversations.clear();
                } else {
                    self.device_state = DeviceState::Opened;
                }
            }
            OpenCtiEvent::CallStateEvent(c) => {
                if c.event_name.is_final() {
                    if let Some(pos) = self.calls.iter().position(|x| x.call_id == c.call_id) {
                        let call = self.calls.remove(pos);
                        if c.cause.as_deref() == Some(CAUSE_NO_ANSWER) {
                            self.notice = Some(Notice::MissedCall {
                                number: call.far_party().to_string(),
                            });
                        } else if let Some(why) =
                            c.cause.as_deref().and_then(CallFailure::from_cause)
                        {
                            self.notice = Some(Notice::CallFailed {
                                number: call.dnis.clone(),
                                why,
                            });
                        }
                        self.remember(call, c.event_name, c.timestamp);
                    }
                    self.pending_data.remove(&c.call_id);
                    return;
                }
                if c.event_name == CallStateName::Alerting {
                    self.notice = None;
                }
                if matches!(
                    c.event_name,
                    CallStateName::Established
                        | CallStateName::Connected
                        | CallStateName::Retrieved
                ) && !self.answered.contains(&c.call_id)
                {
                    self.answered.push(c.call_id.clone());
                }
                match self.calls.iter_mut().find(|x| x.call_id == c.call_id) {
                    Some(call) => {
                        call.call_state = c.event_name;
                        call.call_type = c.call_type;
                        call.ani = c.ani.clone();
                        call.dnis = c.dnis.clone();
                        call.other_dn = c.other_dn.clone();
                        call.timestamp = c.timestamp;
                        if c.queue.is_some() {
                            call.queue = c.queue.clone();
                        }
                    }
                    None => {
                        let (user_data, queue, skills, recording) =
                            self.pending_data.remove(&c.call_id).unwrap_or_default();
                        self.calls.push(SnapshotCall {
                            call_id: c.call_id.clone(),
                            call_state: c.event_name,
                            call_type: c.call_type,
                            ani: c.ani.clone(),
                            dnis: c.dnis.clone(),
                            other_dn: c.other_dn.clone(),
                            parties: vec![],
                            user_data,
                            queue: c.queue.clone().or(queue),
                            skills,
                            recording,
                            timestamp: c.timestamp,
                            start_time: c.timestamp,
                        });
                    }
                }
            }
            OpenCtiEvent::PartyInfoEvent(p) => {
                if let Some(call) = self.calls.iter_mut().find(|x| x.call_id == p.call_id) {
                    call.parties = p.parties.clone();
                }
            }
            OpenCtiEvent::CallInfoEvent(i) => self.apply_call_info(i),
            OpenCtiEvent::VoiceAiEvent(v) => self.apply_voice_ai(v),
        }
    }

    /// Keeps the conversation even after the call ended: the summary
    /// usually comes then, for the wrap-up.
    fn apply_voice_ai(&mut self, v: &VoiceAiEvent) {
        let pos = match self
            .conversations
            .iter()
            .position(|(id, _)| id == v.call_id())
        {
            Some(pos) => pos,
            None => {
                if self.conversations.len() >= MAX_CONVERSATIONS {
                    self.conversations.remove(0);
                }
                self.conversations
                    .push((v.call_id().to_string(), Conversation::default()));
                self.conversations.len() - 1
            }
        };
        self.conversations[pos].1.apply(v);
    }

    fn apply_call_info(&mut self, i: &CallInfoEvent) {
        if let Some(disposition) = &i.disposition
            && let Some(recent) = self.recent.iter_mut().find(|r| r.call_id == i.call_id)
        {
            recent.disposition = Some(disposition.clone());
        }
        match self.calls.iter_mut().find(|x| x.call_id == i.call_id) {
            Some(call) => {
                call.user_data = i.user_data.clone();
                if i.queue.is_some() {
                    call.queue = i.queue.clone();
                }
                if !i.skills.is_empty() {
                    call.skills = i.skills.clone();
                }
                if i.recording.is_some() {
                    call.recording = i.recording;
                }
            }
            None if i.disposition.is_none() => {
                // Bounded: data for calls that never show up is dropped.
                if self.pending_data.len() >= 64 {
                    self.pending_data.pop_first();
                }
                self.pending_data.insert(
                    i.call_id.clone(),
                    (
                        i.user_data.clone(),
                        i.queue.clone(),
                        i.skills.clone(),
                        i.recording,
                    ),
                );
            }
            None => {}
        }
    }

    fn apply_snapshot(&mut self, s: &SnapshotEvent) {
        let base = match s.agent_state {
            AgentState::Busy => match s.work_mode {
                WorkMode::AutoIn | WorkMode::ManualIn => AgentState::Ready,
                _ => AgentState::NotReady,
            },
            other => other,
        };
        // The server's history wins; without one, the calls this panel saw
        // stay only while the same agent is logged in.
        let same_agent = self.logged_in() && s.agent_id == self.agent_id;
        let ended = self
            .calls
            .iter()
            .filter(|c| !s.calls.iter().any(|n| n.call_id == c.call_id))
            .count();
        let notice = if same_agent && ended > 0 {
            Some(Notice::CallsEnded { count: ended })
        } else if same_agent {
            self.notice.take()
        } else {
            None
        };
        let recent = match &s.recent_calls {
            Some(list) => list.clone(),
            None if s.agent_id == self.agent_id => std::mem::take(&mut self.recent),
            None => vec![],
        };
        *self = Store {
            agent_id: s.agent_id.clone(),
            agent_state: base,
            work_mode: s.work_mode,
            reason_code: s.reason_code.clone(),
            this_dn: s.this_dn.clone(),
            telephony_mode: s.telephony_mode,
            device_state: s.device_state,
            link_state: s.link_state,
            since: s.timestamp,
            wrap_up_ends_at: s.wrap_up_ends_at,
            calls: s.calls.clone(),
            recent,
            answered: s
                .calls
                .iter()
                .filter(|c| {
                    !matches!(
                        c.call_state,
                        CallStateName::Alerting | CallStateName::Initiated
                    )
                })
                .map(|c| c.call_id.clone())
                .collect(),
            pending_data: BTreeMap::new(),
            reason_codes: s.reason_codes.clone(),
            dispositions: s.dispositions.clone(),
            notice,
            // A reconnect keeps what the engines said; another agent
            // starts afresh.
            conversations: if same_agent {
                std::mem::take(&mut self.conversations)
            } else {
                vec![]
            },
        };
    }

    fn remember(&mut self, call: SnapshotCall, ended_as: CallStateName, ended: u64) {
        let answered = self.answered.contains(&call.call_id);
        self.answered.retain(|id| *id != call.call_id);
        let outcome = match (answered, ended_as) {
            (true, _) => CallOutcome::Answered,
            (false, CallStateName::Abandoned) => CallOutcome::Abandoned,
            (false, _) => CallOutcome::Missed,
        };
        self.recent.retain(|r| r.call_id != call.call_id);
        self.recent.insert(
            0,
            RecentCall {
                number: call.other_dn.clone(),
                call_type: call.call_type,
                started: call.start_time,
                ended: ended.max(call.start_time),
                outcome,
                call_id: call.call_id,
                disposition: None,
            },
        );
        self.recent.truncate(RECENT_CALLS);
    }

    /// The store as a tagged OpenCTI event (`getState()`, `login()`'s value).
    pub fn state_event(&self) -> OpenCtiEvent {
        OpenCtiEvent::SnapshotEvent(self.snapshot())
    }

    /// The store as a SnapshotEvent.
    pub fn snapshot(&self) -> SnapshotEvent {
        SnapshotEvent {
            event_name: "Snapshot".into(),
            agent_id: self.agent_id.clone(),
            agent_state: agent_state_with_calls(self.agent_state, &self.calls),
            work_mode: self.work_mode,
            reason_code: self.reason_code.clone(),
            device_state: self.device_state,
            link_state: self.link_state,
            this_dn: self.this_dn.clone(),
            telephony_mode: self.telephony_mode,
            timestamp: self.since,
            wrap_up_ends_at: self.wrap_up_ends_at,
            calls: self.calls.clone(),
            reason_codes: self.reason_codes.clone(),
            dispositions: self.dispositions.clone(),
            recent_calls: (!self.recent.is_empty()).then(|| self.recent.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opencti::events::*;
    use serde_json::json;

    fn ev(value: serde_json::Value) -> OpenCtiEvent {
        serde_json::from_value(value).unwrap()
    }

    fn call_state(name: &str, call_id: &str) -> OpenCtiEvent {
        ev(
            json!({"pyEventType": "CallStateEvent", "pyEventName": name, "pyCallId": call_id,
                  "pyCallType": "INBOUND", "pyANI": "+15551230001", "pyDNIS": "5000",
                  "pyOtherDN": "+15551230001", "pyTimestamp": 10}),
        )
    }

    fn logged_in() -> Store {
        let mut store = Store::default();
        store.apply(&ev(
            json!({"pyEventType": "AgentStateEvent", "pyEventName": "Login", "pyAgentId": "1001",
                               "pyWorkMode": "AUX_WORK", "pyThisDN": "2001"}),
        ));
        store
    }

    #[test]
    fn every_event_type_applies() {
        let mut store = logged_in();
        assert!(store.logged_in());
        assert_eq!(store.this_dn, "2001");
        store.apply(&ev(
            json!({"pyEventType": "CallInfoEvent", "pyEventName": "CallInfo", "pyCallId": "C1",
                               "pyUserData": {"account": "42"}, "pyQueue": "5000", "pySkills": ["billing"]}),
        ));
        store.apply(&call_state("Alerting", "C1"));
        let call = store.call("C1").unwrap();
        assert_eq!(
            call.user_data["account"], "42",
            "data that came first is kept"
        );
        assert_eq!(call.queue.as_deref(), Some("5000"));
        assert_eq!(call.skills, ["billing"]);
        store.apply(&call_state("Established", "C1"));
        store.apply(&ev(
            json!({"pyEventType": "PartyInfoEvent", "pyEventName": "PartyInfo", "pyCallId": "C1",
                               "pyParties": [{"pyDN": "+15551230001", "pyState": "connected"},
                                             {"pyDN": "2001", "pyState": "connected"}]}),
        ));
        assert_eq!(store.call("C1").unwrap().parties.len(), 2);
        assert_eq!(store.snapshot().agent_state, AgentState::Busy);
        store.apply(&call_state("Disconnected", "C1"));
        assert!(store.calls.is_empty());
        assert_eq!(store.recent[0].number, "+15551230001");
        assert_eq!(store.recent[0].outcome, CallOutcome::Answered);
        store.apply(&ev(
            json!({"pyEventType": "AgentStateEvent", "pyEventName": "NotReady", "pyAgentId": "1001",
                               "pyWorkMode": "ACW", "pyWrapUpEndsAt": 99}),
        ));
        assert!(store.in_wrap_up());
        store.apply(&ev(
            json!({"pyEventType": "AgentStateEvent", "pyEventName": "Logout", "pyAgentId": "1001",
                               "pyWorkMode": "MODE_NONE"}),
        ));
        assert!(!store.logged_in());
        assert_eq!(store.device_state, DeviceState::Closed);
    }

    #[test]
    fn abandoned_calls_are_remembered_as_missed() {
        let mut store = logged_in();
        store.apply(&call_state("Alerting", "C2"));
        store.apply(&call_state("Abandoned", "C2"));
        assert_eq!(store.recent[0].outcome, CallOutcome::Abandoned);
    }

    #[test]
    fn a_disposition_is_kept_with_the_recent_call() {
        let mut store = logged_in();
        store.apply(&call_state("Established", "C3"));
        store.apply(&call_state("Disconnected", "C3"));
        store.apply(&ev(
            json!({"pyEventType": "CallInfoEvent", "pyEventName": "CallInfo", "pyCallId": "C3",
                   "pyUserData": {}, "pyDisposition": "Sale"}),
        ));
        assert_eq!(store.recent[0].disposition.as_deref(), Some("Sale"));
        assert!(store.calls.is_empty(), "a disposition brings no call back");
    }

    #[test]
    fn a_snapshot_replaces_the_state_and_round_trips() {
        let mut store = logged_in();
        store.apply(&call_state("Alerting", "C1"));
        let snap = ev(
            json!({"pyEventType": "SnapshotEvent", "pyEventName": "Snapshot", "pyAgentId": "1001",
            "pyAgentState": "Busy", "pyWorkMode": "MODE_AUTO_IN", "pyReasonCode": "", "pyDeviceState": "OPENED",
            "pyLinkState": "CONNECTED", "pyThisDN": "2001", "pyTelephonyMode": "full", "pyTimestamp": 3,
            "pyReasonCodes": ["Coaching"],
            "pyCalls": [{"pyCallId": "C7", "pyCallState": "Held", "pyCallType": "INBOUND", "pyANI": "1",
                         "pyDNIS": "5000", "pyOtherDN": "1", "pyParties": [], "pyUserData": {}}]}),
        );
        store.apply(&snap);
        assert_eq!(store.agent_state, AgentState::Ready);
        assert_eq!(store.calls.len(), 1);
        assert_eq!(store.reason_codes, ["Coaching"]);
        let OpenCtiEvent::SnapshotEvent(expected) = snap else {
            panic!()
        };
        assert_eq!(store.snapshot(), expected);
        assert_eq!(
            serde_json::to_value(store.state_event()).unwrap()["pyEventType"],
            "SnapshotEvent"
        );
    }

    #[test]
    fn the_servers_history_replaces_the_panels_and_another_agent_sees_none() {
        let mut store = logged_in();
        store.apply(&call_state("Established", "C3"));
        store.apply(&call_state("Disconnected", "C3"));
        let snapshot = |agent: &str, recent: serde_json::Value| {
            let mut value = json!({"pyEventType": "SnapshotEvent", "pyEventName": "Snapshot",
                "pyAgentId": agent, "pyAgentState": "NotReady", "pyWorkMode": "AUX_WORK",
                "pyDeviceState": "OPENED", "pyLinkState": "CONNECTED", "pyThisDN": "2001"});
            if !recent.is_null() {
                value["pyRecentCalls"] = recent;
            }
            ev(value)
        };
        store.apply(&snapshot("1001", serde_json::Value::Null));
        assert_eq!(store.recent.len(), 1, "same agent, no server history: kept");
        store.apply(&snapshot(
            "1001",
            json!([{"pyCallId": "C9", "pyOtherDN": "+1555", "pyCallType": "INBOUND",
                    "pyStartTime": 1, "pyEndTime": 5, "pyOutcome": "missed"}]),
        ));
        assert_eq!(store.recent[0].call_id, "C9");
        assert_eq!(store.recent[0].outcome, CallOutcome::Missed);
        store.apply(&snapshot("1002", serde_json::Value::Null));
        assert!(store.recent.is_empty(), "another agent never sees these");
    }

    #[test]
    fn a_call_out_the_network_could_not_complete_says_why() {
        let mut store = logged_in();
        store.apply(&call_state("Initiated", "C1"));
        let mut failed = call_state("Disconnected", "C1");
        if let OpenCtiEvent::CallStateEvent(c) = &mut failed {
            c.cause = Some("busy".into());
        }
        store.apply(&failed);
        assert!(store.calls.is_empty());
        assert!(matches!(
            store.notice,
            Some(Notice::CallFailed {
                why: CallFailure::Busy,
                ..
            })
        ));
        store.apply(&call_state("Initiated", "C2"));
        let mut cleared = call_state("Disconnected", "C2");
        if let OpenCtiEvent::CallStateEvent(c) = &mut cleared {
            c.cause = Some("normalClearing".into());
        }
        store.notice = None;
        store.apply(&cleared);
        assert_eq!(store.notice, None, "an ordinary hang-up says nothing");
    }

    #[test]
    fn a_call_that_rang_out_and_calls_gone_after_a_restart_are_told_once() {
        let mut store = logged_in();
        store.apply(&call_state("Alerting", "C1"));
        let mut rang_out = call_state("Disconnected", "C1");
        if let OpenCtiEvent::CallStateEvent(c) = &mut rang_out {
            c.cause = Some(CAUSE_NO_ANSWER.into());
        }
        store.apply(&rang_out);
        assert_eq!(
            store.notice,
            Some(Notice::MissedCall {
                number: "+15551230001".into()
            })
        );
        store.apply(&call_state("Alerting", "C2"));
        assert_eq!(store.notice, None, "a new call replaces it");
        store.apply(&call_state("Established", "C2"));
        let snapshot = ev(
            json!({"pyEventType": "SnapshotEvent", "pyEventName": "Snapshot",
            "pyAgentId": "1001", "pyAgentState": "Ready", "pyWorkMode": "MODE_AUTO_IN",
            "pyDeviceState": "OPENED", "pyLinkState": "CONNECTED", "pyThisDN": "2001"}),
        );
        store.apply(&snapshot);
        assert_eq!(store.notice, Some(Notice::CallsEnded { count: 1 }));
        store.apply(&snapshot);
        assert_eq!(
            store.notice,
            Some(Notice::CallsEnded { count: 1 }),
            "kept until something replaces it, not counted twice"
        );
    }
}
