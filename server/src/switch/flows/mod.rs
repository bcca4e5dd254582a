//! Flows (IVR): what a caller hears and presses before a queue or an
//! agent. The TOML file's flows ([`config`]) are checked and compiled at
//! start ([`validate`]); the switch runs them ([`run`]) as it runs
//! everything else, from digits, prompts that finished and timers.

pub mod config;
mod run;
mod validate;

use std::{collections::BTreeMap, path::PathBuf};

use jiff::civil::{Date, Weekday};

pub use run::{FlowRun, Prompt as PromptToPlay};
pub use validate::compile;

/// A flow as the switch runs it.
#[derive(Debug, Clone)]
pub struct Flow {
    pub number: String,
    pub name: String,
    pub start: String,
    pub steps: BTreeMap<String, Step>,
}

/// What a prompt plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Text(String),
    Wav(PathBuf),
}

/// A checked step (see [`config::StepConfig`] for what each does).
#[derive(Debug, Clone)]
pub enum Step {
    Say {
        prompt: Prompt,
        next: String,
    },
    Menu {
        prompt: Prompt,
        options: BTreeMap<char, String>,
        timeout_ms: u64,
        retries: u32,
        no_input: String,
    },
    Collect {
        prompt: Prompt,
        into: String,
        max_digits: usize,
        finish_on: Option<char>,
        timeout_ms: u64,
        next: String,
        no_input: String,
    },
    Hours {
        hours: Hours,
        open: String,
        closed: String,
    },
    Queue {
        queue: String,
        priority: Option<u8>,
        fallback: Option<String>,
    },
    Transfer {
        to: String,
        fallback: Option<String>,
    },
    Callback {
        queue: String,
        next: String,
        fallback: Option<String>,
    },
    Hangup,
}

impl Step {
    /// Every step this one may lead to.
    fn next_steps(&self) -> Vec<&str> {
        let mut next = self.unattended_steps();
        if let Self::Menu { options, .. } = self {
            next.extend(options.values().map(String::as_str));
        }
        if let Self::Collect { next: n, .. } = self {
            next.push(n);
        }
        next
    }

    /// The steps this one leads to when the caller presses nothing.
    fn unattended_steps(&self) -> Vec<&str> {
        match self {
            Self::Say { next, .. } => vec![next],
            Self::Menu { no_input, .. } | Self::Collect { no_input, .. } => vec![no_input],
            Self::Hours { open, closed, .. } => vec![open, closed],
            Self::Queue { fallback, .. } | Self::Transfer { fallback, .. } => {
                fallback.iter().map(String::as_str).collect()
            }
            Self::Callback { next, fallback, .. } => std::iter::once(next.as_str())
                .chain(fallback.as_deref())
                .collect(),
            Self::Hangup => vec![],
        }
    }
}

/// Opening hours in a time zone.
#[derive(Debug, Clone)]
pub struct Hours {
    tz: jiff::tz::TimeZone,
    spans: Vec<Span>,
    holidays: Vec<Date>,
}

/// Open on `day` from minute `from` to minute `to` (local time).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Span {
    day: Weekday,
    from: u16,
    to: u16,
}

impl Hours {
    /// Whether it is open at `now` (ms since the Unix epoch).
    pub fn is_open(&self, now: u64) -> bool {
        let Ok(at) = jiff::Timestamp::from_millisecond(now as i64) else {
            return false;
        };
        let local = at.to_zoned(self.tz.clone());
        if self.holidays.contains(&local.date()) {
            return false;
        }
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        self.spans
            .iter()
            .any(|s| s.day == local.weekday() && (s.from..s.to).contains(&minute))
    }
}
