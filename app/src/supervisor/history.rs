//! The call records as `GET /api/calls` shows them: written by the server,
//! read by the supervisor page's Calls section (one definition for both).

use serde::{Deserialize, Serialize};

use crate::opencti::UserData;

/// One call record. Times are ISO 8601 (UTC, milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecordView {
    pub call_id: String,
    /// `inbound`, `outbound` or `internal`.
    pub direction: String,
    pub ani: String,
    pub dnis: String,
    pub queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consult_of: Option<String>,
    pub started_at: String,
    pub answered_at: Option<String>,
    pub ended_at: String,
    /// `answered`, `abandoned`, `missed` or `transferred`.
    pub outcome: String,
    pub legs: Vec<LegView>,
    pub data: UserData,
    /// The flow steps it went through (only for calls that met a flow).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flow_path: Vec<String>,
    /// Only for a recorded call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingView>,
}

/// One agent's part in a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegView {
    pub agent_id: String,
    pub extension: String,
    pub answered: bool,
    pub talk_seconds: f64,
    pub hold_seconds: f64,
    pub wrap_up_seconds: Option<f64>,
    pub disposition: Option<String>,
    pub note: Option<String>,
}

/// A recorded call's recording: its file (once written) and its pauses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingView {
    /// Where its audio is (absent if no audio was written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub started_at: String,
    pub duration_seconds: f64,
    pub bytes: u64,
    pub paused_spans: Vec<PausedSpan>,
}

/// A span of a recording that an agent paused (silence in the file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PausedSpan {
    pub from: String,
    pub to: String,
}
