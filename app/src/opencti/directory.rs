//! Transfer targets, as `getDirectory()` returns them: agents with their live
//! state and queues with their waiting calls. Any Implementation may offer
//! it (a JavaScript one by defining `getDirectory`); the panel's directory
//! reads only this shape. JSON Schema: `schemas/Directory.schema.json`.

use serde::{Deserialize, Serialize};

use super::events::{AgentState, WorkMode};

/// `{pyAgents: [...], pyQueues: [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Directory {
    #[serde(rename = "pyAgents", default)]
    pub agents: Vec<DirectoryAgent>,
    #[serde(rename = "pyQueues", default)]
    pub queues: Vec<DirectoryQueue>,
}

/// An agent and how to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectoryAgent {
    #[serde(rename = "pyAgentId")]
    pub agent_id: String,
    #[serde(rename = "pyName", default)]
    pub name: String,
    /// The extension it is logged in on, or its default one.
    #[serde(rename = "pyThisDN")]
    pub extension: String,
    /// `Busy` while on a call; `Logout` when not logged in.
    #[serde(rename = "pyAgentState")]
    pub agent_state: AgentState,
    /// `ACW` in after-call work.
    #[serde(rename = "pyWorkMode", default)]
    pub work_mode: WorkMode,
}

/// A queue and the calls waiting in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectoryQueue {
    #[serde(rename = "pyQueue")]
    pub number: String,
    #[serde(rename = "pyName", default)]
    pub name: String,
    #[serde(rename = "pyCallsWaiting", default)]
    pub waiting: u32,
}
