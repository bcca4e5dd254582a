//! The hub's time. The switch takes time as an input (`advance_to`); the hub
//! reads it from here: the system clock in production, or a manual clock
//! that a simulation moves on ([`Hub::advance_clock`]), so a whole working
//! day runs in seconds. With a manual clock the switch's timers and the
//! sessions' grace periods wait in [`Clock`] for the time to come instead of
//! in tokio.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use super::Hub;
use crate::switch::Timer;

/// Something the hub must do at a time of the manual clock.
#[derive(Debug, Clone)]
pub(super) enum Due {
    Timer(Timer),
    Grace {
        agent_id: String,
        generation: u64,
    },
    /// A flow's prompt has played to its caller.
    PromptPlayed {
        call_id: String,
        generation: u64,
    },
}

#[derive(Default)]
struct Manual {
    now_ms: AtomicU64,
    /// By time, then in the order they were set.
    due: Mutex<BTreeMap<(u64, u64), Due>>,
    set: AtomicU64,
}

/// The system clock, or a manual one shared by its clones.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<Manual>>);

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            None => f.write_str("Clock::System"),
            Some(m) => write!(f, "Clock::Manual({})", m.now_ms.load(Ordering::Relaxed)),
        }
    }
}

impl Clock {
    /// A manual clock showing `now_ms` (milliseconds since the epoch).
    pub fn manual(now_ms: u64) -> Self {
        let manual = Manual::default();
        manual.now_ms.store(now_ms, Ordering::Relaxed);
        Self(Some(Arc::new(manual)))
    }

    pub fn now_ms(&self) -> u64 {
        match &self.0 {
            Some(manual) => manual.now_ms.load(Ordering::Relaxed),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
        }
    }

    /// Keeps `due` for `at_ms` if the clock is manual; gives it back
    /// otherwise (the caller waits in tokio).
    pub(super) fn defer(&self, at_ms: u64, due: Due) -> Option<Due> {
        let Some(manual) = &self.0 else {
            return Some(due);
        };
        let n = manual.set.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut pending) = manual.due.lock() {
            pending.insert((at_ms, n), due);
        }
        None
    }

    /// The earliest thing due at or before `to_ms`, with the clock moved to
    /// its time; `None` (and the clock at `to_ms`) when nothing is left.
    fn next_due(&self, to_ms: u64) -> Option<Due> {
        let manual = self.0.as_ref()?;
        let next = manual.due.lock().ok().and_then(|mut pending| {
            let key = *pending.keys().next().filter(|(at, _)| *at <= to_ms)?;
            pending.remove(&key).map(|due| (key.0, due))
        });
        match next {
            Some((at, due)) => {
                manual.now_ms.fetch_max(at, Ordering::Relaxed);
                Some(due)
            }
            None => {
                manual.now_ms.fetch_max(to_ms, Ordering::Relaxed);
                None
            }
        }
    }
}

impl Hub {
    /// The hub's time now.
    pub(super) fn now_ms(&self) -> u64 {
        self.inner.config.clock.now_ms()
    }

    /// Moves a manual clock on to `to_ms`, doing on the way, in time order,
    /// what fell due: the switch's timers (wrap-up, ring-no-answer, the far
    /// end's answer) and the sessions' grace periods. Does nothing with the
    /// system clock.
    pub fn advance_clock(&self, to_ms: u64) {
        while let Some(due) = self.inner.config.clock.next_due(to_ms) {
            self.fire(due);
        }
    }
}
