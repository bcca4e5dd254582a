//! Password checks, bounded. Argon2id costs tens of milliseconds and 19 MiB
//! of memory per check on purpose, which makes a login storm a memory
//! attack: checked on the runtime's blocking pool, 300 concurrent logins
//! held 300 × 19 MiB at once, and the allocator's per-thread arenas kept it.
//!
//! Here a fixed set of worker threads (about one per core) checks passwords,
//! each with its own Argon2 memory allocated once and reused, behind a
//! bounded queue. A check that finds the queue full is refused at once
//! ([`Busy`]): the caller answers "try again" instead of waiting, and memory
//! stays at `workers × 19 MiB` whatever arrives.

use std::{
    sync::{
        Arc, Mutex,
        mpsc::{self, SyncSender, TrySendError},
    },
    thread,
};

use tokio::sync::oneshot;

use super::credentials;

/// One password to check, and where its answer goes.
struct Job {
    stored: Option<String>,
    password: String,
    answer: oneshot::Sender<bool>,
}

/// Every worker is checking and the queue is full: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks at once")]
pub struct Busy;

/// The workers and their queue; cheap to share (clones share the workers).
#[derive(Clone)]
pub struct PasswordChecks {
    jobs: SyncSender<Job>,
}

impl PasswordChecks {
    /// `workers` threads (at least one) and room for `queue` checks waiting.
    /// The threads end when the last clone is dropped.
    pub fn start(workers: usize, queue: usize) -> Self {
        let (jobs, inbox) = mpsc::sync_channel::<Job>(queue);
        let inbox = Arc::new(Mutex::new(inbox));
        for n in 0..workers.max(1) {
            let inbox = inbox.clone();
            let spawned = thread::Builder::new()
                .name(format!("password-check-{n}"))
                .spawn(move || work(&inbox));
            if let Err(err) = spawned {
                tracing::error!(%err, "cannot start a password-check worker");
            }
        }
        Self { jobs }
    }

    /// One worker per core, and a queue of eight checks per worker: a check
    /// waits at most a few hundred milliseconds before it starts.
    pub fn per_core() -> Self {
        let workers = thread::available_parallelism().map_or(1, |n| n.get());
        Self::start(workers, workers * 8)
    }

    /// Whether `password` matches `stored` (see [`credentials::verify`]),
    /// or [`Busy`] at once when the queue is full.
    pub async fn verify(&self, stored: Option<String>, password: String) -> Result<bool, Busy> {
        let (answer, answered) = oneshot::channel();
        let job = Job {
            stored,
            password,
            answer,
        };
        match self.jobs.try_send(job) {
            Ok(()) => Ok(answered.await.unwrap_or(false)),
            Err(TrySendError::Full(_)) => Err(Busy),
            // No worker could start: no password can be checked.
            Err(TrySendError::Disconnected(_)) => Ok(false),
        }
    }
}

/// A worker: takes jobs until every sender is gone, with one Argon2 buffer.
fn work(inbox: &Mutex<mpsc::Receiver<Job>>) {
    let mut memory = Vec::new();
    loop {
        let job = {
            let Ok(inbox) = inbox.lock() else { return };
            match inbox.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        // The caller may have gone (its socket closed): skip the work.
        if job.answer.is_closed() {
            continue;
        }
        let matches = credentials::verify_in(job.stored.as_deref(), &job.password, &mut memory);
        let _ = job.answer.send(matches);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn checks_passwords_on_its_workers() {
        let checks = PasswordChecks::start(2, 4);
        let hash = credentials::hash_password("s3cret").unwrap();
        assert_eq!(
            checks.verify(Some(hash.clone()), "s3cret".into()).await,
            Ok(true)
        );
        assert_eq!(checks.verify(Some(hash), "nope".into()).await, Ok(false));
        assert_eq!(checks.verify(None, "s3cret".into()).await, Ok(false));
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_loses_no_accepted_check() {
        // One worker, room for one waiting: of many checks sent together,
        // the first two are taken and the rest refused without waiting.
        let checks = PasswordChecks::start(1, 1);
        let hash = credentials::hash_password("s3cret").unwrap();
        let answers = futures_util::future::join_all(
            (0..16).map(|_| checks.verify(Some(hash.clone()), "s3cret".into())),
        )
        .await;
        let accepted = answers.iter().filter(|a| **a == Ok(true)).count();
        let busy = answers.iter().filter(|a| **a == Err(Busy)).count();
        assert!(accepted >= 1, "{answers:?}");
        assert_eq!(accepted + busy, 16, "{answers:?}");
        assert!(busy >= 14, "{answers:?}");
        // Once the storm is over, checks go through again.
        assert_eq!(checks.verify(Some(hash), "s3cret".into()).await, Ok(true));
    }
}
