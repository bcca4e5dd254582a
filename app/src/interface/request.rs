//! A call of an Interface function with its arguments, read from the
//! `args` object of postMessage (keyed by the parameter names of DESIGN.md
//! §2) or from the positional arguments of `window.OpenCTI.<fn>(…)`.

use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::opencti::{OpenCtiError, UserData, events::WorkMode, functions::Function};

/// `options` of functions that dial: data to attach to the call.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallOptions {
    #[serde(default)]
    pub user_data: Option<UserData>,
}

/// `options` of `login`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginOptions {
    #[serde(default)]
    pub telephony_mode: Option<String>,
}

/// One Interface call, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Login {
        agent_id: String,
        password: String,
        extension: Option<String>,
        options: LoginOptions,
    },
    Logout {
        reason_code: Option<String>,
    },
    AgentReady {
        work_mode: Option<WorkMode>,
    },
    AgentNotReady {
        work_mode: Option<WorkMode>,
        reason_code: Option<String>,
    },
    MakeCall {
        destination: String,
        options: CallOptions,
    },
    AnswerCall {
        call_id: String,
    },
    RejectCall {
        call_id: String,
    },
    HangUpCall {
        call_id: String,
    },
    HoldCall {
        call_id: String,
    },
    RetrieveCall {
        call_id: String,
    },
    SendDtmf {
        call_id: String,
        digits: String,
    },
    BlindTransfer {
        call_id: String,
        destination: String,
        options: CallOptions,
    },
    TransferInitiate {
        call_id: String,
        destination: String,
        options: CallOptions,
    },
    TransferComplete {
        held_call_id: String,
        consult_call_id: String,
    },
    ConferenceInitiate {
        call_id: String,
        destination: String,
        options: CallOptions,
    },
    ConferenceComplete {
        held_call_id: String,
        consult_call_id: String,
    },
    DropParty {
        call_id: String,
        party: String,
    },
    AlternateCall {
        held_call_id: String,
        active_call_id: String,
    },
    CompleteWrapUp {
        disposition: Option<String>,
        /// Free text about the call, kept with its record.
        note: Option<String>,
    },
    GetDirectory,
    PauseRecording {
        call_id: String,
    },
    ResumeRecording {
        call_id: String,
    },
}

/// The parameter names of each function, in JavaScript order.
pub fn parameters(function: Function) -> &'static [&'static str] {
    use Function::*;
    match function {
        Login => &["agentId", "password", "extension", "options"],
        Logout => &["agentId", "reasonCode"],
        AgentReady => &["agentId", "workMode"],
        AgentNotReady => &["agentId", "workMode", "reasonCode"],
        MakeCall => &["destination", "options"],
        AnswerCall | RejectCall | HangUpCall | HoldCall | RetrieveCall | PauseRecording
        | ResumeRecording => &["callId"],
        SendDtmf => &["callId", "digits"],
        BlindTransfer | TransferInitiate | ConferenceInitiate => {
            &["callId", "destination", "options"]
        }
        TransferComplete | ConferenceComplete => &["heldCallId", "consultCallId"],
        AlternateCall => &["heldCallId", "activeCallId"],
        DropParty => &["callId", "party"],
        CompleteWrapUp => &["disposition", "note"],
        GetDirectory => &[],
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginArgs {
    agent_id: String,
    password: String,
    #[serde(default)]
    extension: Option<String>,
    #[serde(default)]
    options: Option<LoginOptions>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AgentArgs {
    #[serde(default)]
    work_mode: Option<WorkMode>,
    #[serde(default)]
    reason_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallIdArgs {
    call_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DialArgs {
    #[serde(default)]
    call_id: Option<String>,
    destination: String,
    #[serde(default)]
    options: Option<CallOptions>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DigitsArgs {
    call_id: String,
    digits: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PairArgs {
    held_call_id: String,
    #[serde(alias = "activeCallId")]
    consult_call_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DropArgs {
    call_id: String,
    party: String,
}

#[derive(Deserialize)]
struct WrapUpArgs {
    #[serde(default)]
    disposition: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

fn read<T: DeserializeOwned>(
    function: Function,
    args: &Map<String, Value>,
) -> Result<T, OpenCtiError> {
    // `null` counts as left out.
    let args: Map<String, Value> = args
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_json::from_value(Value::Object(args))
        .map_err(|e| OpenCtiError::bad_request(format!("{}: {e}", function.js_name())))
}

fn required_call(function: Function, call_id: Option<String>) -> Result<String, OpenCtiError> {
    call_id.ok_or_else(|| {
        OpenCtiError::bad_request(format!("{}: missing field `callId`", function.js_name()))
    })
}

impl Request {
    /// Reads a host page's postMessage command (DESIGN.md §9):
    /// `opencti:call` `{fn, args}` or `opencti:clickToDial` `{number}`.
    /// Anything else is `OPENCTI_BAD_REQUEST` with a message saying why.
    pub fn from_host_message(message: &Value) -> Result<Self, OpenCtiError> {
        match message.get("type").and_then(Value::as_str) {
            Some("opencti:call") => {
                let name = message.get("fn").and_then(Value::as_str).ok_or_else(|| {
                    OpenCtiError::bad_request(
                        "opencti:call needs \"fn\", the name of an Interface function",
                    )
                })?;
                Self::from_args(name, message.get("args").unwrap_or(&Value::Null))
            }
            Some("opencti:clickToDial") => {
                let number = message
                    .get("number")
                    .and_then(Value::as_str)
                    .filter(|n| !n.trim().is_empty())
                    .ok_or_else(|| {
                        OpenCtiError::bad_request("opencti:clickToDial needs a \"number\"")
                    })?;
                Ok(Self::MakeCall {
                    destination: crate::opencti::validate::destination(number)?,
                    options: CallOptions::default(),
                })
            }
            Some(other) => Err(OpenCtiError::bad_request(format!(
                "unknown message type {other:?}"
            ))),
            None => Err(OpenCtiError::bad_request("a message needs a \"type\"")),
        }
    }

    /// Reads a call from the function's JavaScript name and an `args` object
    /// (`null` or absent counts as `{}`). Unknown functions, `args` that is
    /// not an object and missing required arguments are `OPENCTI_BAD_REQUEST`.
    pub fn from_args(name: &str, args: &Value) -> Result<Self, OpenCtiError> {
        let function = Function::from_js_name(name)
            .ok_or_else(|| OpenCtiError::bad_request(format!("unknown function {name:?}")))?;
        let empty = Map::new();
        let args = match args {
            Value::Object(map) => map,
            Value::Null => &empty,
            _ => {
                return Err(OpenCtiError::bad_request(format!(
                    "{name}: args must be an object"
                )));
            }
        };
        use Function as F;
        Ok(match function {
            F::Login => {
                let a: LoginArgs = read(function, args)?;
                Self::Login {
                    agent_id: a.agent_id,
                    password: a.password,
                    extension: a.extension.filter(|e| !e.is_empty()),
                    options: a.options.unwrap_or_default(),
                }
            }
            F::Logout => Self::Logout {
                reason_code: read::<AgentArgs>(function, args)?.reason_code,
            },
            F::AgentReady => Self::AgentReady {
                work_mode: read::<AgentArgs>(function, args)?.work_mode,
            },
            F::AgentNotReady => {
                let a: AgentArgs = read(function, args)?;
                Self::AgentNotReady {
                    work_mode: a.work_mode,
                    reason_code: a.reason_code,
                }
            }
            F::AnswerCall
            | F::RejectCall
            | F::HangUpCall
            | F::HoldCall
            | F::RetrieveCall
            | F::PauseRecording
            | F::ResumeRecording => {
                let call_id = read::<CallIdArgs>(function, args)?.call_id;
                match function {
                    F::AnswerCall => Self::AnswerCall { call_id },
                    F::RejectCall => Self::RejectCall { call_id },
                    F::HangUpCall => Self::HangUpCall { call_id },
                    F::HoldCall => Self::HoldCall { call_id },
                    F::PauseRecording => Self::PauseRecording { call_id },
                    F::ResumeRecording => Self::ResumeRecording { call_id },
                    _ => Self::RetrieveCall { call_id },
                }
            }
            F::MakeCall | F::BlindTransfer | F::TransferInitiate | F::ConferenceInitiate => {
                let a: DialArgs = read(function, args)?;
                let options = a.options.unwrap_or_default();
                let destination = a.destination;
                match function {
                    F::MakeCall => Self::MakeCall {
                        destination,
                        options,
                    },
                    F::BlindTransfer => Self::BlindTransfer {
                        call_id: required_call(function, a.call_id)?,
                        destination,
                        options,
                    },
                    F::TransferInitiate => Self::TransferInitiate {
                        call_id: required_call(function, a.call_id)?,
                        destination,
                        options,
                    },
                    _ => Self::ConferenceInitiate {
                        call_id: required_call(function, a.call_id)?,
                        destination,
                        options,
                    },
                }
            }
            F::SendDtmf => {
                let a: DigitsArgs = read(function, args)?;
                Self::SendDtmf {
                    call_id: a.call_id,
                    digits: a.digits,
                }
            }
            F::TransferComplete | F::ConferenceComplete | F::AlternateCall => {
                let a: PairArgs = read(function, args)?;
                match function {
                    F::TransferComplete => Self::TransferComplete {
                        held_call_id: a.held_call_id,
                        consult_call_id: a.consult_call_id,
                    },
                    F::ConferenceComplete => Self::ConferenceComplete {
                        held_call_id: a.held_call_id,
                        consult_call_id: a.consult_call_id,
                    },
                    _ => Self::AlternateCall {
                        held_call_id: a.held_call_id,
                        active_call_id: a.consult_call_id,
                    },
                }
            }
            F::DropParty => {
                let a: DropArgs = read(function, args)?;
                Self::DropParty {
                    call_id: a.call_id,
                    party: a.party,
                }
            }
            F::CompleteWrapUp => {
                let a: WrapUpArgs = read(function, args)?;
                Self::CompleteWrapUp {
                    disposition: a.disposition,
                    note: a.note,
                }
            }
            F::GetDirectory => Self::GetDirectory,
        })
    }

    /// Reads a call from positional JavaScript arguments (`undefined` and
    /// `null` count as left out).
    pub fn from_positional(name: &str, values: Vec<Value>) -> Result<Self, OpenCtiError> {
        let function = Function::from_js_name(name)
            .ok_or_else(|| OpenCtiError::bad_request(format!("unknown function {name:?}")))?;
        let args: Map<String, Value> = parameters(function)
            .iter()
            .zip(values)
            .map(|(name, value)| (name.to_string(), value))
            .collect();
        Self::from_args(name, &Value::Object(args))
    }

    /// The Interface function this call is.
    pub fn function(&self) -> Function {
        use Function as F;
        match self {
            Self::Login { .. } => F::Login,
            Self::Logout { .. } => F::Logout,
            Self::AgentReady { .. } => F::AgentReady,
            Self::AgentNotReady { .. } => F::AgentNotReady,
            Self::MakeCall { .. } => F::MakeCall,
            Self::AnswerCall { .. } => F::AnswerCall,
            Self::RejectCall { .. } => F::RejectCall,
            Self::HangUpCall { .. } => F::HangUpCall,
            Self::HoldCall { .. } => F::HoldCall,
            Self::RetrieveCall { .. } => F::RetrieveCall,
            Self::SendDtmf { .. } => F::SendDtmf,
            Self::BlindTransfer { .. } => F::BlindTransfer,
            Self::TransferInitiate { .. } => F::TransferInitiate,
            Self::TransferComplete { .. } => F::TransferComplete,
            Self::ConferenceInitiate { .. } => F::ConferenceInitiate,
            Self::ConferenceComplete { .. } => F::ConferenceComplete,
            Self::DropParty { .. } => F::DropParty,
            Self::AlternateCall { .. } => F::AlternateCall,
            Self::CompleteWrapUp { .. } => F::CompleteWrapUp,
            Self::GetDirectory => F::GetDirectory,
            Self::PauseRecording { .. } => F::PauseRecording,
            Self::ResumeRecording { .. } => F::ResumeRecording,
        }
    }

    /// The call ids among the arguments, in parameter order (what the
    /// [rules](crate::opencti::rules) check).
    pub fn call_ids(&self) -> Vec<&str> {
        match self {
            Self::AnswerCall { call_id }
            | Self::RejectCall { call_id }
            | Self::HangUpCall { call_id }
            | Self::HoldCall { call_id }
            | Self::RetrieveCall { call_id }
            | Self::PauseRecording { call_id }
            | Self::ResumeRecording { call_id }
            | Self::SendDtmf { call_id, .. }
            | Self::BlindTransfer { call_id, .. }
            | Self::TransferInitiate { call_id, .. }
            | Self::ConferenceInitiate { call_id, .. }
            | Self::DropParty { call_id, .. } => vec![call_id],
            Self::TransferComplete {
                held_call_id,
                consult_call_id,
            }
            | Self::ConferenceComplete {
                held_call_id,
                consult_call_id,
            } => vec![held_call_id, consult_call_id],
            Self::AlternateCall {
                held_call_id,
                active_call_id,
            } => vec![held_call_id, active_call_id],
            _ => vec![],
        }
    }

    /// `reasonCode` of `agentNotReady`.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::AgentNotReady { reason_code, .. } => reason_code.as_deref(),
            _ => None,
        }
    }

    /// The number and options of a call that dials.
    pub fn dial(&self) -> Option<(&str, &CallOptions)> {
        match self {
            Self::MakeCall {
                destination,
                options,
            }
            | Self::BlindTransfer {
                destination,
                options,
                ..
            }
            | Self::TransferInitiate {
                destination,
                options,
                ..
            }
            | Self::ConferenceInitiate {
                destination,
                options,
                ..
            } => Some((destination, options)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opencti::ErrorCode;
    use serde_json::json;

    #[test]
    fn every_function_reads_its_documented_arguments() {
        let cases = [
            (
                "login",
                json!({"agentId": "1001", "password": "demo", "extension": "2001"}),
            ),
            ("logout", json!({})),
            ("agentReady", json!(null)),
            ("agentNotReady", json!({"reasonCode": "Lunch"})),
            (
                "makeCall",
                json!({"destination": "+15559990000", "options": {"userData": {"k": "v"}}}),
            ),
            ("answerCall", json!({"callId": "C1"})),
            ("rejectCall", json!({"callId": "C1"})),
            ("hangUpCall", json!({"callId": "C1"})),
            ("holdCall", json!({"callId": "C1"})),
            ("retrieveCall", json!({"callId": "C1"})),
            ("sendDTMF", json!({"callId": "C1", "digits": "12"})),
            (
                "blindTransfer",
                json!({"callId": "C1", "destination": "5001"}),
            ),
            (
                "transferInitiate",
                json!({"callId": "C1", "destination": "2002"}),
            ),
            (
                "transferComplete",
                json!({"heldCallId": "C1", "consultCallId": "C2"}),
            ),
            (
                "conferenceInitiate",
                json!({"callId": "C1", "destination": "2002"}),
            ),
            (
                "conferenceComplete",
                json!({"heldCallId": "C1", "consultCallId": "C2"}),
            ),
            ("dropParty", json!({"callId": "C1", "party": "2002"})),
            (
                "alternateCall",
                json!({"heldCallId": "C1", "activeCallId": "C2"}),
            ),
            ("completeWrapUp", json!({"disposition": "sale"})),
            ("getDirectory", json!({})),
            ("pauseRecording", json!({"callId": "C1"})),
            ("resumeRecording", json!({"callId": "C1"})),
        ];
        assert_eq!(cases.len(), Function::ALL.len());
        for (name, args) in cases {
            let request = Request::from_args(name, &args).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(request.function().js_name(), name);
        }
    }

    #[test]
    fn missing_arguments_unknown_functions_and_non_objects_are_bad_requests() {
        for (name, args) in [
            ("login", json!({"agentId": "1001"})),
            ("answerCall", json!({})),
            ("blindTransfer", json!({"destination": "5001"})),
            ("sendDTMF", json!({"callId": "C1"})),
            ("alternateCall", json!({"heldCallId": "C1"})),
            ("explode", json!({})),
            ("holdCall", json!("C1")),
            ("holdCall", json!({"callId": 7})),
        ] {
            let err = Request::from_args(name, &args).unwrap_err();
            assert_eq!(err.err_code, ErrorCode::BadRequest, "{name} {args}");
        }
    }

    #[test]
    fn positional_arguments_follow_the_documented_order() {
        let request = Request::from_positional(
            "login",
            vec![
                json!("1001"),
                json!("demo"),
                Value::Null,
                json!({"telephonyMode": "simple"}),
            ],
        )
        .unwrap();
        assert_eq!(
            request,
            Request::Login {
                agent_id: "1001".into(),
                password: "demo".into(),
                extension: None,
                options: LoginOptions {
                    telephony_mode: Some("simple".into())
                },
            }
        );
        let swap =
            Request::from_positional("alternateCall", vec![json!("C1"), json!("C2")]).unwrap();
        assert_eq!(
            swap,
            Request::AlternateCall {
                held_call_id: "C1".into(),
                active_call_id: "C2".into()
            }
        );
    }
}
