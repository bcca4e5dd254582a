//! The one writer of the database. The switch runs under a lock and must
//! never wait for a disk: it hands its records to [`Recorder::send`], which
//! queues them (bounded) for a task that writes them in order. A write that
//! fails is logged, counted and retried until it succeeds, so a full or
//! read-only disk loses nothing while it lasts, up to a bound; what is lost
//! past the bound is logged, never silent. `/healthz` reports the figures.
//!
//! Sessions and the call numbering are state, not history: only the latest
//! value of each counts. They do not go through the queue: `send` keeps the
//! latest value aside (one entry per agent) and wakes the writer, which
//! writes them in one transaction per round. A login storm (thousands of
//! agents logging in, each changing state twice) then costs a few batched
//! writes instead of filling the queue and pushing call records out of it.

use std::{
    collections::{HashMap, VecDeque, hash_map::Entry},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use serde::Serialize;
use tokio::sync::{
    Notify,
    mpsc::{self, error::TrySendError},
};

use app::supervisor::AuditEntry;

use super::db::{Database, DbError, SavedSession};
use crate::{
    media::recording::RecordingFile,
    switch::{CallRecord, WrapUpRecord},
};

/// Jobs waiting in the channel before `send` reports a loss.
const QUEUE_CAPACITY: usize = 4096;
/// Ordered jobs written between two drains of the channel.
const WRITES_PER_ROUND: usize = 64;
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
    /// A supervisor's action on an agent.
    Audit(AuditEntry),
    /// A recording's file opened or closed.
    Recording(RecordingFile),
}

/// A job that is history, written in order through the queue (the others
/// are state: see [`Recorder::send`]).
#[derive(Debug)]
enum Record {
    Call(CallRecord),
    WrapUp(WrapUpRecord),
    Audit(AuditEntry),
    Recording(RecordingFile),
}

impl Record {
    fn describe(&self) -> String {
        match self {
            Self::Call(r) => format!("the record of call {}", r.call_id),
            Self::WrapUp(w) => format!("agent {}'s wrap-up of {:?}", w.agent_id, w.call_ids),
            Self::Audit(a) => format!(
                "supervisor {}'s {} of agent {}",
                a.supervisor_id,
                a.action.as_str(),
                a.agent_id
            ),
            Self::Recording(r) => format!("the recording file of call {}", r.call_id),
        }
    }

    async fn apply(&self, db: &Database) -> Result<(), DbError> {
        match self {
            Self::Call(record) => db.insert_call(record).await,
            Self::WrapUp(record) => db.apply_wrap_up(record).await,
            Self::Audit(entry) => db.insert_audit(entry).await,
            Self::Recording(file) => db.upsert_recording(file).await,
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

/// The latest state not yet written, and the writer's wake-up call.
#[derive(Default)]
struct Latest {
    state: Mutex<State>,
    changed: Notify,
}

/// Sessions by agent (`None`: forget it), and the highest call number.
#[derive(Default)]
struct State {
    sessions: HashMap<String, Option<SavedSession>>,
    call_number: Option<u64>,
}

impl State {
    fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.call_number.is_none()
    }
}

/// The handle the hub sends jobs through.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Record>,
    stats: Arc<Stats>,
    latest: Arc<Latest>,
    db: Database,
}

impl Recorder {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(db: Database) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(Stats::default());
        let latest = Arc::new(Latest::default());
        tokio::spawn(write_loop(db.clone(), rx, stats.clone(), latest.clone()));
        Self {
            tx,
            stats,
            latest,
            db,
        }
    }

    /// The database, for reads (history, restore).
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Queues a job (or, for state, keeps its latest value); never waits.
    pub fn send(&self, job: Job) {
        let record = match job {
            Job::Call(record) => Record::Call(record),
            Job::WrapUp(record) => Record::WrapUp(record),
            Job::Audit(entry) => Record::Audit(entry),
            Job::Recording(file) => Record::Recording(file),
            Job::SaveSession(session) => {
                let agent = session.agent.agent_id.clone();
                return self.keep(|state| state.sessions.insert(agent, Some(session)).is_some());
            }
            Job::EndSession(agent) => {
                return self.keep(|state| state.sessions.insert(agent, None).is_some());
            }
            Job::CallNumber(n) => {
                return self.keep(|state| {
                    let before = state.call_number.replace(n);
                    state.call_number = before.max(Some(n));
                    before.is_some()
                });
            }
        };
        self.stats.backlog.fetch_add(1, Ordering::Relaxed);
        if let Err(err) = self.tx.try_send(record) {
            let (reason, record) = match err {
                TrySendError::Full(record) => ("the record queue is full", record),
                TrySendError::Closed(record) => ("the record writer has stopped", record),
            };
            self.stats.backlog.fetch_sub(1, Ordering::Relaxed);
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::error!("{reason}: {} is lost", record.describe());
        }
    }

    /// Applies a state change; `update` says whether it replaced one not
    /// yet written (the backlog then stays as it was).
    fn keep(&self, update: impl FnOnce(&mut State) -> bool) {
        let replaced = update(&mut self.latest.state.lock().unwrap_or_else(|p| p.into_inner()));
        if !replaced {
            self.stats.backlog.fetch_add(1, Ordering::Relaxed);
        }
        self.latest.changed.notify_one();
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

/// Writes the latest state, in one transaction for the sessions; `false`
/// when a write failed (what failed waits for the retry, unless a newer
/// value came meanwhile).
async fn write_state(db: &Database, latest: &Latest, stats: &Stats) -> bool {
    let taken = std::mem::take(&mut *latest.state.lock().unwrap_or_else(|p| p.into_inner()));
    let mut ok = true;
    let mut back = State::default();
    if !taken.sessions.is_empty() {
        let changes: Vec<_> = taken.sessions.into_iter().collect();
        match db.apply_sessions(&changes).await {
            Ok(()) => {
                stats
                    .backlog
                    .fetch_sub(changes.len() as u64, Ordering::Relaxed);
            }
            Err(err) => {
                failed(stats, &format!("{} agents' sessions", changes.len()), &err);
                back.sessions = changes.into_iter().collect();
                ok = false;
            }
        }
    }
    if let Some(n) = taken.call_number {
        match db.save_call_number(n).await {
            Ok(()) => {
                stats.backlog.fetch_sub(1, Ordering::Relaxed);
            }
            Err(err) => {
                failed(stats, &format!("call number {n}"), &err);
                back.call_number = Some(n);
                ok = false;
            }
        }
    }
    if !back.is_empty() {
        let mut state = latest.state.lock().unwrap_or_else(|p| p.into_inner());
        for (agent, change) in back.sessions {
            // A newer change that came meanwhile wins over the failed one.
            match state.sessions.entry(agent) {
                Entry::Vacant(slot) => {
                    slot.insert(change);
                }
                Entry::Occupied(_) => {
                    stats.backlog.fetch_sub(1, Ordering::Relaxed);
                }
            }
        }
        if let Some(n) = back.call_number {
            if state.call_number.is_some() {
                stats.backlog.fetch_sub(1, Ordering::Relaxed);
            }
            state.call_number = state.call_number.max(Some(n));
        }
    }
    ok
}

fn failed(stats: &Stats, what: &str, err: &DbError) {
    stats.failed_writes.fetch_add(1, Ordering::Relaxed);
    tracing::error!("cannot store {what}: {err}; will retry");
}

async fn write_loop(
    db: Database,
    mut rx: mpsc::Receiver<Record>,
    stats: Arc<Stats>,
    latest: Arc<Latest>,
) {
    let mut pending: VecDeque<Record> = VecDeque::new();
    let mut open = true;
    let mut healthy = true;
    loop {
        let state_waits = !latest
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty();
        if pending.is_empty() && (healthy || !state_waits) {
            if !state_waits {
                tokio::select! {
                    job = rx.recv(), if open => match job {
                        Some(job) => pending.push_back(job),
                        None => open = false,
                    },
                    () = latest.changed.notified() => {}
                }
                if !open && pending.is_empty() {
                    return;
                }
            }
        } else if !healthy {
            // Writes are failing: wait for news or the retry time.
            tokio::select! {
                job = rx.recv(), if open => match job {
                    Some(job) => pending.push_back(job),
                    None => open = false,
                },
                () = tokio::time::sleep(RETRY_AFTER) => {}
            }
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
        healthy = write_state(&db, &latest, &stats).await;
        if !healthy {
            continue;
        }
        // Records in order, a few at a time, so that the channel is read
        // (and state written) between them.
        for _ in 0..WRITES_PER_ROUND {
            let Some(job) = pending.front() else {
                break;
            };
            if let Err(err) = job.apply(&db).await {
                failed(&stats, &job.describe(), &err);
                healthy = false;
                break;
            }
            pending.pop_front();
            stats.backlog.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use app::{
        opencti::{events::WorkMode, functions::TelephonyMode},
        wire::native::AgentStatus,
    };

    use super::*;
    use crate::switch::SavedAgent;

    fn session(agent: usize, last_seq: u64) -> SavedSession {
        SavedSession {
            agent: SavedAgent {
                agent_id: format!("a{agent}"),
                extension: format!("{}", 3000 + agent),
                mode: TelephonyMode::Full,
                status: AgentStatus::Ready,
                reason: String::new(),
                work_mode: WorkMode::AutoIn,
                since: last_seq,
                wrap_up_ends_at: None,
                resume_status: AgentStatus::Ready,
                resume_reason: String::new(),
            },
            tokens: vec![],
            last_seq,
        }
    }

    /// A login storm: far more session changes than the queue holds, sent
    /// without waiting, lose nothing; the database ends with each agent's
    /// latest state.
    #[tokio::test]
    async fn a_storm_of_session_changes_is_coalesced_not_dropped() {
        let db = Database::open("sqlite::memory:").await.unwrap();
        let recorder = Recorder::start(db.clone());
        let agents = 500;
        let rounds = 3 * QUEUE_CAPACITY / agents + 1;
        for round in 1..=rounds as u64 {
            for agent in 0..agents {
                recorder.send(Job::SaveSession(session(agent, round)));
                recorder.send(Job::CallNumber(round * 1000 + agent as u64));
            }
            // Let the writer run between rounds, as the runtime would.
            tokio::task::yield_now().await;
        }
        recorder.send(Job::EndSession("a0".into()));
        assert!(recorder.flush(Duration::from_secs(30)).await);
        let health = recorder.health();
        assert_eq!((health.dropped, health.backlog), (0, 0), "{health:?}");
        let stored = db.sessions().await.unwrap();
        assert_eq!(stored.len(), agents - 1);
        assert!(stored.iter().all(|s| s.last_seq == rounds as u64));
        assert_eq!(
            db.last_call_number().await.unwrap(),
            rounds as u64 * 1000 + agents as u64 - 1
        );
    }
}
