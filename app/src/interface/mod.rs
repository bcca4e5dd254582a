//! The OpenCTI Desktop Interface: the fixed set of functions the panel (and
//! `window.OpenCTI`, and postMessage) calls. It checks locally that an action
//! is allowed now — capabilities and telephony mode first, then the agent's
//! and the call's state, with the same tables as the switch — so a bad click
//! never reaches the wire, then hands the call to the active Implementation.

pub mod request;
pub mod store;

pub use request::Request;
pub use store::Store;

use crate::protocol::{
    ErrorCode, OpenCtiError,
    events::{AgentState, CallStateName},
    functions::{Function, check_call_action},
    native::ConnectionState,
    validate,
};

/// What an Implementation says about itself (`getCapabilities()`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Declaration {
    /// e.g. `reference` or the integrator's name.
    pub implementation: String,
    pub version: String,
    /// JavaScript names of the functions it supports.
    pub capabilities: Vec<String>,
}

impl Declaration {
    pub fn supports(&self, function: Function) -> bool {
        self.capabilities.iter().any(|c| c == function.js_name())
    }
}

/// The agent's connection state on a call, as the store knows it.
pub fn connection_state(state: CallStateName) -> ConnectionState {
    match state {
        CallStateName::Alerting => ConnectionState::Alerting,
        CallStateName::Initiated => ConnectionState::Initiated,
        CallStateName::Held => ConnectionState::Held,
        CallStateName::Established | CallStateName::Connected | CallStateName::Retrieved => {
            ConnectionState::Connected
        }
        CallStateName::Disconnected | CallStateName::Abandoned => ConnectionState::Failed,
    }
}

/// Whether `function` may be offered at all: the implementation supports it
/// and the agent's telephony mode allows it. The panel hides what fails this.
pub fn offered(store: &Store, declaration: &Declaration, function: Function) -> bool {
    declaration.supports(function) && (!store.logged_in() || store.telephony_mode.allows(function))
}

/// The Interface's local check of a request against the store. The mode and
/// capability check comes first, whatever the arguments and states.
pub fn check(
    store: &Store,
    declaration: &Declaration,
    request: &Request,
) -> Result<(), OpenCtiError> {
    let function = request.function();
    if !declaration.supports(function) {
        return Err(OpenCtiError::new(
            ErrorCode::NotSupported,
            format!(
                "the {} implementation does not support {}",
                declaration.implementation,
                function.js_name()
            ),
        ));
    }
    if store.logged_in() {
        store.telephony_mode.check(function)?;
    } else if function != Function::Login {
        return Err(OpenCtiError::new(
            ErrorCode::AgentNotLoggedIn,
            "log in first",
        ));
    }
    match request {
        Request::MakeCall {
            destination,
            options,
        }
        | Request::BlindTransfer {
            destination,
            options,
            ..
        }
        | Request::TransferInitiate {
            destination,
            options,
            ..
        }
        | Request::ConferenceInitiate {
            destination,
            options,
            ..
        } => {
            validate::destination(destination)?;
            if let Some(data) = &options.user_data {
                validate::user_data(data)?;
            }
        }
        Request::SendDtmf { digits, .. } => validate::dtmf(digits)?,
        Request::AgentReady { .. } if store.agent_state == AgentState::Ready => {
            return Err(OpenCtiError::new(
                ErrorCode::InSameState,
                "you are already ready",
            ));
        }
        Request::CompleteWrapUp { .. } if !store.in_wrap_up() => {
            return Err(OpenCtiError::invalid_state(
                "you are not in after-call work",
            ));
        }
        _ => {}
    }
    for (call_id, rule) in request.calls() {
        let state = store
            .call(call_id)
            .map(|c| connection_state(c.call_state))
            .ok_or_else(|| {
                OpenCtiError::invalid_state(format!(
                    "there is no call {call_id} on extension {}",
                    store.this_dn
                ))
            })?;
        if rule == Function::TransferComplete {
            if !matches!(state, ConnectionState::Connected | ConnectionState::Held) {
                return Err(OpenCtiError::invalid_state(format!(
                    "cannot complete with call {call_id}: it is {}",
                    state.as_str()
                )));
            }
        } else {
            check_call_action(rule, call_id, state)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{events::OpenCtiEvent, functions::TelephonyMode};
    use serde_json::json;

    fn full() -> Declaration {
        Declaration {
            implementation: "test".into(),
            version: "1".into(),
            capabilities: Function::ALL
                .iter()
                .map(|f| f.js_name().to_string())
                .collect(),
        }
    }

    fn store(mode: &str, calls: serde_json::Value) -> Store {
        let mut store = Store::default();
        let snapshot: OpenCtiEvent = serde_json::from_value(json!({
            "pyEventType": "SnapshotEvent", "pyEventName": "Snapshot", "pyAgentId": "1001",
            "pyAgentState": "Ready", "pyWorkMode": "MODE_AUTO_IN", "pyReasonCode": "",
            "pyDeviceState": "OPENED", "pyLinkState": "CONNECTED", "pyThisDN": "2001",
            "pyTelephonyMode": mode, "pyCalls": calls}))
        .unwrap();
        store.apply(&snapshot);
        store
    }

    fn req(name: &str, args: serde_json::Value) -> Request {
        Request::from_args(name, &args).unwrap()
    }

    #[test]
    fn capability_and_mode_come_before_everything_else() {
        let simple = store("simple", json!([]));
        let err = check(
            &simple,
            &full(),
            &req("holdCall", json!({"callId": "nope"})),
        )
        .unwrap_err();
        assert_eq!(err.err_code, ErrorCode::NotSupported);
        let mut no_conference = full();
        no_conference
            .capabilities
            .retain(|c| c != "conferenceInitiate");
        let err = check(
            &Store::default(),
            &no_conference,
            &req(
                "conferenceInitiate",
                json!({"callId": "x", "destination": "!"}),
            ),
        )
        .unwrap_err();
        assert_eq!(
            err.err_code,
            ErrorCode::NotSupported,
            "even logged out, with bad arguments"
        );
        assert!(!offered(&simple, &full(), Function::AgentReady));
        assert!(offered(
            &store("agent-state", json!([])),
            &full(),
            Function::AgentNotReady
        ));
        assert_eq!(simple.telephony_mode, TelephonyMode::Simple);
    }

    #[test]
    fn states_are_checked_with_the_switch_tables() {
        let s = store(
            "full",
            json!([{"pyCallId": "C1", "pyCallState": "Alerting", "pyCallType": "INBOUND", "pyANI": "1",
                    "pyDNIS": "5000", "pyOtherDN": "1", "pyParties": [], "pyUserData": {}}]),
        );
        assert!(check(&s, &full(), &req("answerCall", json!({"callId": "C1"}))).is_ok());
        for (name, args) in [
            ("holdCall", json!({"callId": "C1"})),
            ("holdCall", json!({"callId": "C2"})),
            ("sendDTMF", json!({"callId": "C1", "digits": "1"})),
            ("completeWrapUp", json!({})),
        ] {
            let err = check(&s, &full(), &req(name, args)).unwrap_err();
            assert_eq!(err.err_code, ErrorCode::InvalidObjectState, "{name}");
        }
        let err = check(&s, &full(), &req("agentReady", json!({}))).unwrap_err();
        assert_eq!(err.err_code, ErrorCode::InSameState);
        let err = check(&s, &full(), &req("makeCall", json!({"destination": "abc"}))).unwrap_err();
        assert_eq!(err.err_code, ErrorCode::InvalidDestination);
        let err = check(&Store::default(), &full(), &req("agentReady", json!({}))).unwrap_err();
        assert_eq!(err.err_code, ErrorCode::AgentNotLoggedIn);
    }
}
