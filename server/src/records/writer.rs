//! The one writer of the database. The switch runs under a lock and must
//! never wait for a disk: it hands its records to [`Recorder::send`], which
//! queues them (bounded) for a task that writes them in order. A write that
//! fails is logged, counted and retried until it succeeds, so a full or
//! read-only disk loses nothing while it lasts, up to a bound; what is lost
//! past the bound is logged, never silent. `/healthz` reports the figures.

use std::{
    collections::VecDeque,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use serde::Serialize;
use tokio::sync::mpsc::{self, error::TrySendError};

use super::db::{Database, DbError, SavedSession};
use crate::switch::{CallRecord, WrapUpRecord};

/// Jobs waiting in the channel before `send` reports a loss.
const QUEUE_CAPACITY: usize = 4096;
/// Jobs kept for retry while writes fail, before the oldest is dropped.
const MAX_PENDING: usize = 100_000;
/// How long the writer waits before retrying after a failed write.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// Something to store.
#[derive(Debug, Clone)]
pub enum Job {
    Call(CallRecord),
    WrapUp(WrapUpRecord),
    SaveSession(SavedSession),
    EndSession(String),
    /// The highest call number used so far.
    CallNumber(u64),
}

impl Job {
    fn describe(&self) -> String {
        match self {
            Self::Call(r) => format!("the record of call {}", r.call_id),
            Self::WrapUp(w) => format!("agent {}'s wrap-up of {:?}", w.agent_id, w.call_ids),
            Self::SaveSession(s) => format!("agent {}'s session", s.agent.agent_id),
            Self::EndSession(agent) => format!("the end of agent {agent}'s session"),
            Self::CallNumber(n) => format!("call number {n}"),
        }
    }

    async fn apply(&self, db: &Database) -> Result<(), DbError> {
        match self {
            Self::Call(record) => db.insert_call(record).await,
            Self::WrapUp(record) => db.apply_wrap_up(record).await,
            Self::SaveSession(session) => db.save_session(session).await,
            Self::EndSession(agent) => db.delete_session(agent).await,
            Self::CallNumber(n) => db.save_call_number(*n).await,
        }
    }
}

/// The writer's figures, as `/healthz` shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriterHealth {
    /// Jobs accepted and not yet written.
    pub backlog: u64,
    /// Writes that failed (each is retried).
    pub failed_writes: u64,
    /// Jobs lost because the queue or the retry list was full.
    pub dropped: u64,
}

#[derive(Default)]
struct Stats {
    backlog: AtomicU64,
    failed_writes: AtomicU64,
    dropped: AtomicU64,
}

/// The handle the hub sends jobs through.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Job>,
    stats: Arc<Stats>,
    db: Database,
}

impl Recorder {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(db: Database) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(Stats::default());
        tokio::spawn(write_loop(db.clone(), rx, stats.clone()));
        Self { tx, stats, db }
    }

    /// The database, for reads (history, restore).
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Queues a job; never waits.
    pub fn send(&self, job: Job) {
        self.stats.backlog.fetch_add(1, Ordering::Relaxed);
        if let Err(err) = self.tx.try_send(job) {
            let (reason, job) = match err {
                TrySendError::Full(job) => ("the record queue is full", job),
                TrySendError::Closed(job) => ("the record writer has stopped", job),
            };
            self.stats.backlog.fetch_sub(1, Ordering::Relaxed);
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::error!("{reason}: {} is lost", job.describe());
        }
    }

    pub fn health(&self) -> WriterHealth {
        WriterHealth {
            backlog: self.stats.backlog.load(Ordering::Relaxed),
            failed_writes: self.stats.failed_writes.load(Ordering::Relaxed),
            dropped: self.stats.dropped.load(Ordering::Relaxed),
        }
    }

    /// Waits until everything queued is written, for at most `limit`
    /// (shutdown; tests).
    pub async fn flush(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while self.stats.backlog.load(Ordering::Relaxed) > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

async fn write_loop(db: Database, mut rx: mpsc::Receiver<Job>, stats: Arc<Stats>) {
    let mut pending: VecDeque<Job> = VecDeque::new();
    let mut open = true;
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some(job) => pending.push_back(job),
                None => return,
            }
        } else if open {
            // Writes are failing: wait for news or the retry time.
            tokio::select! {
                job = rx.recv() => match job {
                    Some(job) => pending.push_back(job),
                    None => open = false,
                },
                () = tokio::time::sleep(RETRY_AFTER) => {}
            }
        } else {
            tokio::time::sleep(RETRY_AFTER).await;
        }
        while let Ok(job) = rx.try_recv() {
            pending.push_back(job);
        }
        while pending.len() > MAX_PENDING {
            if let Some(job) = pending.pop_front() {
                stats.backlog.fetch_sub(1, Ordering::Relaxed);
                stats.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    "{MAX_PENDING} records wait for a failing database: {} is lost",
                    job.describe()
                );
            }
        }
        while let Some(job) = pending.front() {
            match job.apply(&db).await {
                Ok(()) => {
                    pending.pop_front();
                    stats.backlog.fetch_sub(1, Ordering::Relaxed);
                }
                Err(err) => {
                    stats.failed_writes.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(
                        backlog = pending.len(),
                        "cannot store {}: {err}; will retry",
                        job.describe()
                    );
                    break;
                }
            }
        }
    }
}
