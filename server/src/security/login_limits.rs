//! Failed logins, counted per agent ID and per client address: after
//! [`MAX_FAILURES_PER_AGENT`] failures within [`WINDOW`] (an address:
//! [`MAX_FAILURES_PER_ADDRESS`], since a whole floor of agents may share one
//! NAT or proxy), that agent ID (or address) is locked out for
//! [`FIRST_LOCKOUT`], doubling with each further lockout up to
//! [`MAX_LOCKOUT`]. A locked-out login is refused before its password is
//! checked, with the same answer as a wrong password.
//!
//! An attempt counts from the moment it arrives, not when its password check
//! ends ([`LoginLimits::begin`]): checks in flight count as failures until
//! they are known, so a burst of concurrent guesses cannot all pass the
//! limit before the first of them fails. A success gives its address's
//! count back.
//!
//! Counting per agent stops a password guesser spread over many addresses;
//! counting per address stops one address trying many agents. A success
//! clears its agent's count, not its address's (an attacker with one
//! account of their own cannot wash their address's failures away).

use std::{
    collections::HashMap,
    net::IpAddr,
    time::{Duration, Instant},
};

/// Failures of one agent ID within [`WINDOW`] that lock it out.
pub const MAX_FAILURES_PER_AGENT: u32 = 5;
/// Failures from one address within [`WINDOW`] that lock it out.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// The window the failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The first lockout; each further one doubles it.
pub const FIRST_LOCKOUT: Duration = Duration::from_secs(30);
/// The longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Entries kept at most; past this, the stalest are forgotten first.
const MAX_ENTRIES: usize = 100_000;

/// What failures are counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Agent(String),
    Address(IpAddr),
}

#[derive(Debug, Clone)]
struct Entry {
    window_started: Instant,
    failures: u32,
    /// Attempts begun and not yet known to fail or succeed.
    pending: u32,
    locked_until: Option<Instant>,
    /// Lockouts so far: the next one lasts `FIRST_LOCKOUT × 2^lockouts`.
    lockouts: u32,
    last_seen: Instant,
}

/// Why [`LoginLimits::begin`] did not start an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotNow {
    /// Locked out: the same answer as a wrong password.
    LockedOut(LockedOut),
    /// As many attempts are being checked as the limit has room for: their
    /// outcome decides; try again in a moment (agents behind one NAT
    /// logging in together get in this way, guessers get no more checks).
    Crowded,
}

/// A refused attempt: locked out until `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LockedOut {
    pub until: Instant,
}

/// The counts; the caller owns the clock (`now`), so tests need no sleeps.
#[derive(Debug, Default)]
pub struct LoginLimits {
    entries: HashMap<Key, Entry>,
}

impl LoginLimits {
    /// Counts an attempt of `agent` from `address` as it arrives, unless one
    /// of them is locked out or already has as many failures and attempts in
    /// flight as its limit. End it with [`Self::failed`], [`Self::succeeded`]
    /// or [`Self::abandoned`].
    pub fn begin(
        &mut self,
        agent: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), NotNow> {
        self.check(agent, address, now).map_err(NotNow::LockedOut)?;
        let full = keys(agent, address).any(|key| {
            self.entries.get(&key).is_some_and(|e| {
                let failures = if now.duration_since(e.window_started) > WINDOW {
                    0
                } else {
                    e.failures
                };
                failures + e.pending >= limit(&key)
            })
        });
        if full {
            return Err(NotNow::Crowded);
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.forget_stalest(now);
        }
        for key in keys(agent, address) {
            let entry = self.entries.entry(key).or_insert_with(|| Entry::new(now));
            entry.pending += 1;
            entry.last_seen = now;
        }
        Ok(())
    }

    /// Whether a login of `agent` from `address` may be tried now.
    pub fn check(
        &self,
        agent: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), LockedOut> {
        let locked = keys(agent, address)
            .filter_map(|key| self.entries.get(&key)?.locked_until)
            .filter(|until| *until > now)
            .max();
        match locked {
            Some(until) => Err(LockedOut { until }),
            None => Ok(()),
        }
    }

    /// Counts a failed login (begun or not); returns the lockout it
    /// started, if any.
    pub fn failed(
        &mut self,
        agent: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Option<LockedOut> {
        if self.entries.len() >= MAX_ENTRIES {
            self.forget_stalest(now);
        }
        let mut started = None;
        for key in keys(agent, address) {
            let entry = self
                .entries
                .entry(key.clone())
                .or_insert_with(|| Entry::new(now));
            entry.pending = entry.pending.saturating_sub(1);
            entry.last_seen = now;
            if now.duration_since(entry.window_started) > WINDOW {
                entry.window_started = now;
                entry.failures = 0;
            }
            entry.failures += 1;
            if entry.failures >= limit(&key) {
                let lockout = FIRST_LOCKOUT
                    .saturating_mul(1 << entry.lockouts.min(16))
                    .min(MAX_LOCKOUT);
                let until = now + lockout;
                entry.locked_until = Some(until);
                entry.lockouts += 1;
                entry.failures = 0;
                entry.window_started = now;
                started = started.max(Some(LockedOut { until }));
            }
        }
        started
    }

    /// A successful login clears its agent's count (not its address's
    /// failures: only its own attempt is given back).
    pub fn succeeded(&mut self, agent: &str, address: Option<IpAddr>) {
        self.entries.remove(&Key::Agent(agent.to_string()));
        self.abandoned(agent, address);
    }

    /// A begun attempt that was never decided (the check could not run):
    /// it no longer counts.
    pub fn abandoned(&mut self, agent: &str, address: Option<IpAddr>) {
        for key in keys(agent, address) {
            if let Some(entry) = self.entries.get_mut(&key) {
                entry.pending = entry.pending.saturating_sub(1);
            }
        }
    }

    /// Drops entries that no longer count (window over, lockout over, and
    /// quiet for longer than the longest lockout), then the oldest.
    fn forget_stalest(&mut self, now: Instant) {
        self.entries.retain(|_, e| {
            e.pending > 0 || now.duration_since(e.last_seen) < MAX_LOCKOUT.max(WINDOW)
        });
        if self.entries.len() >= MAX_ENTRIES {
            let mut ages: Vec<_> = self.entries.values().map(|e| e.last_seen).collect();
            ages.sort_unstable();
            let cutoff = ages[ages.len() / 2];
            self.entries.retain(|_, e| e.last_seen > cutoff);
        }
    }
}

impl Entry {
    fn new(now: Instant) -> Self {
        Self {
            window_started: now,
            failures: 0,
            pending: 0,
            locked_until: None,
            lockouts: 0,
            last_seen: now,
        }
    }
}

fn limit(key: &Key) -> u32 {
    match key {
        Key::Agent(_) => MAX_FAILURES_PER_AGENT,
        Key::Address(_) => MAX_FAILURES_PER_ADDRESS,
    }
}

fn keys(agent: &str, address: Option<IpAddr>) -> impl Iterator<Item = Key> {
    std::iter::once(Key::Agent(agent.to_string())).chain(address.map(Key::Address))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn five_failures_lock_the_agent_out_with_a_growing_delay() {
        let mut limits = LoginLimits::default();
        let t0 = Instant::now();
        for i in 0..4 {
            assert_eq!(limits.failed("1001", ip(i), t0), None);
            assert!(limits.check("1001", ip(i), t0).is_ok());
        }
        let first = limits.failed("1001", ip(9), t0).unwrap();
        assert_eq!(first.until, t0 + FIRST_LOCKOUT);
        // Locked from any address, and not other agents.
        assert!(limits.check("1001", ip(200), t0).is_err());
        assert!(limits.check("1002", ip(200), t0).is_ok());
        let after = t0 + FIRST_LOCKOUT;
        assert!(limits.check("1001", ip(200), after).is_ok());
        // The next lockout is twice as long.
        let second = (0..)
            .take(MAX_FAILURES_PER_AGENT as usize)
            .filter_map(|i| limits.failed("1001", ip(100 + i as u8), after))
            .last()
            .unwrap();
        assert_eq!(second.until, after + FIRST_LOCKOUT * 2);
    }

    #[test]
    fn one_address_trying_many_agents_is_locked_out() {
        let mut limits = LoginLimits::default();
        let t0 = Instant::now();
        for agent in 0..MAX_FAILURES_PER_ADDRESS {
            limits.failed(&agent.to_string(), ip(1), t0);
        }
        assert!(limits.check("6", ip(1), t0).is_err());
        assert!(limits.check("6", ip(2), t0).is_ok());
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up() {
        let mut limits = LoginLimits::default();
        let t0 = Instant::now();
        for i in 0..4 {
            limits.failed("1001", None, t0 + WINDOW * i);
            limits.failed("1001", None, t0 + WINDOW * i + Duration::from_secs(1));
        }
        assert!(limits.check("1001", None, t0 + WINDOW * 4).is_ok());
    }

    #[test]
    fn success_clears_the_agent_but_not_the_address() {
        let mut limits = LoginLimits::default();
        let t0 = Instant::now();
        for _ in 0..4 {
            limits.failed("1001", ip(1), t0);
        }
        limits.succeeded("1001", None);
        limits.failed("1001", ip(2), t0);
        assert!(limits.check("1001", ip(2), t0).is_ok());
        // The address's four failures still count.
        for i in 4..MAX_FAILURES_PER_ADDRESS {
            assert!(limits.check("1003", ip(1), t0).is_ok());
            limits.failed(&format!("x{i}"), ip(1), t0);
        }
        assert!(limits.check("1003", ip(1), t0).is_err());
    }

    #[test]
    fn attempts_count_when_they_arrive() {
        let mut limits = LoginLimits::default();
        let t0 = Instant::now();
        // Five guesses at one agent arrive together: all five may be
        // checked, the sixth is refused before its check.
        for i in 0..MAX_FAILURES_PER_AGENT {
            assert!(limits.begin("1001", ip(i as u8), t0).is_ok());
        }
        assert_eq!(limits.begin("1001", ip(50), t0), Err(NotNow::Crowded));
        // They fail: the lockout starts.
        for i in 0..MAX_FAILURES_PER_AGENT {
            limits.failed("1001", ip(i as u8), t0);
        }
        assert!(limits.check("1001", ip(50), t0).is_err());
        assert!(limits.check("1001", ip(50), t0 + FIRST_LOCKOUT).is_ok());
    }

    #[test]
    fn one_address_bursting_is_refused_past_its_limit_and_successes_give_back() {
        let mut limits = LoginLimits::default();
        let t0 = Instant::now();
        for agent in 0..MAX_FAILURES_PER_ADDRESS {
            assert!(limits.begin(&format!("a{agent}"), ip(1), t0).is_ok());
        }
        assert_eq!(limits.begin("late", ip(1), t0), Err(NotNow::Crowded));
        assert!(limits.begin("late", ip(2), t0).is_ok(), "other addresses");
        // Every one of them had the right password: the address is free.
        for agent in 0..MAX_FAILURES_PER_ADDRESS {
            limits.succeeded(&format!("a{agent}"), ip(1));
        }
        assert!(limits.begin("late", ip(1), t0).is_ok());
        // An attempt whose check never ran counts for nothing.
        limits.abandoned("late", ip(1));
        for agent in 0..MAX_FAILURES_PER_ADDRESS - 1 {
            assert!(limits.begin(&format!("b{agent}"), ip(1), t0).is_ok());
        }
    }

    #[test]
    fn the_lockout_stops_growing() {
        let mut limits = LoginLimits::default();
        let mut now = Instant::now();
        let mut last = None;
        for _ in 0..20 {
            for _ in 0..MAX_FAILURES_PER_AGENT {
                if let Some(l) = limits.failed("1001", None, now) {
                    last = Some(l.until - now);
                }
            }
            now += MAX_LOCKOUT;
        }
        assert_eq!(last, Some(MAX_LOCKOUT));
    }
}
