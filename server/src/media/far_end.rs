//! A simulated party on the public network as a media endpoint: it plays
//! its prompt into the call (or speaks what it was given to say) and
//! measures what it hears.

use std::collections::VecDeque;

use serde::Serialize;

use super::sound::{FRAME_SAMPLES, Frame, LevelMeter, PROMPT, TonePattern};

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

/// The pause before the first words: a second.
const LEAD_IN_SAMPLES: usize = 8_000;

pub struct FarEnd {
    prompt: TonePattern,
    /// Speech still to say (8 kHz samples).
    speech: VecDeque<i16>,
    /// Once it has spoken, it stops beeping: a customer who talks is quiet
    /// between sentences (and a speech recogniser hears no tones).
    has_spoken: bool,
    meter: LevelMeter,
    pub sent: u64,
    pub received: u64,
}

impl FarEnd {
    pub fn new() -> Self {
        Self {
            prompt: TonePattern::new(PROMPT, 0.25),
            speech: VecDeque::new(),
            has_spoken: false,
            meter: LevelMeter::default(),
            sent: 0,
            received: 0,
        }
    }

    /// A source that says only what it is told, from the first word:
    /// a flow's prompt player.
    pub fn player() -> Self {
        Self {
            has_spoken: true,
            ..Self::new()
        }
    }

    /// Its next 20 ms, sent into the call.
    pub fn speak(&mut self) -> Frame {
        self.sent += 1;
        if self.has_spoken {
            let mut frame = [0; FRAME_SAMPLES];
            let n = self.speech.len().min(FRAME_SAMPLES);
            for (slot, sample) in frame.iter_mut().zip(self.speech.drain(..n)) {
                *slot = sample;
            }
            frame
        } else {
            self.prompt.next_frame()
        }
    }

    /// Queues speech (8 kHz samples) after what it is already saying. The
    /// first speech follows a pause after the prompt, as a caller's does
    /// (and a recogniser hears the prompt and the words apart).
    pub fn say(&mut self, samples: &[i16]) {
        if !self.has_spoken {
            self.has_spoken = true;
            self.speech.extend([0; LEAD_IN_SAMPLES]);
        }
        self.speech.extend(samples);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_replaces_the_prompt_and_silence_follows_it() {
        let mut far_end = FarEnd::new();
        assert!(far_end.speak().iter().any(|&s| s != 0), "the prompt sounds");
        far_end.say(&[1000; FRAME_SAMPLES + 10]);
        for _ in 0..LEAD_IN_SAMPLES / FRAME_SAMPLES {
            assert!(far_end.speak().iter().all(|&s| s == 0), "a pause first");
        }
        assert!(far_end.speak().iter().all(|&s| s == 1000));
        let tail = far_end.speak();
        assert!(tail[..10].iter().all(|&s| s == 1000));
        assert!(tail[10..].iter().all(|&s| s == 0), "padded with silence");
        assert!(
            far_end.speak().iter().all(|&s| s == 0),
            "no prompt after speech"
        );
        assert_eq!(far_end.stats().sent, 4 + 50);
    }
}
