//! The OpenCTI Desktop Interface's functions, the telephony modes that gate
//! them, and the rules that say which action a call or agent state allows.
//! The Interface, the panel and the switch all read these tables: one
//! definition, so a button is never offered for an action the switch refuses.

use serde::{Deserialize, Serialize};

use super::{ErrorCode, OpenCtiError, native::ConnectionState};

/// One function of the OpenCTI Desktop Interface (DESIGN.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    Login,
    Logout,
    AgentReady,
    AgentNotReady,
    MakeCall,
    AnswerCall,
    RejectCall,
    HangUpCall,
    HoldCall,
    RetrieveCall,
    SendDtmf,
    BlindTransfer,
    TransferInitiate,
    TransferComplete,
    ConferenceInitiate,
    ConferenceComplete,
    DropParty,
    AlternateCall,
    CompleteWrapUp,
}

impl Function {
    /// Every function, in DESIGN.md order.
    pub const ALL: [Function; 19] = [
        Self::Login,
        Self::Logout,
        Self::AgentReady,
        Self::AgentNotReady,
        Self::MakeCall,
        Self::AnswerCall,
        Self::RejectCall,
        Self::HangUpCall,
        Self::HoldCall,
        Self::RetrieveCall,
        Self::SendDtmf,
        Self::BlindTransfer,
        Self::TransferInitiate,
        Self::TransferComplete,
        Self::ConferenceInitiate,
        Self::ConferenceComplete,
        Self::DropParty,
        Self::AlternateCall,
        Self::CompleteWrapUp,
    ];

    /// The JavaScript name (`window.OpenCTI.<name>`, postMessage `fn`).
    pub fn js_name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Logout => "logout",
            Self::AgentReady => "agentReady",
            Self::AgentNotReady => "agentNotReady",
            Self::MakeCall => "makeCall",
            Self::AnswerCall => "answerCall",
            Self::RejectCall => "rejectCall",
            Self::HangUpCall => "hangUpCall",
            Self::HoldCall => "holdCall",
            Self::RetrieveCall => "retrieveCall",
            Self::SendDtmf => "sendDTMF",
            Self::BlindTransfer => "blindTransfer",
            Self::TransferInitiate => "transferInitiate",
            Self::TransferComplete => "transferComplete",
            Self::ConferenceInitiate => "conferenceInitiate",
            Self::ConferenceComplete => "conferenceComplete",
            Self::DropParty => "dropParty",
            Self::AlternateCall => "alternateCall",
            Self::CompleteWrapUp => "completeWrapUp",
        }
    }

    /// The function with this JavaScript name, if any.
    pub fn from_js_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.js_name() == name)
    }
}

/// Pega Call's telephony modes: how much of the phone the panel controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TelephonyMode {
    /// Notifications only: calls and availability are handled elsewhere.
    Simple,
    /// Notifications plus the agent's own state (ready, not ready, log out).
    AgentState,
    /// Everything.
    #[default]
    Full,
}

impl TelephonyMode {
    /// The wire spelling (`simple`, `agent-state`, `full`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simple => "simple",
            Self::AgentState => "agent-state",
            Self::Full => "full",
        }
    }

    /// Parses the wire spelling; anything else is `OPENCTI_BAD_REQUEST`.
    pub fn parse(s: &str) -> Result<Self, OpenCtiError> {
        match s {
            "simple" => Ok(Self::Simple),
            "agent-state" => Ok(Self::AgentState),
            "full" => Ok(Self::Full),
            other => Err(OpenCtiError::bad_request(format!(
                "unknown telephony mode {other:?}: use \"simple\", \"agent-state\" or \"full\""
            ))),
        }
    }

    /// Whether this mode lets the agent use `function`.
    pub fn allows(self, function: Function) -> bool {
        use Function::*;
        match self {
            Self::Full => true,
            Self::AgentState => matches!(
                function,
                Login | Logout | AgentReady | AgentNotReady | CompleteWrapUp
            ),
            Self::Simple => function == Login,
        }
    }

    /// `OPENCTI_NOT_SUPPORTED` unless this mode allows `function`.
    pub fn check(self, function: Function) -> Result<(), OpenCtiError> {
        if self.allows(function) {
            Ok(())
        } else {
            Err(OpenCtiError::new(
                ErrorCode::NotSupported,
                format!(
                    "{} is not available in the {} telephony mode",
                    function.js_name(),
                    self.as_str()
                ),
            ))
        }
    }
}

/// What a function needs of the agent's own connection to the call it names.
/// `None` for functions that do not act on one call.
pub fn required_connection_states(function: Function) -> Option<&'static [ConnectionState]> {
    use ConnectionState::*;
    Some(match function {
        Function::AnswerCall | Function::RejectCall => &[Alerting],
        Function::HangUpCall => &[Initiated, Connected, Held],
        Function::HoldCall | Function::SendDtmf | Function::DropParty => &[Connected],
        Function::RetrieveCall => &[Held],
        Function::BlindTransfer | Function::TransferInitiate | Function::ConferenceInitiate => {
            &[Connected, Held]
        }
        _ => return None,
    })
}

/// Checks that the agent's connection in `state` allows `function` on that
/// call; the error names the call so the agent knows which one.
pub fn check_call_action(
    function: Function,
    call_id: &str,
    state: ConnectionState,
) -> Result<(), OpenCtiError> {
    match required_connection_states(function) {
        Some(allowed) if !allowed.contains(&state) => Err(OpenCtiError::invalid_state(format!(
            "cannot {} call {call_id}: it is {}",
            verb(function),
            state.as_str()
        ))),
        _ => Ok(()),
    }
}

/// How a function reads in an error message ("cannot hold call C1").
pub fn verb(function: Function) -> &'static str {
    match function {
        Function::Login => "log in",
        Function::Logout => "log out",
        Function::AgentReady => "go ready",
        Function::AgentNotReady => "go not ready",
        Function::MakeCall => "dial",
        Function::AnswerCall => "answer",
        Function::RejectCall => "reject",
        Function::HangUpCall => "hang up",
        Function::HoldCall => "hold",
        Function::RetrieveCall => "retrieve",
        Function::SendDtmf => "send digits on",
        Function::BlindTransfer => "transfer",
        Function::TransferInitiate => "consult on",
        Function::TransferComplete => "complete the transfer of",
        Function::ConferenceInitiate => "conference from",
        Function::ConferenceComplete => "complete the conference of",
        Function::DropParty => "drop a party from",
        Function::AlternateCall => "swap",
        Function::CompleteWrapUp => "finish wrap-up",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_names_round_trip() {
        for f in Function::ALL {
            assert_eq!(Function::from_js_name(f.js_name()), Some(f));
        }
        assert_eq!(Function::from_js_name("sendDtmf"), None);
    }

    /// The mode × function table of DESIGN.md §9, written out in full.
    #[test]
    fn mode_table() {
        use Function::*;
        let agent_state = [Login, Logout, AgentReady, AgentNotReady, CompleteWrapUp];
        for f in Function::ALL {
            assert!(TelephonyMode::Full.allows(f), "full allows {f:?}");
            assert_eq!(
                TelephonyMode::AgentState.allows(f),
                agent_state.contains(&f),
                "agent-state {f:?}"
            );
            assert_eq!(TelephonyMode::Simple.allows(f), f == Login, "simple {f:?}");
        }
        let err = TelephonyMode::Simple.check(HoldCall).unwrap_err();
        assert_eq!(err.err_code, ErrorCode::NotSupported);
    }

    #[test]
    fn modes_parse_and_serialise_alike() {
        for mode in [
            TelephonyMode::Simple,
            TelephonyMode::AgentState,
            TelephonyMode::Full,
        ] {
            assert_eq!(TelephonyMode::parse(mode.as_str()).unwrap(), mode);
            assert_eq!(serde_json::to_value(mode).unwrap(), mode.as_str());
        }
        assert_eq!(
            TelephonyMode::parse("expert").unwrap_err().err_code,
            ErrorCode::BadRequest
        );
    }

    #[test]
    fn call_action_table() {
        use ConnectionState::*;
        let states = [Initiated, Alerting, Queued, Connected, Held, Failed];
        let expect = |f: Function, ok: &[ConnectionState]| {
            for s in states {
                let result = check_call_action(f, "C1", s);
                assert_eq!(result.is_ok(), ok.contains(&s), "{f:?} in {s:?}");
                if let Err(err) = result {
                    assert_eq!(err.err_code, ErrorCode::InvalidObjectState);
                }
            }
        };
        expect(Function::AnswerCall, &[Alerting]);
        expect(Function::RejectCall, &[Alerting]);
        expect(Function::HangUpCall, &[Initiated, Connected, Held]);
        expect(Function::HoldCall, &[Connected]);
        expect(Function::RetrieveCall, &[Held]);
        expect(Function::SendDtmf, &[Connected]);
        expect(Function::DropParty, &[Connected]);
        expect(Function::BlindTransfer, &[Connected, Held]);
        expect(Function::TransferInitiate, &[Connected, Held]);
        expect(Function::ConferenceInitiate, &[Connected, Held]);
    }
}
