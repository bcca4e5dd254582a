//! 20 ms frames of 8 kHz linear audio: generated tones, mixing, and the
//! level of what an endpoint hears.

use std::collections::VecDeque;

/// Samples a second (G.711's rate, so the mixer never resamples).
pub const SAMPLE_RATE: u64 = 8_000;
/// Samples in a 20 ms frame: one RTP packet.
pub const FRAME_SAMPLES: usize = 160;
/// Frames a second.
pub const FRAMES_PER_SECOND: usize = 50;

pub type Frame = [i16; FRAME_SAMPLES];

/// The level reported for silence (dBFS), as WebRTC statistics do.
pub const SILENCE_DBFS: f64 = -127.0;

/// A repeating pattern of tones: (frequency in Hz, or 0 for a pause;
/// duration in ms).
#[derive(Debug, Clone)]
pub struct TonePattern {
    steps: &'static [(f64, u64)],
    amplitude: f64,
    position: u64,
}

/// The simulated customer's prompt: two rising beeps and a pause, a second
/// in all (about −15 dBFS while sounding).
pub const PROMPT: &[(f64, u64)] = &[(600.0, 300), (800.0, 300), (0.0, 400)];
/// Music on hold: a gentle two-note alternation, never silent.
pub const HOLD_TONE: &[(f64, u64)] = &[(440.0, 500), (554.4, 500)];

impl TonePattern {
    pub fn new(steps: &'static [(f64, u64)], amplitude: f64) -> Self {
        Self {
            steps,
            amplitude,
            position: 0,
        }
    }

    /// The next 20 ms of the pattern.
    pub fn next_frame(&mut self) -> Frame {
        let period: u64 = self
            .steps
            .iter()
            .map(|(_, ms)| ms * SAMPLE_RATE / 1000)
            .sum();
        let mut frame = [0; FRAME_SAMPLES];
        for sample in frame.iter_mut() {
            let mut at = self.position % period.max(1);
            let mut frequency = 0.0;
            for (hz, ms) in self.steps {
                let length = ms * SAMPLE_RATE / 1000;
                if at < length {
                    frequency = *hz;
                    break;
                }
                at -= length;
            }
            let phase =
                std::f64::consts::TAU * frequency * self.position as f64 / SAMPLE_RATE as f64;
            *sample = (phase.sin() * self.amplitude * f64::from(i16::MAX)) as i16;
            self.position += 1;
        }
        frame
    }
}

/// Adds frames together, clipping at full scale.
pub fn mix<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> Option<Frame> {
    let mut sum = [0i32; FRAME_SAMPLES];
    let mut any = false;
    for frame in frames {
        any = true;
        for (acc, &s) in sum.iter_mut().zip(frame.iter()) {
            *acc += i32::from(s);
        }
    }
    any.then(|| sum.map(|s| s.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16))
}

/// The level of what an endpoint received during the last second: frames
/// that did not come count as silence.
#[derive(Debug, Clone, Default)]
pub struct LevelMeter {
    energies: VecDeque<f64>,
}

impl LevelMeter {
    /// Records one 20 ms slot: the frame received in it, if any.
    pub fn push(&mut self, frame: Option<&Frame>) {
        let energy = frame.map_or(0.0, |f| {
            f.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / FRAME_SAMPLES as f64
        });
        if self.energies.len() == FRAMES_PER_SECOND {
            self.energies.pop_front();
        }
        self.energies.push_back(energy);
    }

    /// RMS level in dBFS over the last second (−127 for silence), to 0.1 dB.
    pub fn dbfs(&self) -> f64 {
        let mean = self.energies.iter().sum::<f64>() / FRAMES_PER_SECOND as f64;
        let full_scale = f64::from(i16::MAX);
        let level = 10.0 * (mean / (full_scale * full_scale)).log10();
        if level.is_finite() {
            (level.max(SILENCE_DBFS) * 10.0).round() / 10.0
        } else {
            SILENCE_DBFS
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sine_at_half_scale_is_about_minus_9_dbfs() {
        let mut tone = TonePattern::new(&[(1000.0, 1000)], 0.5);
        let mut meter = LevelMeter::default();
        for _ in 0..FRAMES_PER_SECOND {
            meter.push(Some(&tone.next_frame()));
        }
        // A sine's RMS is its peak / √2: −6 dB − 3 dB.
        assert!((meter.dbfs() + 9.0).abs() < 0.2, "{}", meter.dbfs());
    }

    #[test]
    fn silence_and_missing_frames_are_minus_127() {
        let mut meter = LevelMeter::default();
        assert_eq!(meter.dbfs(), SILENCE_DBFS);
        meter.push(Some(&[0; FRAME_SAMPLES]));
        meter.push(None);
        assert_eq!(meter.dbfs(), SILENCE_DBFS);
    }

    #[test]
    fn the_level_follows_the_last_second_only() {
        let mut tone = TonePattern::new(HOLD_TONE, 0.2);
        let mut meter = LevelMeter::default();
        for _ in 0..FRAMES_PER_SECOND {
            meter.push(Some(&tone.next_frame()));
        }
        assert!(meter.dbfs() > -40.0);
        for _ in 0..FRAMES_PER_SECOND {
            meter.push(None);
        }
        assert_eq!(meter.dbfs(), SILENCE_DBFS);
    }

    #[test]
    fn the_prompt_pauses_and_the_hold_tone_does_not() {
        let mut prompt = TonePattern::new(PROMPT, 0.25);
        let frames: Vec<Frame> = (0..FRAMES_PER_SECOND)
            .map(|_| prompt.next_frame())
            .collect();
        assert!(frames[5].iter().any(|&s| s != 0));
        assert!(frames[40].iter().all(|&s| s == 0));
        let mut hold = TonePattern::new(HOLD_TONE, 0.2);
        assert!((0..100).all(|_| hold.next_frame().iter().any(|&s| s != 0)));
    }

    #[test]
    fn mixing_adds_and_clips() {
        let loud = [30_000i16; FRAME_SAMPLES];
        let mixed = mix([&loud, &loud]).unwrap();
        assert_eq!(mixed[0], i16::MAX);
        assert_eq!(
            mix([&[1; FRAME_SAMPLES], &[2; FRAME_SAMPLES]]).unwrap()[0],
            3
        );
        assert!(mix(std::iter::empty()).is_none());
    }
}
