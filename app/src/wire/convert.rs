//! Native (CSTA-named) events → OpenCTI events, from the point of view of one
//! agent's extension (`this_dn`). Stateless: every native call event carries
//! the whole call, so this is a pure function the reference Implementation
//! runs in wasm and the tests run natively.

use super::native::{
    AgentInfo, AgentSnapshot, AgentStatus, CallEvent, CallInfo, CallOrigin, Cause, ConnectionState,
    Directory as NativeDirectory, DispositionInfo, NativeEvent,
};
use crate::opencti::{
    directory::{Directory, DirectoryAgent, DirectoryQueue},
    events::{
        AgentState, AgentStateEvent, AgentStateName, CallInfoEvent, CallStateEvent, CallStateName,
        CallType, DeviceState, LinkState, OpenCtiEvent, PartyInfo, PartyInfoEvent, SnapshotCall,
        SnapshotEvent, WorkMode,
    },
    rules::agent_state_with_calls,
};

/// Converts one native event for the agent on `this_dn`. Events about calls
/// the extension is not on convert to nothing.
pub fn to_opencti(this_dn: &str, event: &NativeEvent) -> Vec<OpenCtiEvent> {
    use NativeEvent::*;
    match event {
        Originated(e) if e.device == this_dn => first_sight(this_dn, e, CallStateName::Initiated),
        Delivered(e) if e.device == this_dn => first_sight(this_dn, e, CallStateName::Alerting),
        Established(e) => match e.call.state_of(this_dn) {
            Some(ConnectionState::Connected) => {
                let mut out = vec![call_state(this_dn, e, CallStateName::Established)];
                if e.call.parties.len() > 2 {
                    out.push(party_info(this_dn, &e.call));
                }
                out
            }
            Some(_) => vec![party_info(this_dn, &e.call)],
            None => vec![],
        },
        Held(e) if e.device == this_dn => vec![call_state(this_dn, e, CallStateName::Held)],
        Retrieved(e) if e.device == this_dn => {
            vec![call_state(this_dn, e, CallStateName::Retrieved)]
        }
        ConnectionCleared(e) | Failed(e) | Diverted(e) if e.device == this_dn => {
            let name = if e.cause == Some(Cause::CallCancelled) {
                CallStateName::Abandoned
            } else {
                CallStateName::Disconnected
            };
            vec![call_state(this_dn, e, name)]
        }
        Transferred(e) | Conferenced(e) => match e.call.state_of(this_dn) {
            Some(state) => {
                let mut out = first_sight(this_dn, e, call_state_name(state));
                out.push(party_info(this_dn, &e.call));
                out
            }
            None => vec![],
        },
        // Another device changed on a call this extension is on.
        Originated(e) | Delivered(e) | Held(e) | Retrieved(e) | ConnectionCleared(e)
        | Failed(e) | Diverted(e) => {
            if e.call.state_of(this_dn).is_some() {
                vec![party_info(this_dn, &e.call)]
            } else {
                vec![]
            }
        }
        AgentLoggedOn(a) => vec![agent_state(a, AgentStateName::Login)],
        AgentLoggedOff(a) => vec![agent_state(a, AgentStateName::Logout)],
        AgentReady(a) => vec![agent_state(a, AgentStateName::Ready)],
        AgentNotReady(a) | AgentWorkingAfterCall(a) => {
            vec![agent_state(a, AgentStateName::NotReady)]
        }
        Snapshot(s) => vec![OpenCtiEvent::SnapshotEvent(snapshot(this_dn, s))],
        Disposition(d) => vec![disposition(d)],
        RecordingChanged(e) if e.call.state_of(this_dn).is_some() => vec![call_info(&e.call)],
        RecordingChanged(_) => vec![],
        Conversation(e) => vec![OpenCtiEvent::VoiceAiEvent(e.clone())],
    }
}

/// A recorded disposition: the call's data again, with `pyDisposition`.
fn disposition(d: &DispositionInfo) -> OpenCtiEvent {
    OpenCtiEvent::CallInfoEvent(CallInfoEvent {
        event_name: "CallInfo".into(),
        call_id: d.call_id.clone(),
        user_data: d.data.clone(),
        queue: d.queue.clone(),
        skills: vec![],
        recording: None,
        disposition: Some(d.disposition.clone()),
    })
}

/// The switch's directory in OpenCTI's shape.
pub fn directory(native: NativeDirectory) -> Directory {
    Directory {
        agents: native
            .agents
            .into_iter()
            .map(|a| {
                let base = match a.status {
                    AgentStatus::LoggedOut => AgentState::Logout,
                    AgentStatus::Ready => AgentState::Ready,
                    AgentStatus::NotReady | AgentStatus::WorkingAfterCall => AgentState::NotReady,
                };
                DirectoryAgent {
                    agent_id: a.agent_id,
                    name: a.name,
                    extension: a.extension,
                    agent_state: if a.busy && base != AgentState::Logout {
                        AgentState::Busy
                    } else {
                        base
                    },
                    work_mode: if a.status == AgentStatus::WorkingAfterCall {
                        WorkMode::Acw
                    } else {
                        WorkMode::None
                    },
                }
            })
            .collect(),
        queues: native
            .queues
            .into_iter()
            .map(|q| DirectoryQueue {
                number: q.number,
                name: q.name,
                waiting: q.waiting as u32,
            })
            .collect(),
    }
}

/// The first events of a call at this extension: its data (the screen pop,
/// never later than the ringing) and then its state.
fn first_sight(this_dn: &str, e: &CallEvent, name: CallStateName) -> Vec<OpenCtiEvent> {
    vec![call_info(&e.call), call_state(this_dn, e, name)]
}

/// The call's data as a CallInfoEvent: its screen pop, and again when its
/// recording changes.
fn call_info(call: &CallInfo) -> OpenCtiEvent {
    OpenCtiEvent::CallInfoEvent(CallInfoEvent {
        event_name: "CallInfo".into(),
        call_id: call.call_id.clone(),
        user_data: call.data.clone(),
        queue: call.queue.clone(),
        skills: call.skills.clone(),
        recording: call.recording,
        disposition: None,
    })
}

fn call_state(this_dn: &str, e: &CallEvent, name: CallStateName) -> OpenCtiEvent {
    let call = &e.call;
    OpenCtiEvent::CallStateEvent(CallStateEvent {
        event_name: name,
        call_id: call.call_id.clone(),
        call_type: call_type(call),
        ani: call.calling_device.clone(),
        dnis: call.called_device.clone(),
        other_dn: other_dn(this_dn, call),
        this_dn: this_dn.to_string(),
        media: "Phone".into(),
        timestamp: e.timestamp,
        queue: call.queue.clone(),
        cause: e.cause.map(|c| c.as_str().to_string()),
    })
}

fn party_info(this_dn: &str, call: &CallInfo) -> OpenCtiEvent {
    OpenCtiEvent::PartyInfoEvent(PartyInfoEvent {
        event_name: "PartyInfo".into(),
        call_id: call.call_id.clone(),
        this_dn: this_dn.to_string(),
        parties: parties(call),
    })
}

fn agent_state(agent: &AgentInfo, name: AgentStateName) -> OpenCtiEvent {
    OpenCtiEvent::AgentStateEvent(AgentStateEvent {
        event_name: name,
        agent_id: agent.agent_id.clone(),
        reason_code: agent.reason.clone(),
        work_mode: work_mode(agent),
        this_dn: agent.device.clone(),
        timestamp: agent.since,
        wrap_up_ends_at: agent.wrap_up_ends_at,
    })
}

/// The SnapshotEvent for an agent and the calls on its extension.
pub fn snapshot(this_dn: &str, s: &AgentSnapshot) -> SnapshotEvent {
    let calls: Vec<SnapshotCall> = s
        .calls
        .iter()
        .filter_map(|call| {
            let state = call.state_of(this_dn)?;
            Some(SnapshotCall {
                call_id: call.call_id.clone(),
                call_state: call_state_name(state),
                call_type: call_type(call),
                ani: call.calling_device.clone(),
                dnis: call.called_device.clone(),
                other_dn: other_dn(this_dn, call),
                parties: parties(call),
                user_data: call.data.clone(),
                queue: call.queue.clone(),
                skills: call.skills.clone(),
                recording: call.recording,
                timestamp: call.started_at,
                start_time: call.started_at,
            })
        })
        .collect();
    let logged_in = s.agent.status != AgentStatus::LoggedOut;
    let base = match s.agent.status {
        AgentStatus::LoggedOut => AgentState::Logout,
        AgentStatus::Ready => AgentState::Ready,
        AgentStatus::NotReady | AgentStatus::WorkingAfterCall => AgentState::NotReady,
    };
    SnapshotEvent {
        event_name: "Snapshot".into(),
        agent_id: s.agent.agent_id.clone(),
        agent_state: agent_state_with_calls(base, &calls),
        work_mode: work_mode(&s.agent),
        reason_code: s.agent.reason.clone(),
        device_state: if logged_in {
            DeviceState::Opened
        } else {
            DeviceState::Closed
        },
        link_state: LinkState::Connected,
        this_dn: this_dn.to_string(),
        telephony_mode: s.agent.telephony_mode,
        timestamp: s.agent.since,
        wrap_up_ends_at: s.agent.wrap_up_ends_at,
        calls,
        reason_codes: s.reason_codes.clone(),
        dispositions: s.dispositions.clone(),
        recent_calls: Some(s.recent.clone()),
    }
}

fn work_mode(agent: &AgentInfo) -> WorkMode {
    match agent.status {
        AgentStatus::WorkingAfterCall => WorkMode::Acw,
        AgentStatus::LoggedOut => WorkMode::None,
        _ => agent.work_mode,
    }
}

/// `pyCallState` for the agent's connection state.
fn call_state_name(state: ConnectionState) -> CallStateName {
    state.call_state().event_name()
}

fn call_type(call: &CallInfo) -> CallType {
    if call.consult_of.is_some() {
        return CallType::Consult;
    }
    match call.origin {
        CallOrigin::Inbound => CallType::Inbound,
        CallOrigin::Outbound => CallType::Outbound,
        CallOrigin::Internal => CallType::Internal,
    }
}

/// The party the agent talks to: the first other device on the call that is
/// not a queue, else the calling or called device.
fn other_dn(this_dn: &str, call: &CallInfo) -> String {
    call.parties
        .iter()
        .find(|p| p.dn != this_dn && p.state != ConnectionState::Queued)
        .map(|p| p.dn.clone())
        .unwrap_or_else(|| {
            if call.calling_device != this_dn {
                call.calling_device.clone()
            } else {
                call.called_device.clone()
            }
        })
}

fn parties(call: &CallInfo) -> Vec<PartyInfo> {
    call.parties
        .iter()
        .map(|p| PartyInfo {
            dn: p.dn.clone(),
            state: p.state.as_str().to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{opencti::functions::TelephonyMode, wire::native::Party};

    fn call(parties: &[(&str, ConnectionState)]) -> CallInfo {
        CallInfo {
            started_at: 100,
            ..crate::wire::native::sample_call(parties)
        }
    }

    fn event(device: &str, cause: Option<Cause>, call: CallInfo) -> CallEvent {
        CallEvent {
            device: device.into(),
            cause,
            call,
            timestamp: 200,
        }
    }

    fn names(events: &[OpenCtiEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                OpenCtiEvent::CallStateEvent(c) => format!("{:?}", c.event_name),
                other => other.event_type().to_string(),
            })
            .collect()
    }

    use ConnectionState::*;
    const CALLER: &str = "+15551230001";

    #[test]
    fn delivered_to_this_extension_pops_data_before_alerting() {
        let ringing = call(&[(CALLER, Connected), ("2001", Alerting)]);
        let out = to_opencti(
            "2001",
            &NativeEvent::Delivered(event("2001", None, ringing)),
        );
        assert_eq!(names(&out), ["CallInfoEvent", "Alerting"]);
        let OpenCtiEvent::CallInfoEvent(info) = &out[0] else {
            panic!()
        };
        assert_eq!(info.user_data["account"], "42");
        assert_eq!(info.queue.as_deref(), Some("5000"));
        assert_eq!(info.skills, ["billing"]);
        let OpenCtiEvent::CallStateEvent(state) = &out[1] else {
            panic!()
        };
        assert_eq!(state.call_type, CallType::Inbound);
        assert_eq!(state.ani, CALLER);
        assert_eq!(state.dnis, "5000");
        assert_eq!(state.other_dn, CALLER);
        assert_eq!(state.this_dn, "2001");
        assert_eq!(state.media, "Phone");
    }

    #[test]
    fn events_about_calls_elsewhere_convert_to_nothing() {
        let elsewhere = call(&[(CALLER, Connected), ("2002", Alerting)]);
        let e = event("2002", None, elsewhere);
        assert!(to_opencti("2001", &NativeEvent::Delivered(e.clone())).is_empty());
        assert!(to_opencti("2001", &NativeEvent::Established(e)).is_empty());
    }

    #[test]
    fn answer_hold_retrieve_clear() {
        let talking = call(&[(CALLER, Connected), ("2001", Connected)]);
        let out = to_opencti(
            "2001",
            &NativeEvent::Established(event("2001", None, talking.clone())),
        );
        assert_eq!(names(&out), ["Established"]);
        let held = call(&[(CALLER, Connected), ("2001", Held)]);
        assert_eq!(
            names(&to_opencti(
                "2001",
                &NativeEvent::Held(event("2001", None, held))
            )),
            ["Held"]
        );
        assert_eq!(
            names(&to_opencti(
                "2001",
                &NativeEvent::Retrieved(event("2001", None, talking))
            )),
            ["Retrieved"]
        );
        let gone = call(&[(CALLER, Connected)]);
        let out = to_opencti(
            "2001",
            &NativeEvent::ConnectionCleared(event("2001", Some(Cause::NormalClearing), gone)),
        );
        assert_eq!(names(&out), ["Disconnected"]);
        let OpenCtiEvent::CallStateEvent(state) = &out[0] else {
            panic!()
        };
        assert_eq!(state.cause.as_deref(), Some("normalClearing"));
    }

    #[test]
    fn caller_hanging_up_while_ringing_is_abandoned() {
        let e = event("2001", Some(Cause::CallCancelled), call(&[]));
        assert_eq!(
            names(&to_opencti("2001", &NativeEvent::ConnectionCleared(e))),
            ["Abandoned"]
        );
    }

    #[test]
    fn outbound_call_is_initiated_then_established_when_far_end_answers() {
        let mut dialing = call(&[("2001", Initiated), ("+15559990000", Alerting)]);
        dialing.origin = CallOrigin::Outbound;
        dialing.calling_device = "2001".into();
        dialing.called_device = "+15559990000".into();
        dialing.queue = None;
        let out = to_opencti(
            "2001",
            &NativeEvent::Originated(event("2001", None, dialing.clone())),
        );
        assert_eq!(names(&out), ["CallInfoEvent", "Initiated"]);
        let OpenCtiEvent::CallStateEvent(state) = &out[1] else {
            panic!()
        };
        assert_eq!(
            (state.call_type, state.other_dn.as_str()),
            (CallType::Outbound, "+15559990000")
        );
        // The far end's ringing is party information for the caller.
        assert_eq!(
            names(&to_opencti(
                "2001",
                &NativeEvent::Delivered(event("+15559990000", None, dialing.clone()))
            )),
            ["PartyInfoEvent"]
        );
        dialing.parties = vec![
            Party {
                dn: "2001".into(),
                state: Connected,
            },
            Party {
                dn: "+15559990000".into(),
                state: Connected,
            },
        ];
        assert_eq!(
            names(&to_opencti(
                "2001",
                &NativeEvent::Established(event("+15559990000", None, dialing))
            )),
            ["Established"]
        );
    }

    #[test]
    fn transferred_call_appears_at_the_new_agent_with_its_data_and_parties() {
        let after = call(&[(CALLER, Connected), ("2002", Connected)]);
        let transferred = NativeEvent::Transferred(event("2001", Some(Cause::Transfer), after));
        let expected = ["CallInfoEvent", "Established", "PartyInfoEvent"];
        assert_eq!(names(&to_opencti("2002", &transferred)), expected);
        // The transferring agent is no longer on the call: its own clearing says so.
        assert!(to_opencti("2001", &transferred).is_empty());
    }

    #[test]
    fn conference_reports_every_party() {
        let conf = call(&[
            (CALLER, Connected),
            ("2001", Connected),
            ("2002", Connected),
        ]);
        let conferenced = NativeEvent::Conferenced(event("2001", Some(Cause::Conference), conf));
        let out = to_opencti("2001", &conferenced);
        assert_eq!(
            names(&out),
            ["CallInfoEvent", "Established", "PartyInfoEvent"]
        );
        let OpenCtiEvent::PartyInfoEvent(p) = &out[2] else {
            panic!()
        };
        assert_eq!(p.parties.len(), 3);
        // A party dropped: the others see new party information.
        let after = call(&[(CALLER, Connected), ("2001", Connected)]);
        assert_eq!(
            names(&to_opencti(
                "2001",
                &NativeEvent::ConnectionCleared(event("2002", Some(Cause::NormalClearing), after))
            )),
            ["PartyInfoEvent"]
        );
    }

    #[test]
    fn consultation_calls_are_typed_consult() {
        let mut consult = call(&[("2001", Initiated), ("2002", Alerting)]);
        consult.consult_of = Some("C0".into());
        let out = to_opencti(
            "2002",
            &NativeEvent::Delivered(event("2002", None, consult)),
        );
        let OpenCtiEvent::CallStateEvent(state) = &out[1] else {
            panic!()
        };
        assert_eq!(state.call_type, CallType::Consult);
        assert_eq!(state.other_dn, "2001");
    }

    fn agent(status: AgentStatus) -> AgentInfo {
        AgentInfo {
            agent_id: "1001".into(),
            device: "2001".into(),
            status,
            reason: if status == AgentStatus::NotReady {
                "Lunch".into()
            } else {
                String::new()
            },
            work_mode: match status {
                AgentStatus::Ready => WorkMode::AutoIn,
                AgentStatus::NotReady => WorkMode::AuxWork,
                _ => WorkMode::None,
            },
            telephony_mode: TelephonyMode::Full,
            since: 5,
            wrap_up_ends_at: (status == AgentStatus::WorkingAfterCall).then_some(30_005),
        }
    }

    #[test]
    fn agent_events() {
        use {AgentStateName as N, AgentStatus as S, NativeEvent as E, WorkMode as M};
        let cases = [
            (E::AgentLoggedOn(agent(S::NotReady)), N::Login, M::AuxWork),
            (E::AgentReady(agent(S::Ready)), N::Ready, M::AutoIn),
            (
                E::AgentNotReady(agent(S::NotReady)),
                N::NotReady,
                M::AuxWork,
            ),
            (
                E::AgentWorkingAfterCall(agent(S::WorkingAfterCall)),
                N::NotReady,
                M::Acw,
            ),
            (E::AgentLoggedOff(agent(S::LoggedOut)), N::Logout, M::None),
        ];
        for (native, name, mode) in cases {
            let out = to_opencti("2001", &native);
            let [OpenCtiEvent::AgentStateEvent(a)] = out.as_slice() else {
                panic!("{native:?}")
            };
            assert_eq!((a.event_name, a.work_mode), (name, mode), "{native:?}");
            assert_eq!(a.agent_id, "1001");
        }
    }

    #[test]
    fn snapshot_lists_only_this_extensions_calls_and_reports_busy() {
        let s = AgentSnapshot {
            reason_codes: vec!["Break".into()],
            dispositions: vec![],
            recent: vec![],
            agent: agent(AgentStatus::Ready),
            calls: vec![
                call(&[(CALLER, Connected), ("2001", Held)]),
                CallInfo {
                    call_id: "C2".into(),
                    ..call(&[(CALLER, Connected), ("2002", Connected)])
                },
            ],
        };
        let snap = snapshot("2001", &s);
        assert_eq!(snap.calls.len(), 1);
        assert_eq!(snap.calls[0].call_state, CallStateName::Held);
        assert_eq!(snap.calls[0].skills, ["billing"]);
        assert_eq!(snap.agent_state, AgentState::Busy);
        assert_eq!(snap.device_state, DeviceState::Opened);
        assert_eq!(snap.link_state, LinkState::Connected);
        assert_eq!(snap.reason_codes, ["Break"]);
        let idle = snapshot(
            "2001",
            &AgentSnapshot {
                agent: agent(AgentStatus::Ready),
                calls: vec![],
                reason_codes: vec![],
                dispositions: vec![],
                recent: vec![],
            },
        );
        assert_eq!(idle.agent_state, AgentState::Ready);
    }
}
