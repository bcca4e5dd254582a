//! How many messages a socket may send: a token bucket. A person at the
//! panel sends a few messages a second at most; a host page or test driving
//! it through `window.OpenCTI` may send tens. A client far above that (a
//! flood sends thousands) is broken or hostile and is closed, alone.

use tokio::time::Instant;

/// Messages per second a socket may keep up.
pub const MESSAGES_PER_SECOND: u32 = 100;
/// Messages a socket may send at once after a quiet spell.
pub const BURST: u32 = 200;

/// The socket's remaining allowance.
#[derive(Debug)]
pub struct MessageBudget {
    tokens: f64,
    last: Instant,
}

impl MessageBudget {
    pub fn new(now: Instant) -> Self {
        Self {
            tokens: f64::from(BURST),
            last: now,
        }
    }

    /// Spends one message; `false` when the budget is gone.
    pub fn take(&mut self, now: Instant) -> bool {
        let refill = now.duration_since(self.last).as_secs_f64() * f64::from(MESSAGES_PER_SECOND);
        self.tokens = (self.tokens + refill).min(f64::from(BURST));
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate() {
        let t0 = Instant::now();
        let mut budget = MessageBudget::new(t0);
        assert!((0..BURST).all(|_| budget.take(t0)));
        assert!(!budget.take(t0));
        // One second later: one second's worth, no more.
        let t1 = t0 + Duration::from_secs(1);
        assert!((0..MESSAGES_PER_SECOND).all(|_| budget.take(t1)));
        assert!(!budget.take(t1));
        // A client at the steady rate is never refused.
        let mut now = t1;
        for _ in 0..1000 {
            now += Duration::from_millis(u64::from(1000 / MESSAGES_PER_SECOND));
            assert!(budget.take(now));
        }
    }
}
