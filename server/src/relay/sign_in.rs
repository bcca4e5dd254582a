//! One credential check for agents' logins and supervisors' sign-ins: the
//! login limits count the attempt when it arrives, the bounded password
//! workers check it, and the limits learn how it ended.

use std::{net::IpAddr, sync::atomic::Ordering, time::Instant};

use app::opencti::{ErrorCode, OpenCtiError};

use super::{Hub, State};
use crate::security::login_limits::NotNow;

/// Why credentials were not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Locked out, unknown or wrong: the one answer for all three.
    Failed,
    /// Too many checks at once (over all, or for this user or address):
    /// nothing was checked, try again.
    Busy,
}

impl Refusal {
    /// The OpenCTI answer: `OPENCTI_UNAUTHORIZED` with the one login-failed
    /// message, or `OPENCTI_HTTP_ERROR_503` saying to retry.
    pub(super) fn error(&self) -> OpenCtiError {
        match self {
            Self::Failed => super::login_failed(),
            Self::Busy => busy(),
        }
    }
}

/// The answer to a login that could not be checked now.
pub fn busy() -> OpenCtiError {
    OpenCtiError::new(
        ErrorCode::HttpError(503),
        "The server is checking many logins at once: try again in a few seconds.",
    )
}

impl Hub {
    /// Checks `password` for `user` (an agent or a supervisor), whose stored
    /// hash `lookup` finds under the hub's lock. `what` names the attempt in
    /// the log ("login", "supervisor sign-in").
    pub(super) async fn check_credentials(
        &self,
        user: &str,
        password: &str,
        client: Option<IpAddr>,
        what: &'static str,
        lookup: impl FnOnce(&State) -> Option<String>,
    ) -> Result<(), Refusal> {
        let stored = {
            let mut state = self.lock();
            let now = Instant::now();
            match state.login_limits.begin(user, client, now) {
                Ok(()) => {}
                Err(NotNow::LockedOut(locked)) => {
                    tracing::warn!(
                        user,
                        client = ?client,
                        retry_in = ?locked.until.saturating_duration_since(now),
                        "{what} refused: locked out after repeated failures"
                    );
                    return Err(Refusal::Failed);
                }
                Err(NotNow::Crowded) => {
                    self.inner.logins_busy.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(user, client = ?client, "{what} not checked: as many in flight as the limit");
                    return Err(Refusal::Busy);
                }
            }
            lookup(&state)
        };
        let known = stored.is_some();
        let checked = self
            .inner
            .password_checks
            .verify(stored, password.to_string())
            .await;
        let mut state = self.lock();
        match checked {
            Ok(true) => {
                state.login_limits.succeeded(user, client);
                Ok(())
            }
            Ok(false) => {
                let lockout = state.login_limits.failed(user, client, Instant::now());
                tracing::warn!(
                    user,
                    client = ?client,
                    reason = if known { "wrong password" } else { "unknown user" },
                    locked_out = lockout.is_some(),
                    "{what} failed"
                );
                Err(Refusal::Failed)
            }
            Err(_busy) => {
                self.inner.logins_busy.fetch_add(1, Ordering::Relaxed);
                state.login_limits.abandoned(user, client);
                tracing::warn!(user, client = ?client, "{what} not checked: too many at once");
                Err(Refusal::Busy)
            }
        }
    }

    /// Logins answered "busy, try again" since start (`/metrics`).
    pub fn logins_refused_busy(&self) -> u64 {
        self.inner.logins_busy.load(Ordering::Relaxed)
    }
}
