//! `--recording-retention-days`: recordings older than that are deleted, at
//! start and then once a day. Each sweep that deletes something is in the
//! supervisors' audit log (who: `retention`), so what was deleted and when
//! is on record. The calls' records stay: only their audio goes.

use std::{
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use app::supervisor::{AuditEntry, SupervisorAction};

use super::{Job, Recorder, db::DbError};

/// Who the audit log says deleted them.
pub const RETENTION_ACTOR: &str = "retention";

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// Deletes, once a day from now, the recordings in `dir` started more than
/// `days` days ago.
pub fn start(recorder: Recorder, dir: PathBuf, days: u32) {
    tokio::spawn(async move {
        let mut daily = tokio::time::interval(Duration::from_millis(DAY_MS));
        loop {
            daily.tick().await;
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            if let Err(err) = sweep(&recorder, &dir, days, now).await {
                tracing::error!("the recordings' retention sweep failed: {err}");
            }
        }
    });
}

/// One sweep at `now` (ms since the epoch); returns how many recordings it
/// deleted. A file already gone counts as deleted; one that cannot be
/// deleted is kept listed, for the next sweep.
pub async fn sweep(recorder: &Recorder, dir: &Path, days: u32, now: u64) -> Result<usize, DbError> {
    let cutoff = now.saturating_sub(u64::from(days) * DAY_MS);
    let db = recorder.database();
    let mut deleted = 0;
    for file in db.recordings_before(cutoff).await? {
        match std::fs::remove_file(dir.join(&file.file)) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                tracing::error!(file = %file.file, "cannot delete a recording: {err}");
                continue;
            }
        }
        db.delete_recording(&file.call_id).await?;
        deleted += 1;
    }
    if deleted > 0 {
        tracing::info!(deleted, days, "recordings past their retention deleted");
        recorder.send(Job::Audit(AuditEntry {
            at: now,
            supervisor_id: RETENTION_ACTOR.to_string(),
            action: SupervisorAction::DeleteRecordings,
            agent_id: String::new(),
            reason: format!("{deleted} recordings older than {days} days"),
        }));
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{media::recording::RecordingFile, records::Database};

    #[tokio::test]
    async fn a_sweep_deletes_the_old_files_and_their_rows_and_is_audited() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open("sqlite::memory:").await.unwrap();
        let recorder = Recorder::start(db.clone());
        let now = 100 * DAY_MS;
        for (call_id, age_days) in [("C1", 31), ("C2", 29), ("C3", 40)] {
            let file = RecordingFile {
                call_id: call_id.into(),
                file: format!("{call_id}-1.wav"),
                started_at: now - age_days * DAY_MS,
                duration_ms: 1000,
                bytes: 16_044,
            };
            std::fs::write(dir.path().join(&file.file), b"RIFF").unwrap();
            db.upsert_recording(&file).await.unwrap();
        }
        // C3's file is gone already (deleted by hand): still forgotten.
        std::fs::remove_file(dir.path().join("C3-1.wav")).unwrap();

        assert_eq!(sweep(&recorder, dir.path(), 30, now).await.unwrap(), 2);

        assert!(!dir.path().join("C1-1.wav").exists());
        assert!(dir.path().join("C2-1.wav").exists(), "29 days old: kept");
        assert!(db.recording_file("C1").await.unwrap().is_none());
        assert!(db.recording_file("C3").await.unwrap().is_none());
        assert!(db.recording_file("C2").await.unwrap().is_some());
        recorder.flush(Duration::from_secs(5)).await;
        let audit = db.audit(10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, SupervisorAction::DeleteRecordings);
        assert_eq!(audit[0].supervisor_id, RETENTION_ACTOR);
        assert_eq!(audit[0].reason, "2 recordings older than 30 days");
        // Nothing left to delete: nothing audited.
        assert_eq!(sweep(&recorder, dir.path(), 30, now).await.unwrap(), 0);
    }
}
