//! Flows as the TOML file writes them: a number, a first step, and named
//! steps (`type = "menu"`…). [`super::validate`] turns them into what the
//! switch runs, or says where they are wrong.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A dialled number that starts a flow (an IVR) instead of ringing a
/// queue or an extension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowConfig {
    pub number: String,
    pub name: String,
    /// The step a call starts at.
    pub start: String,
    pub steps: BTreeMap<String, StepConfig>,
}

/// What a prompt says: synthesised text, or a WAV file (8 kHz mono).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptConfig {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub wav: Option<String>,
}

/// One step of a flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepConfig {
    /// Plays a prompt, then goes on.
    Say { prompt: PromptConfig, next: String },
    /// Plays a prompt and waits for one digit: `options` maps digits to
    /// steps. No digit within `timeout_seconds`, or one not offered, plays
    /// the prompt again, up to `retries` more times; then `no_input`.
    Menu {
        prompt: PromptConfig,
        options: BTreeMap<String, String>,
        #[serde(default = "default_timeout")]
        timeout_seconds: u64,
        #[serde(default = "default_retries")]
        retries: u32,
        no_input: String,
    },
    /// Plays a prompt and collects digits into the call's data under
    /// `into`, until `finish_on` (default `#`, not kept), `max_digits`, or
    /// `timeout_seconds` without a digit; nothing collected goes to
    /// `no_input` (default: `next`).
    Collect {
        prompt: PromptConfig,
        into: String,
        #[serde(default = "default_max_digits")]
        max_digits: usize,
        #[serde(default = "default_finish_on")]
        finish_on: String,
        #[serde(default = "default_timeout")]
        timeout_seconds: u64,
        next: String,
        #[serde(default)]
        no_input: Option<String>,
    },
    /// Opening hours: weekly spans (`"mon-fri 08:00-18:00"`) in a time zone,
    /// and holiday dates (`"2026-12-25"`) on which it is closed all day.
    Hours {
        time_zone: String,
        weekly: Vec<String>,
        #[serde(default)]
        holidays: Vec<String>,
        open: String,
        closed: String,
    },
    /// Leaves the flow for a queue, with the call's data and a priority
    /// (default: the queue's). With nobody logged in to serve the queue,
    /// the call goes to `fallback` if there is one.
    Queue {
        queue: String,
        #[serde(default)]
        priority: Option<u8>,
        #[serde(default)]
        fallback: Option<String>,
    },
    /// Leaves the flow for an extension or an outside number. An extension
    /// with nobody free sends the call to `fallback`, or ends it.
    Transfer {
        to: String,
        #[serde(default)]
        fallback: Option<String>,
    },
    /// The caller keeps a place in `queue` (which has `callbacks = true`)
    /// and is called back; the flow goes on at `next` (a thank-you, a
    /// hang-up). A caller whose number cannot be dialled (withheld) goes
    /// to `fallback` instead, or `next`.
    Callback {
        queue: String,
        next: String,
        #[serde(default)]
        fallback: Option<String>,
    },
    /// Ends the call.
    Hangup,
}

fn default_timeout() -> u64 {
    5
}

fn default_retries() -> u32 {
    2
}

fn default_max_digits() -> usize {
    16
}

fn default_finish_on() -> String {
    "#".into()
}
