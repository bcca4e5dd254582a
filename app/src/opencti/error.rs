//! OpenCTI errors: Pega Call's codes where one fits, plus a few of our own.

use std::{borrow::Cow, fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An OpenCTI error code. Codes are for code; the message beside it is for
/// people. Serialised as the `OPENCTI_…` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request needs a logged-in agent.
    AgentNotLoggedIn,
    /// The agent (or the extension) is logged in elsewhere.
    AgentLoggedIn,
    /// The switch refused the call.
    CallRejected,
    /// The destination is not a number that can be dialled.
    InvalidDestination,
    /// The call or agent is not in a state that allows the action.
    InvalidObjectState,
    /// A conference or consultation is already in progress.
    ConfAlreadyPresent,
    /// The destination is busy or unavailable.
    DestBusy,
    /// The agent is already in the requested state.
    InSameState,
    /// An HTTP-level failure (408 for a request that timed out).
    HttpError(u16),
    /// Malformed input: bad JSON, a missing argument, a value out of bounds.
    BadRequest,
    /// Wrong credentials, no session, or somebody else's call.
    Unauthorized,
    /// The link to the CTI server is down.
    LinkDown,
    /// The function is outside the agent's telephony mode or the active
    /// implementation's capabilities.
    NotSupported,
}

impl ErrorCode {
    /// The wire spelling, e.g. `OPENCTI_CF_INVALID_OBJECT_STATE`.
    pub fn as_str(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::AgentNotLoggedIn => "OPENCTI_AGENT_NOT_LOGGED_IN",
            Self::AgentLoggedIn => "OPENCTI_AGENT_LOGGED_IN",
            Self::CallRejected => "OPENCTI_CALL_REJECTED",
            Self::InvalidDestination => "OPENCTI_CF_INVALID_DESTINATION",
            Self::InvalidObjectState => "OPENCTI_CF_INVALID_OBJECT_STATE",
            Self::ConfAlreadyPresent => "OPENCTI_CONF_ALREADY_PRESENT",
            Self::DestBusy => "OPENCTI_DEST_BUSY",
            Self::InSameState => "OPENCTI_IN_SAME_STATE",
            Self::BadRequest => "OPENCTI_BAD_REQUEST",
            Self::Unauthorized => "OPENCTI_UNAUTHORIZED",
            Self::LinkDown => "OPENCTI_LINK_DOWN",
            Self::NotSupported => "OPENCTI_NOT_SUPPORTED",
            Self::HttpError(status) => return Cow::Owned(format!("OPENCTI_HTTP_ERROR_{status}")),
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "OPENCTI_AGENT_NOT_LOGGED_IN" => Self::AgentNotLoggedIn,
            "OPENCTI_AGENT_LOGGED_IN" => Self::AgentLoggedIn,
            "OPENCTI_CALL_REJECTED" => Self::CallRejected,
            "OPENCTI_CF_INVALID_DESTINATION" => Self::InvalidDestination,
            "OPENCTI_CF_INVALID_OBJECT_STATE" => Self::InvalidObjectState,
            "OPENCTI_CONF_ALREADY_PRESENT" => Self::ConfAlreadyPresent,
            "OPENCTI_DEST_BUSY" => Self::DestBusy,
            "OPENCTI_IN_SAME_STATE" => Self::InSameState,
            "OPENCTI_BAD_REQUEST" => Self::BadRequest,
            "OPENCTI_UNAUTHORIZED" => Self::Unauthorized,
            "OPENCTI_LINK_DOWN" => Self::LinkDown,
            "OPENCTI_NOT_SUPPORTED" => Self::NotSupported,
            other => {
                let status = other
                    .strip_prefix("OPENCTI_HTTP_ERROR_")
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("unknown OpenCTI error code {other:?}"))?;
                Self::HttpError(status)
            }
        })
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The error object every failed OpenCTI function returns:
/// `{"errCode": "OPENCTI_…", "errMessage": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{err_code}: {err_message}")]
pub struct OpenCtiError {
    pub err_code: ErrorCode,
    pub err_message: String,
}

impl OpenCtiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            err_code: code,
            err_message: message.into(),
        }
    }

    /// `OPENCTI_BAD_REQUEST`: the input itself is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// `OPENCTI_CF_INVALID_OBJECT_STATE`: right input, wrong moment.
    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidObjectState, message)
    }
}

/// One of each code (HTTP errors by one status), for tests across the crate.
#[cfg(test)]
pub(crate) const EVERY_CODE: [ErrorCode; 13] = [
    ErrorCode::AgentNotLoggedIn,
    ErrorCode::AgentLoggedIn,
    ErrorCode::CallRejected,
    ErrorCode::InvalidDestination,
    ErrorCode::InvalidObjectState,
    ErrorCode::ConfAlreadyPresent,
    ErrorCode::DestBusy,
    ErrorCode::InSameState,
    ErrorCode::HttpError(408),
    ErrorCode::BadRequest,
    ErrorCode::Unauthorized,
    ErrorCode::LinkDown,
    ErrorCode::NotSupported,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_wire_spelling() {
        for code in EVERY_CODE {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
        assert_eq!(
            ErrorCode::HttpError(408).to_string(),
            "OPENCTI_HTTP_ERROR_408"
        );
    }

    #[test]
    fn error_object_has_pega_field_names() {
        let err = OpenCtiError::invalid_state("no call to hold");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"errCode": "OPENCTI_CF_INVALID_OBJECT_STATE", "errMessage": "no call to hold"})
        );
        assert!("OPENCTI_NOPE".parse::<ErrorCode>().is_err());
    }
}
