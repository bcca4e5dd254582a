//! The reference CTI adapter's own wire protocol: CSTA-named requests and
//! events (ECMA-269) as JSON over the relay's WebSocket. The reference
//! Implementation turns these events into OpenCTI events with
//! [`super::convert`], the same job a vendor's implementation does.
//! Ordering guarantee: every event a request causes is sent before that
//! request's `Response` (docs/protocol.md).
//!
//! Frames are JSON objects tagged by `type`. Client to server: `Login`,
//! `Resume`, `Request`, `Ping`, `Supervise`. Server to client: `Response`,
//! `Event`, `Pong`, `Supervisor`, `Error`.

use serde::{Deserialize, Serialize};

use crate::{
    opencti::{
        OpenCtiError, UserData,
        events::{RecordingState, VoiceAiEvent, WorkMode},
        functions::TelephonyMode,
        rules::CallState,
    },
    supervisor::Snapshot,
};

/// Largest frame the relay accepts, in bytes; bigger ones close the socket.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// A frame from the panel to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum ClientFrame {
    /// Starts (or joins) the agent's session on an extension.
    Login {
        id: String,
        agent_id: String,
        password: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extension: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        telephony_mode: Option<String>,
        /// The Implementation's name and version, logged by the server.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        implementation: Option<String>,
    },
    /// Re-attaches a new socket to a session after a drop; the server replays
    /// every event after `last_seq`, or sends a fresh snapshot.
    Resume {
        id: String,
        token: String,
        last_seq: u64,
    },
    /// A CSTA service request on the authenticated session.
    Request { id: String, request: CstaRequest },
    /// Application-level heartbeat (browsers cannot send WebSocket pings).
    Ping,
    /// Subscribes the socket to the supervisor's live figures, with a
    /// supervisor's token (`POST /api/supervisor/login`). An agent's token
    /// is refused (`OPENCTI_UNAUTHORIZED`) and gets nothing.
    Supervise { id: String, token: String },
    /// The browser's SDP offer for the session's audio (the reference
    /// Implementation's softphone), made for a call the agent is on. The
    /// answer is a `Response` whose value is `{"sdp": …}`; a later offer
    /// replaces the session's peer connection.
    Offer {
        id: String,
        call_id: String,
        sdp: String,
    },
}

/// Requested agent state in `SetAgentState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestedAgentState {
    LoggedOff,
    Ready,
    NotReady,
}

/// Why a consultation call is made: it decides nothing in the switch (either
/// may be completed as a transfer or a conference) but is logged and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum ConsultPurpose {
    #[default]
    Transfer,
    Conference,
}

/// CSTA services of the reference switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum CstaRequest {
    SetAgentState {
        state: RequestedAgentState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        work_mode: Option<WorkMode>,
    },
    /// Ends after-call work now (the "Finish wrap-up" button).
    CompleteWrapUp {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        disposition: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    MakeCall {
        destination: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_data: Option<UserData>,
    },
    AnswerCall {
        call_id: String,
    },
    /// Turns an alerting call away (back to its queue, or cleared).
    RejectCall {
        call_id: String,
    },
    /// Clears a connection: the agent's own (hang up), or `device`'s (drop a
    /// party from a conference).
    ClearConnection {
        call_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device: Option<String>,
    },
    HoldCall {
        call_id: String,
    },
    RetrieveCall {
        call_id: String,
    },
    GenerateDigits {
        call_id: String,
        digits: String,
    },
    ConsultationCall {
        call_id: String,
        destination: String,
        #[serde(default)]
        purpose: ConsultPurpose,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_data: Option<UserData>,
    },
    /// Completes a consultation as a transfer: the original call stays.
    TransferCall {
        original_call_id: String,
        consult_call_id: String,
    },
    /// Completes a consultation as a conference: the original call stays.
    ConferenceCall {
        original_call_id: String,
        consult_call_id: String,
    },
    SingleStepTransferCall {
        call_id: String,
        destination: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_data: Option<UserData>,
    },
    AlternateCall {
        held_call_id: String,
        active_call_id: String,
    },
    /// Stops writing the call's audio (silence goes in its place) until
    /// `ResumeRecording`.
    PauseRecording {
        call_id: String,
    },
    ResumeRecording {
        call_id: String,
    },
    /// Transfer targets: agents with their live state, and queues
    /// (`getDirectory()`).
    GetDirectory,
}

/// A frame from the server to the panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum ServerFrame {
    /// The answer to the client frame with the same `id`.
    Response {
        id: String,
        ok: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<ResponseValue>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<OpenCtiError>,
    },
    /// One event of the agent's session, numbered from 1 without gaps.
    Event {
        seq: u64,
        event: NativeEvent,
    },
    Pong,
    /// The supervisor's figures now (after `Supervise`, then whenever they
    /// change, at most a few times a second). With `changesOnly`, the
    /// snapshot's agents are only the rows that changed since this socket's
    /// previous `Supervisor` frame (merge with `Snapshot::merge`); the first
    /// frame is whole.
    Supervisor {
        snapshot: Snapshot,
        #[serde(default)]
        changes_only: bool,
    },
    /// A frame that could not be read, so has no id to answer.
    Error {
        error: OpenCtiError,
    },
}

impl ServerFrame {
    /// The response frame for a request's outcome.
    pub fn response(id: String, outcome: Result<ResponseValue, OpenCtiError>) -> Self {
        match outcome {
            Ok(value) => Self::Response {
                id,
                ok: true,
                value: Some(value),
                error: None,
            },
            Err(error) => Self::Response {
                id,
                ok: false,
                value: None,
                error: Some(error),
            },
        }
    }
}

/// What a successful request returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResponseValue {
    /// Login and Resume: the session to resume with after a drop.
    Session(SessionInfo),
    /// Requests that create a call.
    Call(CallCreated),
    /// `GetDirectory`.
    Directory(Directory),
    /// `Offer`: the media plane's SDP answer.
    Answer(SdpAnswer),
    /// Everything else.
    Done,
}

/// The server's SDP answer to a browser's offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SdpAnswer {
    pub sdp: String,
}

/// A STUN or TURN server for the browser's peer connection, in the shape
/// of the browser's `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The session a Login opened or a Resume re-attached to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub token: String,
    pub agent_id: String,
    pub extension: String,
    pub telephony_mode: TelephonyMode,
    /// The server's version: the reference Implementation reports it.
    pub server_version: String,
    /// STUN/TURN servers for the softphone's peer connection (none on one
    /// machine or a LAN: the server's media address is reachable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ice_servers: Vec<IceServer>,
    /// The extension is a SIP desk phone: its audio is on the phone (no
    /// softphone), and the panel controls its calls through the switch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk_phone: Option<DeskPhone>,
}

/// A SIP desk phone the agent works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeskPhone {
    /// The phone answers when the switch asks it to (an auto-answer
    /// header): Answer in the panel works. Otherwise the agent picks up
    /// the handset.
    pub auto_answer: bool,
}

/// Transfer targets known to the switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    pub agents: Vec<DirectoryAgent>,
    pub queues: Vec<DirectoryQueue>,
}

/// An agent in the directory, with where to reach it and how it is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryAgent {
    pub agent_id: String,
    pub name: String,
    /// The extension it is logged in on, or its default one.
    pub extension: String,
    pub status: AgentStatus,
    /// Whether it is on a call now.
    pub busy: bool,
}

/// A queue in the directory, with the calls waiting in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryQueue {
    pub number: String,
    pub name: String,
    pub waiting: usize,
}

/// The id of a call a request created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallCreated {
    pub call_id: String,
}

/// A connection's state, as in CSTA (ECMA-269), plus `queued` for a call
/// waiting in an ACD queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionState {
    Initiated,
    Alerting,
    Queued,
    Connected,
    Held,
    Failed,
}

impl ConnectionState {
    /// The OpenCTI call state of a party in this connection state (a queued
    /// call rings as far as OpenCTI is concerned).
    pub fn call_state(self) -> CallState {
        match self {
            Self::Initiated => CallState::Initiated,
            Self::Alerting | Self::Queued => CallState::Alerting,
            Self::Connected => CallState::Connected,
            Self::Held => CallState::Held,
            Self::Failed => CallState::Ended,
        }
    }

    /// The lower-case wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initiated => "initiated",
            Self::Alerting => "alerting",
            Self::Queued => "queued",
            Self::Connected => "connected",
            Self::Held => "held",
            Self::Failed => "failed",
        }
    }
}

/// One device on a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub dn: String,
    pub state: ConnectionState,
}

/// Where a call came from, from the switch's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CallOrigin {
    /// From the public network to a queue or an extension.
    Inbound,
    /// From an extension to the public network.
    Outbound,
    /// Between extensions (or to a queue from an extension).
    Internal,
}

/// The whole of a call as the switch sees it, carried by every call event so
/// that converting an event needs no memory of earlier ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallInfo {
    pub call_id: String,
    pub origin: CallOrigin,
    /// Set on a consultation call: the call it consults about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consult_of: Option<String>,
    pub calling_device: String,
    pub called_device: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// The skills of the queue that offered the call to the agent: why it
    /// came to them (empty for a queue without skills, or a direct call).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    /// Set once the call's recording started (at the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingState>,
    #[serde(default)]
    pub data: UserData,
    pub parties: Vec<Party>,
    /// DTMF sent on the call so far.
    #[serde(default)]
    pub digits: String,
    pub started_at: u64,
}

impl CallInfo {
    /// The connection state of `dn` on this call, if it is a party.
    pub fn state_of(&self, dn: &str) -> Option<ConnectionState> {
        self.parties.iter().find(|p| p.dn == dn).map(|p| p.state)
    }
}

/// Why a connection changed (CSTA event cause).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    NormalClearing,
    /// The caller hung up before anybody answered.
    CallCancelled,
    Transfer,
    Conference,
    /// Turned away by the agent (and re-queued, for a queue call).
    Rejected,
    Busy,
    /// Taken from a device by the switch (e.g. the agent logged out).
    Redirected,
    /// Rang an agent for the ring timeout and went back to its queue.
    NoAnswer,
    NewCall,
    /// The telephone network says the number does not exist (SIP 404, 484,
    /// 604).
    InvalidNumber,
    /// The telephone network could not reach the number (SIP 480, 408,
    /// 5xx, 603, no answer from the trunk).
    Unavailable,
}

impl Cause {
    /// The wire spelling, as in `pyCause`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NormalClearing => "normalClearing",
            Self::CallCancelled => "callCancelled",
            Self::Transfer => "transfer",
            Self::Conference => "conference",
            Self::Rejected => "rejected",
            Self::Busy => "busy",
            Self::Redirected => "redirected",
            Self::NoAnswer => "noAnswer",
            Self::NewCall => "newCall",
            Self::InvalidNumber => "invalidNumber",
            Self::Unavailable => "unavailable",
        }
    }
}

/// A call event: what happened (`device`, `cause`) and the call after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallEvent {
    /// The device the event is about (the one that answered, held, cleared…).
    pub device: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    pub call: CallInfo,
    pub timestamp: u64,
}

/// The agent's ACD state, as the switch keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AgentStatus {
    LoggedOut,
    NotReady,
    Ready,
    WorkingAfterCall,
}

/// An agent as the switch sees it, carried by every agent event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentInfo {
    pub agent_id: String,
    pub device: String,
    pub status: AgentStatus,
    #[serde(default)]
    pub reason: String,
    pub work_mode: WorkMode,
    pub telephony_mode: TelephonyMode,
    /// When the agent entered `status`.
    pub since: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up_ends_at: Option<u64>,
}

/// An agent's session state in full, sent after login and on resync, with
/// the configuration the panel needs (reason codes, dispositions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSnapshot {
    pub agent: AgentInfo,
    pub calls: Vec<CallInfo>,
    #[serde(default)]
    pub reason_codes: Vec<String>,
    #[serde(default)]
    pub dispositions: Vec<String>,
    /// The agent's latest ended calls, newest first (the server's history).
    #[serde(default)]
    pub recent: Vec<crate::opencti::events::RecentCall>,
}

/// The outcome an agent recorded for a call at the end of its wrap-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DispositionInfo {
    pub call_id: String,
    pub agent_id: String,
    pub disposition: String,
    /// The call's attached data when the agent left it.
    #[serde(default)]
    pub data: UserData,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    pub timestamp: u64,
}

/// A native (CSTA-named) event of the reference switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum NativeEvent {
    /// The agent's extension started a call.
    Originated(CallEvent),
    /// A device is alerting (ringing).
    Delivered(CallEvent),
    /// A device answered.
    Established(CallEvent),
    Held(CallEvent),
    Retrieved(CallEvent),
    /// A device left the call (hung up, dropped, call ended).
    ConnectionCleared(CallEvent),
    /// A consultation was completed as a transfer; `call` is the call that stays.
    Transferred(CallEvent),
    /// A consultation was completed as a conference.
    Conferenced(CallEvent),
    /// A device could not be reached.
    Failed(CallEvent),
    /// A call was taken away from a device (re-queued after a reject).
    Diverted(CallEvent),
    AgentLoggedOn(AgentInfo),
    AgentLoggedOff(AgentInfo),
    AgentReady(AgentInfo),
    AgentNotReady(AgentInfo),
    AgentWorkingAfterCall(AgentInfo),
    /// The agent's whole state (after login, or when replay cannot reach back).
    Snapshot(AgentSnapshot),
    /// The agent recorded a disposition for a call it wrapped up.
    Disposition(DispositionInfo),
    /// The call's recording started, paused or resumed (`call.recording`).
    RecordingChanged(CallEvent),
    /// An AI engine listening to a call the agent is on said something
    /// (already in OpenCTI's shape: the server converts it once).
    Conversation(VoiceAiEvent),
}

/// An inbound call to queue 5000 with attached data, for tests.
#[cfg(test)]
pub(crate) fn sample_call(parties: &[(&str, ConnectionState)]) -> CallInfo {
    CallInfo {
        call_id: "C1".into(),
        origin: CallOrigin::Inbound,
        consult_of: None,
        calling_device: "+15551230001".into(),
        called_device: "5000".into(),
        queue: Some("5000".into()),
        skills: vec!["billing".into()],
        recording: None,
        data: [("account".to_string(), "42".to_string())].into(),
        parties: parties
            .iter()
            .map(|(dn, state)| Party {
                dn: dn.to_string(),
                state: *state,
            })
            .collect(),
        digits: String::new(),
        started_at: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_frames_are_tagged_and_camel_cased() {
        let frame: ClientFrame = serde_json::from_value(json!({
            "type": "Request", "id": "7",
            "request": {"type": "ConsultationCall", "callId": "C1", "destination": "2002",
                        "userData": {"note": "VIP"}}
        }))
        .unwrap();
        let ClientFrame::Request { id, request } = &frame else {
            panic!("wrong frame")
        };
        assert_eq!(id, "7");
        assert_eq!(
            request,
            &CstaRequest::ConsultationCall {
                call_id: "C1".into(),
                destination: "2002".into(),
                purpose: ConsultPurpose::Transfer,
                user_data: Some([("note".to_string(), "VIP".to_string())].into()),
            }
        );
        let back = serde_json::to_value(&frame).unwrap();
        assert_eq!(serde_json::from_value::<ClientFrame>(back).unwrap(), frame);
    }

    #[test]
    fn responses_carry_ok_and_value_or_error() {
        let ok = ServerFrame::response(
            "1".into(),
            Ok(ResponseValue::Call(CallCreated {
                call_id: "C9".into(),
            })),
        );
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({"type": "Response", "id": "1", "ok": true, "value": {"callId": "C9"}})
        );
        let err = ServerFrame::response("2".into(), Err(OpenCtiError::bad_request("no")));
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"type": "Response", "id": "2", "ok": false,
                   "error": {"errCode": "OPENCTI_BAD_REQUEST", "errMessage": "no"}})
        );
        let done = serde_json::to_value(ServerFrame::response("3".into(), Ok(ResponseValue::Done)))
            .unwrap();
        assert_eq!(done["value"], serde_json::Value::Null);
    }

    #[test]
    fn events_round_trip() {
        let event = NativeEvent::Delivered(CallEvent {
            device: "2001".into(),
            cause: Some(Cause::NewCall),
            call: sample_call(&[
                ("+15551230001", ConnectionState::Connected),
                ("2001", ConnectionState::Alerting),
            ]),
            timestamp: 2,
        });
        let frame = ServerFrame::Event { seq: 4, event };
        let json = serde_json::to_string(&frame).unwrap();
        assert!(json.contains(r#""type":"Delivered""#));
        assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), frame);
    }
}
