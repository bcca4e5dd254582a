//! OpenCTI events in Pega Call's JSON format. Every event carries
//! `pyEventType` (the variant) and `pyEventName`; readers ignore extra fields.
//! Timestamps are milliseconds since the Unix epoch.

use serde::{Deserialize, Serialize};

use super::{UserData, functions::TelephonyMode};

/// One OpenCTI event, tagged by `pyEventType`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "pyEventType")]
pub enum OpenCtiEvent {
    SnapshotEvent(SnapshotEvent),
    AgentStateEvent(AgentStateEvent),
    CallStateEvent(CallStateEvent),
    PartyInfoEvent(PartyInfoEvent),
    CallInfoEvent(CallInfoEvent),
    #[serde(rename = "VoiceAIEvent")]
    VoiceAiEvent(VoiceAiEvent),
}

impl OpenCtiEvent {
    /// The `pyEventType` value, as `on(eventType, …)` filters by it.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::SnapshotEvent(_) => "SnapshotEvent",
            Self::AgentStateEvent(_) => "AgentStateEvent",
            Self::CallStateEvent(_) => "CallStateEvent",
            Self::PartyInfoEvent(_) => "PartyInfoEvent",
            Self::CallInfoEvent(_) => "CallInfoEvent",
            Self::VoiceAiEvent(_) => "VoiceAIEvent",
        }
    }

    /// Every `pyEventType` value, in schema order.
    pub const EVENT_TYPES: [&'static str; 6] = [
        "SnapshotEvent",
        "AgentStateEvent",
        "CallStateEvent",
        "PartyInfoEvent",
        "CallInfoEvent",
        "VoiceAIEvent",
    ];
}

/// `pyAgentState` in a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgentState {
    Ready,
    NotReady,
    Login,
    Logout,
    Busy,
    Unknown,
}

/// `pyEventName` of an AgentStateEvent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgentStateName {
    Login,
    Ready,
    NotReady,
    Logout,
    Unknown,
}

/// `pyWorkMode`: how the agent takes calls; `ACW` is after-call work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum WorkMode {
    #[serde(rename = "MODE_NONE")]
    #[default]
    None,
    #[serde(rename = "MODE_AUTO_IN")]
    AutoIn,
    #[serde(rename = "MODE_MANUAL_IN")]
    ManualIn,
    #[serde(rename = "ACW")]
    Acw,
    #[serde(rename = "BUSY")]
    Busy,
    #[serde(rename = "AUX_WORK")]
    AuxWork,
}

/// `pyDeviceState`: whether the agent's extension is open for calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceState {
    #[serde(rename = "OPENED")]
    Opened,
    #[serde(rename = "CLOSED")]
    Closed,
}

/// `pyLinkState`: whether the panel's link to the CTI server is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkState {
    #[serde(rename = "CONNECTED")]
    Connected,
    #[serde(rename = "DISCONNECTED")]
    Disconnected,
}

/// `pyEventName` of a CallStateEvent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallStateName {
    Alerting,
    Initiated,
    Established,
    Connected,
    Held,
    Retrieved,
    Disconnected,
    Abandoned,
}

impl CallStateName {
    /// Whether a call in this state is over (and leaves the store).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Disconnected | Self::Abandoned)
    }
}

/// `pyCallType`, from the receiving agent's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CallType {
    Inbound,
    Outbound,
    Internal,
    Consult,
    Unknown,
}

/// A device on a call: `{pyDN, pyState}`, `pyState` being the lower-case CSTA
/// connection state (`alerting`, `connected`, `held`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyInfo {
    #[serde(rename = "pyDN")]
    pub dn: String,
    #[serde(rename = "pyState")]
    pub state: String,
}

/// Sent after login and after every reconnect: the whole truth for one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotEvent {
    #[serde(rename = "pyEventName", default = "snapshot_name")]
    pub event_name: String,
    #[serde(rename = "pyAgentId")]
    pub agent_id: String,
    #[serde(rename = "pyAgentState")]
    pub agent_state: AgentState,
    #[serde(rename = "pyWorkMode")]
    pub work_mode: WorkMode,
    #[serde(rename = "pyReasonCode", default)]
    pub reason_code: String,
    #[serde(rename = "pyDeviceState")]
    pub device_state: DeviceState,
    #[serde(rename = "pyLinkState")]
    pub link_state: LinkState,
    #[serde(rename = "pyThisDN", default)]
    pub this_dn: String,
    #[serde(rename = "pyTelephonyMode", default)]
    pub telephony_mode: TelephonyMode,
    /// When the agent entered the current state.
    #[serde(rename = "pyTimestamp", default)]
    pub timestamp: u64,
    /// While in after-call work: when it ends by itself.
    #[serde(rename = "pyWrapUpEndsAt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up_ends_at: Option<u64>,
    #[serde(rename = "pyCalls", default)]
    pub calls: Vec<SnapshotCall>,
    /// The not-ready reason codes the CTI server accepts (the panel's "Not
    /// ready" menu). Empty: the server takes no reasons.
    #[serde(rename = "pyReasonCodes")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reason_codes: Vec<String>,
    /// The dispositions an agent may record at wrap-up.
    #[serde(rename = "pyDispositions")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dispositions: Vec<String>,
    /// The agent's latest calls, newest first, as the CTI server recorded
    /// them (absent: the implementation keeps no history, and the panel
    /// keeps what it saw itself).
    #[serde(rename = "pyRecentCalls")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_calls: Option<Vec<RecentCall>>,
}

/// How a call ended, for one agent or for the whole call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallOutcome {
    /// Somebody answered it.
    Answered,
    /// The caller gave up before anybody answered.
    Abandoned,
    /// An agent let it ring out or turned it away, and nobody answered.
    Missed,
    /// An agent passed it on to another destination.
    Transferred,
}

impl CallOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Abandoned => "abandoned",
            Self::Missed => "missed",
            Self::Transferred => "transferred",
        }
    }
}

/// One ended call in an agent's history (`pyRecentCalls`), from that agent's
/// point of view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentCall {
    #[serde(rename = "pyCallId")]
    pub call_id: String,
    /// The other party's number.
    #[serde(rename = "pyOtherDN")]
    pub number: String,
    #[serde(rename = "pyCallType")]
    pub call_type: CallType,
    /// When the call started and ended (ms since the epoch).
    #[serde(rename = "pyStartTime")]
    pub started: u64,
    #[serde(rename = "pyEndTime")]
    pub ended: u64,
    #[serde(rename = "pyOutcome")]
    pub outcome: CallOutcome,
    /// What the agent recorded at wrap-up, once it has.
    #[serde(rename = "pyDisposition")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
}

/// One call in a SnapshotEvent; `pyCallState` is the `pyEventName` of the
/// call's last CallStateEvent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotCall {
    #[serde(rename = "pyCallId")]
    pub call_id: String,
    #[serde(rename = "pyCallState")]
    pub call_state: CallStateName,
    #[serde(rename = "pyCallType")]
    pub call_type: CallType,
    #[serde(rename = "pyANI", default)]
    pub ani: String,
    #[serde(rename = "pyDNIS", default)]
    pub dnis: String,
    #[serde(rename = "pyOtherDN", default)]
    pub other_dn: String,
    #[serde(rename = "pyParties", default)]
    pub parties: Vec<PartyInfo>,
    #[serde(rename = "pyUserData", default)]
    pub user_data: UserData,
    #[serde(rename = "pyQueue", default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(rename = "pySkills", default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    /// Whether the call is being recorded, and whether that is paused.
    #[serde(
        rename = "pyRecording",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recording: Option<RecordingState>,
    /// When the call entered its current state.
    #[serde(rename = "pyTimestamp", default)]
    pub timestamp: u64,
    /// When the call first reached this agent (for the call's duration).
    #[serde(rename = "pyStartTime", default)]
    pub start_time: u64,
}

/// The agent's ACD state changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentStateEvent {
    #[serde(rename = "pyEventName")]
    pub event_name: AgentStateName,
    #[serde(rename = "pyAgentId")]
    pub agent_id: String,
    #[serde(rename = "pyReasonCode", default)]
    pub reason_code: String,
    #[serde(rename = "pyWorkMode")]
    pub work_mode: WorkMode,
    #[serde(rename = "pyThisDN", default)]
    pub this_dn: String,
    #[serde(rename = "pyTimestamp", default)]
    pub timestamp: u64,
    /// In after-call work (`pyWorkMode` ACW): when it ends by itself.
    #[serde(rename = "pyWrapUpEndsAt")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap_up_ends_at: Option<u64>,
}

/// A call changed state on the agent's extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallStateEvent {
    #[serde(rename = "pyEventName")]
    pub event_name: CallStateName,
    #[serde(rename = "pyCallId")]
    pub call_id: String,
    #[serde(rename = "pyCallType")]
    pub call_type: CallType,
    #[serde(rename = "pyANI", default)]
    pub ani: String,
    #[serde(rename = "pyDNIS", default)]
    pub dnis: String,
    #[serde(rename = "pyOtherDN", default)]
    pub other_dn: String,
    #[serde(rename = "pyThisDN", default)]
    pub this_dn: String,
    #[serde(rename = "pyMedia", default = "phone")]
    pub media: String,
    #[serde(rename = "pyTimestamp", default)]
    pub timestamp: u64,
    #[serde(rename = "pyQueue", default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Why the call changed (CSTA cause, e.g. `normalClearing`, `transfer`).
    #[serde(rename = "pyCause", default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// The parties of a call changed (conference, transfer, consultation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartyInfoEvent {
    #[serde(rename = "pyCallId")]
    pub call_id: String,
    #[serde(rename = "pyParties")]
    pub parties: Vec<PartyInfo>,
    #[serde(rename = "pyThisDN", default)]
    pub this_dn: String,
    #[serde(rename = "pyEventName", default = "party_info_name")]
    pub event_name: String,
}

/// The number at the other end of a call: `pyOtherDN`, or the caller's
/// `pyANI` when an implementation leaves it out. (On a callback, the ANI
/// is the agent's own extension; the other end is the customer.)
fn far_party<'a>(other_dn: &'a str, ani: &'a str) -> &'a str {
    if other_dn.is_empty() { ani } else { other_dn }
}

impl SnapshotCall {
    pub fn far_party(&self) -> &str {
        far_party(&self.other_dn, &self.ani)
    }
}

impl CallStateEvent {
    pub fn far_party(&self) -> &str {
        far_party(&self.other_dn, &self.ani)
    }
}

/// A call's attached data: the screen pop. Sent no later than the call's
/// Alerting (or Initiated) event, and again with `pyDisposition` when the
/// agent records the call's outcome at wrap-up (the call may be over then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallInfoEvent {
    #[serde(rename = "pyEventName", default = "call_info_name")]
    pub event_name: String,
    #[serde(rename = "pyCallId")]
    pub call_id: String,
    #[serde(rename = "pyUserData", default)]
    pub user_data: UserData,
    #[serde(rename = "pyQueue", default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// The skills the queue routed the call on: why it came to this agent.
    #[serde(rename = "pySkills", default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<String>,
    /// The call's recording: sent when it starts, pauses and resumes
    /// (absent: unchanged, or not recorded).
    #[serde(
        rename = "pyRecording",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub recording: Option<RecordingState>,
    /// The outcome the agent chose at wrap-up ("Finish wrap-up").
    #[serde(rename = "pyDisposition")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
}

/// A recorded call's recording: being written, or paused (while the
/// customer reads out a card number, PCI DSS); a paused span is silence in
/// the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordingState {
    Active,
    Paused,
}

/// What an AI engine listening to a call said about it (DESIGN.md §10
/// "Voice AI"): `pyEventType` `VoiceAIEvent`, `pyEventName` the kind. (Each
/// kind repeats `pyCallId` rather than flattening a shared part: serde's
/// `flatten` costs the panel's wasm dearly.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "pyEventName")]
pub enum VoiceAiEvent {
    /// Recognised speech; an interim one (`pyFinal` false) is replaced by
    /// the same speaker's next utterance.
    Utterance {
        #[serde(rename = "pyCallId")]
        call_id: String,
        #[serde(rename = "pyTimestamp", default)]
        timestamp: u64,
        #[serde(rename = "pySpeaker")]
        speaker: Speaker,
        #[serde(rename = "pyText")]
        text: String,
        #[serde(rename = "pyFinal")]
        is_final: bool,
        /// Seconds from the start of the call's audio, when the engine
        /// says.
        #[serde(rename = "pyStart", default, skip_serializing_if = "Option::is_none")]
        start: Option<f64>,
        #[serde(rename = "pyEnd", default, skip_serializing_if = "Option::is_none")]
        end: Option<f64>,
    },
    Intent {
        #[serde(rename = "pyCallId")]
        call_id: String,
        #[serde(rename = "pyTimestamp", default)]
        timestamp: u64,
        #[serde(rename = "pyIntent")]
        name: String,
        /// How sure the engine is, 0–1.
        #[serde(rename = "pyConfidence")]
        confidence: f64,
    },
    Suggestion {
        #[serde(rename = "pyCallId")]
        call_id: String,
        #[serde(rename = "pyTimestamp", default)]
        timestamp: u64,
        #[serde(rename = "pyTitle")]
        title: String,
        #[serde(rename = "pyText")]
        text: String,
        #[serde(rename = "pyURL", default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    Summary {
        #[serde(rename = "pyCallId")]
        call_id: String,
        #[serde(rename = "pyTimestamp", default)]
        timestamp: u64,
        #[serde(rename = "pyText")]
        text: String,
    },
}

impl VoiceAiEvent {
    pub fn call_id(&self) -> &str {
        match self {
            Self::Utterance { call_id, .. }
            | Self::Intent { call_id, .. }
            | Self::Suggestion { call_id, .. }
            | Self::Summary { call_id, .. } => call_id,
        }
    }
}

/// Who spoke an utterance (`pySpeaker`, and `speaker` in what AI engines
/// send).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Customer,
    Agent,
}

/// Defaults of the fixed `pyEventName`s and `pyMedia`, for events that leave
/// them out.
fn snapshot_name() -> String {
    "Snapshot".into()
}
fn party_info_name() -> String {
    "PartyInfo".into()
}
fn call_info_name() -> String {
    "CallInfo".into()
}
fn phone() -> String {
    "Phone".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn call_state_event_uses_pega_field_names() {
        let event = OpenCtiEvent::CallStateEvent(CallStateEvent {
            event_name: CallStateName::Alerting,
            call_id: "C1".into(),
            call_type: CallType::Inbound,
            ani: "+15551230001".into(),
            dnis: "5000".into(),
            other_dn: "+15551230001".into(),
            this_dn: "2001".into(),
            media: "Phone".into(),
            timestamp: 7,
            queue: Some("5000".into()),
            cause: None,
        });
        let value = serde_json::to_value(&event).unwrap();
        assert_eq!(
            value,
            json!({
                "pyEventType": "CallStateEvent", "pyEventName": "Alerting", "pyCallId": "C1",
                "pyCallType": "INBOUND", "pyANI": "+15551230001", "pyDNIS": "5000",
                "pyOtherDN": "+15551230001", "pyThisDN": "2001", "pyMedia": "Phone",
                "pyTimestamp": 7, "pyQueue": "5000"
            })
        );
        assert_eq!(
            serde_json::from_value::<OpenCtiEvent>(value).unwrap(),
            event
        );
    }

    #[test]
    fn readers_ignore_extra_fields_and_default_optional_ones() {
        let event: OpenCtiEvent = serde_json::from_value(json!({
            "pyEventType": "AgentStateEvent", "pyEventName": "NotReady", "pyAgentId": "1001",
            "pyWorkMode": "AUX_WORK", "pyReasonCode": "Lunch", "somethingElse": [1, 2]
        }))
        .unwrap();
        let OpenCtiEvent::AgentStateEvent(agent) = event else {
            panic!("wrong variant")
        };
        assert_eq!(agent.event_name, AgentStateName::NotReady);
        assert_eq!(agent.work_mode, WorkMode::AuxWork);
        assert_eq!(agent.reason_code, "Lunch");
    }

    #[test]
    fn voice_ai_events_are_tagged_by_type_and_name() {
        let event = OpenCtiEvent::VoiceAiEvent(VoiceAiEvent::Utterance {
            call_id: "C1".into(),
            timestamp: 9,
            speaker: Speaker::Customer,
            text: "hello".into(),
            is_final: true,
            start: None,
            end: None,
        });
        let value = serde_json::to_value(&event).unwrap();
        assert_eq!(
            value,
            json!({
                "pyEventType": "VoiceAIEvent", "pyEventName": "Utterance", "pyCallId": "C1",
                "pyTimestamp": 9, "pySpeaker": "customer", "pyText": "hello", "pyFinal": true
            })
        );
        assert_eq!(event.event_type(), "VoiceAIEvent");
        assert_eq!(
            serde_json::from_value::<OpenCtiEvent>(value).unwrap(),
            event
        );
    }

    #[test]
    fn unknown_event_types_are_rejected() {
        let err = serde_json::from_value::<OpenCtiEvent>(
            json!({"pyEventType": "Nope", "pyEventName": "x"}),
        );
        assert!(err.is_err());
    }
}
