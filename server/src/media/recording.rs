//! Call recording: the media plane hands every recorded call's two sides to
//! a writer every 20 ms, as it does for the Voice AI fork. The writer owns
//! one WAV file per call (8 kHz, 16-bit, two channels: the customer left,
//! the agents right, so speech analytics can tell them apart), written as
//! the call goes: the header is brought up to date every second, so a crash
//! loses at most that much and leaves a file that plays.
//!
//! WAV rather than Opus in Ogg: every browser plays it, it needs no codec
//! library, and the G.711 audio the calls carry is already narrowband, so
//! what the file costs is disk (1.92 MB a minute), not CPU
//! (BENCHMARKS.md "Recording").

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use tokio::sync::mpsc;

use super::sound::{FRAME_SAMPLES, Frame};
use crate::records::writer::{Job, Recorder};

/// The recordings' sample rate: the calls' own (G.711).
pub const SAMPLE_RATE: u32 = 8_000;

/// Frames between two header updates: a second.
const FLUSH_EVERY: u64 = 50;

/// Frames queued per recording before the engine starts losing them: five
/// seconds, for a disk that stalls.
pub const RECORDING_QUEUE: usize = 250;

/// One 20 ms of a recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingFrame {
    pub customer: Frame,
    pub agents: Frame,
}

/// The recordings' shared figures, for `/metrics`.
#[derive(Debug, Default)]
pub struct RecordingFigures {
    /// Recordings being written now.
    pub active: AtomicU64,
    /// Bytes of audio written, over all recordings.
    pub bytes: AtomicU64,
    /// 20 ms frames the writers could not take in time (lost, as silence
    /// would not be honest either).
    pub dropped: AtomicU64,
}

impl RecordingFigures {
    pub fn active(&self) -> u64 {
        self.active.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// A recording's file, as the database keeps it: stored when it opens,
/// and again when it closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingFile {
    pub call_id: String,
    /// Its name in the recordings directory.
    pub file: String,
    /// When it started (ms since the epoch).
    pub started_at: u64,
    /// How much audio it holds (0 until it closes).
    pub duration_ms: u64,
    /// Its size on disk (0 until it closes).
    pub bytes: u64,
}

/// Where recordings go, and how to start one.
#[derive(Clone)]
pub struct Recordings {
    dir: PathBuf,
    figures: Arc<RecordingFigures>,
    /// Where their files are listed (none in unit tests).
    recorder: Option<Recorder>,
}

impl std::fmt::Debug for Recordings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recordings")
            .field("dir", &self.dir)
            .finish()
    }
}

impl Recordings {
    pub fn new(dir: PathBuf, recorder: Option<Recorder>) -> Self {
        Self {
            dir,
            figures: Arc::default(),
            recorder,
        }
    }

    fn list(&self, file: &RecordingFile) {
        if let Some(recorder) = &self.recorder {
            recorder.send(Job::Recording(file.clone()));
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn figures(&self) -> &Arc<RecordingFigures> {
        &self.figures
    }

    /// Starts recording `call_id`: its frames go to the returned sender;
    /// dropping it closes the file. The writer runs on a blocking thread,
    /// so the mixer never waits on the disk.
    pub fn open(&self, call_id: &str) -> mpsc::Sender<RecordingFrame> {
        let (sender, frames) = mpsc::channel(RECORDING_QUEUE);
        let started_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut file = RecordingFile {
            call_id: call_id.to_string(),
            // The call's id, and when: unique even if a database is lost.
            file: format!("{call_id}-{started_at}.wav"),
            started_at,
            duration_ms: 0,
            bytes: 0,
        };
        self.list(&file);
        let path = self.dir.join(&file.file);
        let this = self.clone();
        this.figures.active.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            match write(&path, frames, &this.figures) {
                Ok(frames) => {
                    file.duration_ms = frames * 20;
                    file.bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
                    tracing::info!(
                        call = %file.call_id,
                        path = %path.display(),
                        seconds = frames as f64 / 50.0,
                        "recording closed"
                    );
                    this.list(&file);
                }
                Err(err) => tracing::error!(
                    call = %file.call_id,
                    path = %path.display(),
                    "recording failed: {err}"
                ),
            }
            this.figures.active.fetch_sub(1, Ordering::Relaxed);
        });
        sender
    }
}

/// Writes frames until the sender goes; returns how many were written.
fn write(
    path: &Path,
    mut frames: mpsc::Receiver<RecordingFrame>,
    figures: &RecordingFigures,
) -> Result<u64, hound::Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec)?;
    let mut written = 0u64;
    while let Some(frame) = frames.blocking_recv() {
        for (customer, agents) in frame.customer.iter().zip(&frame.agents) {
            writer.write_sample(*customer)?;
            writer.write_sample(*agents)?;
        }
        written += 1;
        figures
            .bytes
            .fetch_add(FRAME_SAMPLES as u64 * 4, Ordering::Relaxed);
        if written.is_multiple_of(FLUSH_EVERY) {
            writer.flush()?;
        }
    }
    writer.finalize()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_recording_has_the_customer_left_and_the_agents_right_and_plays_while_written() {
        let dir = tempfile::tempdir().unwrap();
        let recordings = Recordings::new(dir.path().to_path_buf(), None);
        let sender = recordings.open("C1");
        let frame = RecordingFrame {
            customer: [1000; FRAME_SAMPLES],
            agents: [-2000; FRAME_SAMPLES],
        };
        for _ in 0..FLUSH_EVERY {
            sender.send(frame.clone()).await.unwrap();
        }
        // The writer creates the file on its own thread.
        let path = loop {
            if let Some(entry) = std::fs::read_dir(dir.path()).unwrap().next() {
                break entry.unwrap().path();
            }
            tokio::task::yield_now().await;
        };
        assert!(
            path.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("C1-")
        );
        // Still being written: after a second of audio the header counts
        // it, and the file plays that far.
        let bytes = (FLUSH_EVERY as usize * FRAME_SAMPLES * 4) as u64;
        let counted = || hound::WavReader::open(&path).map_or(0, |r| r.len() as u64 * 2);
        while counted() < bytes {
            tokio::task::yield_now().await;
        }
        assert_eq!(counted(), bytes);
        drop(sender);
        while recordings.figures().active() > 0 {
            tokio::task::yield_now().await;
        }
        let mut reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.spec().channels, 2);
        assert_eq!(reader.spec().sample_rate, SAMPLE_RATE);
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(samples.len(), FLUSH_EVERY as usize * FRAME_SAMPLES * 2);
        assert!(samples.chunks(2).all(|s| s == [1000, -2000]));
        assert_eq!(recordings.figures().bytes(), bytes);
    }
}
