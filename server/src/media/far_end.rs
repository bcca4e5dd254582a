//! A simulated party on the public network as a media endpoint: it plays
//! its prompt into the call and measures what it hears.

use serde::Serialize;

use super::sound::{Frame, LevelMeter, PROMPT, TonePattern};

/// What `GET /api/sim/calls` reports per call (DESIGN.md §10).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioStats {
    /// RTP packets (20 ms frames) sent towards the agent side.
    pub sent: u64,
    /// Packets received from the agent side.
    pub received: u64,
    /// dBFS of what it received during the last second; −127 for silence.
    pub level: f64,
}

impl AudioStats {
    pub fn silent() -> Self {
        Self {
            sent: 0,
            received: 0,
            level: super::sound::SILENCE_DBFS,
        }
    }
}

pub struct FarEnd {
    prompt: TonePattern,
    meter: LevelMeter,
    pub sent: u64,
    pub received: u64,
}

impl FarEnd {
    pub fn new() -> Self {
        Self {
            prompt: TonePattern::new(PROMPT, 0.25),
            meter: LevelMeter::default(),
            sent: 0,
            received: 0,
        }
    }

    /// Its next 20 ms, sent into the call.
    pub fn speak(&mut self) -> Frame {
        self.sent += 1;
        self.prompt.next_frame()
    }

    /// What reached it in this 20 ms slot, if anything.
    pub fn hear(&mut self, frame: Option<&Frame>) {
        if frame.is_some() {
            self.received += 1;
        }
        self.meter.push(frame);
    }

    pub fn stats(&self) -> AudioStats {
        AudioStats {
            sent: self.sent,
            received: self.received,
            level: self.meter.dbfs(),
        }
    }
}
