//! The one permission table: which Interface function is allowed for which
//! agent state, call state and telephony mode. The panel reads it to offer
//! and enable buttons, the Interface to refuse a request before it reaches
//! the wire, and the reference switch to refuse it with authority. One
//! definition, so a button is never offered for an action the switch refuses.
//!
//! The table works on an [`AgentView`]: the agent and its calls as any of the
//! three sees them (the panel's store, the switch's own state).

use super::{
    ErrorCode, OpenCtiError,
    events::{AgentState, CallStateName, RecordingState, SnapshotCall},
    functions::{Function, TelephonyMode},
};

/// The state of one of the agent's calls, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallState {
    /// The agent dialled; nobody answered yet.
    Initiated,
    /// Ringing at the agent.
    Alerting,
    /// Talking.
    Connected,
    /// Held by the agent.
    Held,
    /// Over (or failed): nothing can be done with it.
    Ended,
}

impl CallState {
    /// How an error message names the state.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initiated => "initiated",
            Self::Alerting => "alerting",
            Self::Connected => "connected",
            Self::Held => "held",
            Self::Ended => "ended",
        }
    }

    /// The agent is on this call: dialling, talking or holding it. This is
    /// what "On a call" and the `Busy` agent state mean.
    pub fn is_engaged(self) -> bool {
        matches!(self, Self::Initiated | Self::Connected | Self::Held)
    }

    /// The call occupies the agent's line: a new call needs it held first.
    pub fn holds_line(self) -> bool {
        matches!(self, Self::Initiated | Self::Connected)
    }
}

impl CallState {
    /// The `pyEventName` (and `pyCallState`) that reports a call in this state.
    pub fn event_name(self) -> CallStateName {
        match self {
            Self::Initiated => CallStateName::Initiated,
            Self::Alerting => CallStateName::Alerting,
            Self::Connected => CallStateName::Established,
            Self::Held => CallStateName::Held,
            Self::Ended => CallStateName::Disconnected,
        }
    }
}

/// `pyAgentState` as OpenCTI reports it: `Busy` while the agent is engaged on
/// a call, whatever its ACD state (`base`).
pub fn agent_state_with_calls(base: AgentState, calls: &[SnapshotCall]) -> AgentState {
    let engaged = calls.iter().any(|c| c.call_state.call_state().is_engaged());
    if engaged && base != AgentState::Logout {
        AgentState::Busy
    } else {
        base
    }
}

impl CallStateName {
    /// The state the call is in after an event with this name.
    pub fn call_state(self) -> CallState {
        match self {
            Self::Alerting => CallState::Alerting,
            Self::Initiated => CallState::Initiated,
            Self::Established | Self::Connected | Self::Retrieved => CallState::Connected,
            Self::Held => CallState::Held,
            Self::Disconnected | Self::Abandoned => CallState::Ended,
        }
    }
}

/// One of the agent's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallView<'a> {
    pub id: &'a str,
    pub state: CallState,
    /// Its recording, if it is recorded.
    pub recording: Option<RecordingState>,
}

/// The agent and its calls, as the rules need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentView<'a> {
    pub logged_in: bool,
    pub mode: TelephonyMode,
    /// Ready for ACD calls (not in after-call work).
    pub ready: bool,
    pub in_wrap_up: bool,
    /// The not-ready reason, when not ready.
    pub reason: &'a str,
    /// The agent's extension (error messages name it).
    pub this_dn: &'a str,
    /// Calls the agent's extension is on.
    pub calls: Vec<CallView<'a>>,
}

impl AgentView<'_> {
    fn call(&self, id: &str) -> Option<CallState> {
        self.calls.iter().find(|c| c.id == id).map(|c| c.state)
    }

    fn recording(&self, id: &str) -> Option<RecordingState> {
        self.calls
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.recording)
    }
}

/// A function with the arguments the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action<'a> {
    pub function: Function,
    /// The call ids among its arguments, in parameter order (`callId`;
    /// `heldCallId, consultCallId`; `heldCallId, activeCallId`).
    pub calls: &'a [&'a str],
    /// `reasonCode` of `agentNotReady`.
    pub reason: Option<&'a str>,
}

impl<'a> Action<'a> {
    pub fn new(function: Function, calls: &'a [&'a str]) -> Self {
        Self {
            function,
            calls,
            reason: None,
        }
    }
}

/// What each call argument of `function` must be, in parameter order.
fn call_requirements(function: Function) -> &'static [&'static [CallState]] {
    use CallState::*;
    match function {
        Function::AnswerCall | Function::RejectCall => &[&[Alerting]],
        Function::HangUpCall => &[&[Initiated, Connected, Held]],
        Function::HoldCall | Function::SendDtmf | Function::DropParty => &[&[Connected]],
        Function::RetrieveCall => &[&[Held]],
        Function::BlindTransfer
        | Function::TransferInitiate
        | Function::ConferenceInitiate
        | Function::PauseRecording
        | Function::ResumeRecording => &[&[Connected, Held]],
        Function::TransferComplete | Function::ConferenceComplete => {
            &[&[Connected, Held], &[Connected, Held]]
        }
        Function::AlternateCall => &[&[Held], &[Connected]],
        _ => &[],
    }
}

/// Whether `action` is allowed for `agent`: `Ok`, or the OpenCTI error that
/// refuses it. The telephony mode is checked first, whatever the state.
pub fn check(action: Action<'_>, agent: &AgentView<'_>) -> Result<(), OpenCtiError> {
    let function = action.function;
    if !agent.logged_in {
        return if function == Function::Login {
            Ok(())
        } else {
            Err(OpenCtiError::new(
                ErrorCode::AgentNotLoggedIn,
                "log in first",
            ))
        };
    }
    agent.mode.check(function)?;
    match function {
        Function::AgentReady if agent.ready => {
            return Err(OpenCtiError::new(
                ErrorCode::InSameState,
                "you are already ready",
            ));
        }
        Function::AgentNotReady
            if !agent.ready
                && !agent.in_wrap_up
                && agent.reason == action.reason.unwrap_or_default() =>
        {
            return Err(OpenCtiError::new(
                ErrorCode::InSameState,
                "you are already not ready for that reason",
            ));
        }
        Function::CompleteWrapUp if !agent.in_wrap_up => {
            return Err(OpenCtiError::invalid_state(
                "you are not in after-call work",
            ));
        }
        Function::Logout if agent.calls.iter().any(|c| c.state != CallState::Ended) => {
            return Err(OpenCtiError::invalid_state(
                "finish your calls before logging out",
            ));
        }
        Function::MakeCall => {
            if let Some(busy) = agent.calls.iter().find(|c| c.state.holds_line()) {
                return Err(OpenCtiError::invalid_state(format!(
                    "call {} is active: hold it or use Consult",
                    busy.id
                )));
            }
        }
        _ => {}
    }
    for (id, allowed) in action.calls.iter().zip(call_requirements(function)) {
        let state = agent.call(id).ok_or_else(|| {
            OpenCtiError::invalid_state(format!(
                "there is no call {id} on extension {}",
                agent.this_dn
            ))
        })?;
        if !allowed.contains(&state) {
            return Err(OpenCtiError::invalid_state(format!(
                "cannot {} call {id}: it is {}",
                function.verb(),
                state.as_str()
            )));
        }
    }
    match (function, action.calls) {
        (Function::TransferComplete | Function::ConferenceComplete, [a, b]) if a == b => {
            Err(OpenCtiError::bad_request("name two different calls"))
        }
        (Function::TransferInitiate | Function::ConferenceInitiate, [id]) => {
            match agent
                .calls
                .iter()
                .find(|c| c.id != *id && c.state.is_engaged())
            {
                Some(other) => Err(OpenCtiError::new(
                    ErrorCode::ConfAlreadyPresent,
                    format!(
                        "call {} is up too: complete, swap to or end it before another consultation",
                        other.id
                    ),
                )),
                None => Ok(()),
            }
        }
        (Function::PauseRecording | Function::ResumeRecording, [id]) => {
            recording_allows(function, id, agent.recording(id))
        }
        _ => Ok(()),
    }
}

/// Pausing needs a recording that runs, resuming one that is paused.
fn recording_allows(
    function: Function,
    id: &str,
    recording: Option<RecordingState>,
) -> Result<(), OpenCtiError> {
    match (function, recording) {
        (_, None) => Err(OpenCtiError::invalid_state(format!(
            "call {id} is not being recorded"
        ))),
        (Function::PauseRecording, Some(RecordingState::Paused)) => Err(OpenCtiError::new(
            ErrorCode::InSameState,
            format!("the recording of call {id} is already paused"),
        )),
        (Function::ResumeRecording, Some(RecordingState::Active)) => Err(OpenCtiError::new(
            ErrorCode::InSameState,
            format!("the recording of call {id} is not paused"),
        )),
        _ => Ok(()),
    }
}

/// Whether `action` is allowed (the panel enables its button).
pub fn allows(action: Action<'_>, agent: &AgentView<'_>) -> bool {
    check(action, agent).is_ok()
}

#[cfg(test)]
mod tests {
    //! The table as Pega Call documents it, written out by hand (not derived
    //! from the code above).

    use super::*;
    use CallState::*;
    use ErrorCode::*;

    fn agent(calls: &[(&'static str, CallState)]) -> AgentView<'static> {
        AgentView {
            logged_in: true,
            mode: TelephonyMode::Full,
            ready: false,
            in_wrap_up: false,
            reason: "",
            this_dn: "2001",
            calls: calls
                .iter()
                .map(|(id, state)| CallView {
                    id,
                    state: *state,
                    recording: None,
                })
                .collect(),
        }
    }

    fn code(function: Function, calls: &[&str], view: &AgentView) -> Option<ErrorCode> {
        check(Action::new(function, calls), view)
            .err()
            .map(|e| e.err_code)
    }

    /// One call in each state; which single-call functions may act on it.
    #[test]
    fn call_functions_by_the_state_of_the_call() {
        use Function::*;
        // (function, states in which Pega allows it)
        let table: [(Function, &[CallState]); 10] = [
            (AnswerCall, &[Alerting]),
            (RejectCall, &[Alerting]),
            (HangUpCall, &[Initiated, Connected, Held]),
            (HoldCall, &[Connected]),
            (RetrieveCall, &[Held]),
            (SendDtmf, &[Connected]),
            (DropParty, &[Connected]),
            (BlindTransfer, &[Connected, Held]),
            (TransferInitiate, &[Connected, Held]),
            (ConferenceInitiate, &[Connected, Held]),
        ];
        for (function, allowed) in table {
            for state in [Initiated, Alerting, Connected, Held, Ended] {
                let view = agent(&[("C1", state)]);
                let expected = (!allowed.contains(&state)).then_some(InvalidObjectState);
                assert_eq!(
                    code(function, &["C1"], &view),
                    expected,
                    "{function:?} on a call that is {state:?}"
                );
            }
            // A call the agent is not on is the same error as no call at all.
            assert_eq!(
                code(function, &["C9"], &agent(&[])),
                Some(InvalidObjectState)
            );
        }
    }

    #[test]
    fn consultation_completion_and_swap() {
        use Function::*;
        let consulting = agent(&[("C1", Held), ("C2", Connected)]);
        for f in [TransferComplete, ConferenceComplete] {
            // Either order: original first, whichever is held.
            assert_eq!(code(f, &["C1", "C2"], &consulting), None);
            assert_eq!(code(f, &["C2", "C1"], &consulting), None);
            assert_eq!(code(f, &["C1", "C1"], &consulting), Some(BadRequest));
            assert_eq!(
                code(f, &["C1", "C3"], &consulting),
                Some(InvalidObjectState)
            );
            let ringing = agent(&[("C1", Held), ("C2", Initiated)]);
            assert_eq!(code(f, &["C1", "C2"], &ringing), Some(InvalidObjectState));
        }
        // Swap: the held call first, the active one second.
        assert_eq!(code(AlternateCall, &["C1", "C2"], &consulting), None);
        assert_eq!(
            code(AlternateCall, &["C2", "C1"], &consulting),
            Some(InvalidObjectState)
        );
        // One consultation at a time.
        assert_eq!(
            code(TransferInitiate, &["C2"], &consulting),
            Some(ConfAlreadyPresent)
        );
        assert_eq!(
            code(ConferenceInitiate, &["C1"], &consulting),
            Some(ConfAlreadyPresent)
        );
        // A second call that only rings does not count.
        let ringing = agent(&[("C1", Connected), ("C2", Alerting)]);
        assert_eq!(code(TransferInitiate, &["C1"], &ringing), None);
    }

    #[test]
    fn agent_functions_by_the_agent_state() {
        use Function::*;
        let mut view = agent(&[]);
        assert_eq!(code(AgentReady, &[], &view), None);
        assert_eq!(code(AgentNotReady, &[], &view), Some(InSameState));
        let lunch = Action {
            reason: Some("Lunch"),
            ..Action::new(AgentNotReady, &[])
        };
        assert!(allows(lunch, &view), "another reason is a change");
        assert_eq!(code(CompleteWrapUp, &[], &view), Some(InvalidObjectState));
        view.ready = true;
        assert_eq!(code(AgentReady, &[], &view), Some(InSameState));
        assert_eq!(code(AgentNotReady, &[], &view), None);
        view.ready = false;
        view.in_wrap_up = true;
        assert_eq!(code(CompleteWrapUp, &[], &view), None);
        assert_eq!(code(AgentReady, &[], &view), None);
        assert_eq!(code(AgentNotReady, &[], &view), None);
        // Logging out and dialling need the line free.
        let talking = agent(&[("C1", Connected)]);
        assert_eq!(code(Logout, &[], &talking), Some(InvalidObjectState));
        assert_eq!(code(MakeCall, &[], &talking), Some(InvalidObjectState));
        let holding = agent(&[("C1", Held)]);
        assert_eq!(code(MakeCall, &[], &holding), None);
        assert_eq!(code(Logout, &[], &holding), Some(InvalidObjectState));
        assert_eq!(code(Logout, &[], &agent(&[])), None);
    }

    #[test]
    fn logged_out_agents_can_only_log_in() {
        let mut view = agent(&[]);
        view.logged_in = false;
        for f in Function::ALL {
            let expected = (f != Function::Login).then_some(AgentNotLoggedIn);
            assert_eq!(code(f, &[], &view), expected, "{f:?}");
        }
    }

    #[test]
    fn the_mode_comes_before_the_state() {
        let mut view = agent(&[("C1", Connected)]);
        view.mode = TelephonyMode::AgentState;
        // Holding a connected call would be fine in full mode.
        assert_eq!(code(Function::HoldCall, &["C1"], &view), Some(NotSupported));
        assert_eq!(
            code(Function::AnswerCall, &["nope"], &view),
            Some(NotSupported)
        );
        assert_eq!(code(Function::AgentReady, &[], &view), None);
        view.mode = TelephonyMode::Simple;
        assert_eq!(code(Function::AgentReady, &[], &view), Some(NotSupported));
    }

    #[test]
    fn recording_controls_need_a_recording_in_the_other_state() {
        use Function::*;
        use RecordingState::*;
        let on = |recording| {
            let mut view = agent(&[("C1", Connected)]);
            view.calls[0].recording = recording;
            view
        };
        assert_eq!(code(PauseRecording, &["C1"], &on(Some(Active))), None);
        assert_eq!(code(ResumeRecording, &["C1"], &on(Some(Paused))), None);
        assert_eq!(
            code(PauseRecording, &["C1"], &on(Some(Paused))),
            Some(InSameState)
        );
        assert_eq!(
            code(ResumeRecording, &["C1"], &on(Some(Active))),
            Some(InSameState)
        );
        for f in [PauseRecording, ResumeRecording] {
            assert_eq!(code(f, &["C1"], &on(None)), Some(InvalidObjectState));
            assert_eq!(
                code(f, &["C9"], &on(Some(Active))),
                Some(InvalidObjectState)
            );
            let mut ringing = on(Some(Active));
            ringing.calls[0].state = Alerting;
            assert_eq!(code(f, &["C1"], &ringing), Some(InvalidObjectState));
            let mut held = on(Some(Active));
            held.calls[0].state = Held;
            assert!(code(f, &["C1"], &held) != Some(InvalidObjectState));
        }
    }

    #[test]
    fn engaged_and_line_holding_states() {
        assert!(Connected.is_engaged() && Held.is_engaged() && Initiated.is_engaged());
        assert!(!Alerting.is_engaged() && !Ended.is_engaged());
        assert!(Connected.holds_line() && Initiated.holds_line());
        assert!(!Held.holds_line());
        assert_eq!(CallStateName::Retrieved.call_state(), Connected);
        assert_eq!(CallStateName::Abandoned.call_state(), Ended);
    }
}
