//! The simulated customer's voice: text to 8 kHz speech by Debian's
//! `espeak-ng` (it speaks at 22.05 kHz) resampled by `sox`, both run as
//! programs (no shell: the text is one argument). Used by
//! `POST /api/sim/calls/{callId}/say`.

use std::process::Stdio;

use tokio::{io::AsyncReadExt, process::Command};

/// The longest text the customer says at once, in characters.
pub const MAX_SAY: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("text must be 1–{MAX_SAY} characters")]
    BadText,
    #[error("speech synthesis needs {0} (Debian packages espeak-ng and sox): {1}")]
    Missing(&'static str, std::io::Error),
    #[error("speech synthesis failed: {0}")]
    Failed(String),
}

/// `text` spoken in US English (a female voice at 175 words a minute, the
/// clearest of espeak-ng's to a recogniser at 8 kHz), as 8 kHz samples.
pub async fn synthesize(text: &str) -> Result<Vec<i16>, SpeechError> {
    let length = text.trim().chars().count();
    if length == 0 || length > MAX_SAY {
        return Err(SpeechError::BadText);
    }
    let mut espeak = Command::new("espeak-ng")
        .args(["--stdout", "-v", "en-us+f2", "-s", "175", "--"])
        .arg(text)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| SpeechError::Missing("espeak-ng", e))?;
    let wav: Stdio = espeak
        .stdout
        .take()
        .and_then(|out| out.try_into().ok())
        .ok_or_else(|| SpeechError::Failed("no output from espeak-ng".into()))?;
    let samples = to_8khz(wav, "-").await;
    let spoke = espeak.wait().await;
    if !spoke.is_ok_and(|s| s.success()) {
        return Err(SpeechError::Failed("espeak-ng exited with an error".into()));
    }
    samples
}

/// A sound file (WAV, or any format sox reads) as 8 kHz samples: a flow's
/// recorded prompt.
pub async fn sound_file(path: &std::path::Path) -> Result<Vec<i16>, SpeechError> {
    let path = path
        .to_str()
        .ok_or_else(|| SpeechError::Failed(format!("{} is not a UTF-8 path", path.display())))?;
    to_8khz(Stdio::null(), path).await
}

/// Runs sox from `input` (`-` for `stdin`) to 8 kHz mono 16-bit samples.
async fn to_8khz(stdin: Stdio, input: &str) -> Result<Vec<i16>, SpeechError> {
    let mut sox = Command::new("sox")
        .args([
            "-t",
            "wav",
            input,
            "-t",
            "raw",
            "-r",
            "8000",
            "-e",
            "signed-integer",
        ])
        .args(["-b", "16", "-c", "1", "-L", "-"])
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| SpeechError::Missing("sox", e))?;
    let mut raw = vec![];
    if let Some(mut out) = sox.stdout.take() {
        out.read_to_end(&mut raw)
            .await
            .map_err(|e| SpeechError::Failed(e.to_string()))?;
    }
    if !sox.wait().await.is_ok_and(|s| s.success()) {
        return Err(SpeechError::Failed(format!("sox could not read {input}")));
    }
    Ok(raw
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect())
}
