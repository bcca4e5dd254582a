//! The OpenCTI Desktop Interface's functions, the telephony modes that gate
//! them, and what an Implementation declares about itself. Which state allows
//! which function is [`super::rules`].

use serde::{Deserialize, Serialize};

use super::{ErrorCode, OpenCtiError};

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
    GetDirectory,
    PauseRecording,
    ResumeRecording,
}

impl Function {
    /// Every function, in DESIGN.md order (then the recording controls,
    /// which DESIGN.md §2 does not list).
    pub const ALL: [Function; 22] = [
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
        Self::GetDirectory,
        Self::PauseRecording,
        Self::ResumeRecording,
    ];

    /// The JavaScript name (`window.OpenCTI.<name>`, postMessage `fn`).
    pub fn js_name(self) -> &'static str {
        NAMES[self as usize].1
    }

    /// How the function reads in an error message ("cannot hold call C1").
    pub fn verb(self) -> &'static str {
        NAMES[self as usize].2
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
    /// Notifications only: calls and availability are handled elsewhere
    /// (the agent can still log out, as in every mode).
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
            Self::Simple => matches!(function, Login | Logout),
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

/// Each function's JavaScript name and its verb in error messages, in
/// declaration order (indexed by the enum's discriminant).
const NAMES: [(Function, &str, &str); 22] = [
    (Function::Login, "login", "log in"),
    (Function::Logout, "logout", "log out"),
    (Function::AgentReady, "agentReady", "go ready"),
    (Function::AgentNotReady, "agentNotReady", "go not ready"),
    (Function::MakeCall, "makeCall", "dial"),
    (Function::AnswerCall, "answerCall", "answer"),
    (Function::RejectCall, "rejectCall", "reject"),
    (Function::HangUpCall, "hangUpCall", "hang up"),
    (Function::HoldCall, "holdCall", "hold"),
    (Function::RetrieveCall, "retrieveCall", "retrieve"),
    (Function::SendDtmf, "sendDTMF", "send digits on"),
    (Function::BlindTransfer, "blindTransfer", "transfer"),
    (Function::TransferInitiate, "transferInitiate", "consult on"),
    (
        Function::TransferComplete,
        "transferComplete",
        "complete the transfer of",
    ),
    (
        Function::ConferenceInitiate,
        "conferenceInitiate",
        "conference from",
    ),
    (
        Function::ConferenceComplete,
        "conferenceComplete",
        "complete the conference of",
    ),
    (Function::DropParty, "dropParty", "drop a party from"),
    (Function::AlternateCall, "alternateCall", "swap"),
    (Function::CompleteWrapUp, "completeWrapUp", "finish wrap-up"),
    (Function::GetDirectory, "getDirectory", "list the directory"),
    (
        Function::PauseRecording,
        "pauseRecording",
        "pause the recording of",
    ),
    (
        Function::ResumeRecording,
        "resumeRecording",
        "resume the recording of",
    ),
];

/// The capability of an Implementation that reports which calls are
/// recorded (`pyRecording`) and can pause their recording.
pub const RECORDING_CAPABILITY: &str = "recording";

/// What an Implementation says about itself: `getCapabilities()` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Declaration {
    /// e.g. `reference` or the integrator's name.
    pub implementation: String,
    pub version: String,
    /// JavaScript names of the functions it supports (and `audio` and the
    /// like for features beyond the functions).
    pub capabilities: Vec<String>,
}

impl Declaration {
    /// An Implementation that supports every Interface function.
    pub fn every_function(implementation: &str, version: &str) -> Self {
        Self {
            implementation: implementation.into(),
            version: version.into(),
            capabilities: Function::ALL
                .iter()
                .map(|f| f.js_name().to_string())
                .collect(),
        }
    }

    /// No Implementation yet: nothing is supported.
    pub fn none() -> Self {
        Self {
            implementation: "none".into(),
            version: String::new(),
            capabilities: vec![],
        }
    }

    pub fn supports(&self, function: Function) -> bool {
        self.capabilities.iter().any(|c| c == function.js_name())
    }

    /// `OPENCTI_NOT_SUPPORTED` unless the Implementation supports `function`.
    pub fn check(&self, function: Function) -> Result<(), OpenCtiError> {
        if self.supports(function) {
            Ok(())
        } else {
            Err(OpenCtiError::new(
                ErrorCode::NotSupported,
                format!(
                    "the {} implementation does not support {}",
                    self.implementation,
                    function.js_name()
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_names_round_trip() {
        for (i, f) in Function::ALL.into_iter().enumerate() {
            assert_eq!(NAMES[i].0, f, "the name table follows the enum");
            assert_eq!(Function::from_js_name(f.js_name()), Some(f));
        }
        assert_eq!(Function::from_js_name("sendDtmf"), None);
    }

    /// The mode × function table of DESIGN.md §9 (with §10: logout in every
    /// mode), written out in full.
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
            assert_eq!(
                TelephonyMode::Simple.allows(f),
                f == Login || f == Logout,
                "simple {f:?}"
            );
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
}
