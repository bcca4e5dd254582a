//! What the switch observed, fact by fact, for figures computed outside it
//! (the supervisor's view and `/metrics`, `crate::supervisor::figures`):
//! the switch says what happened, with when; it keeps no statistics itself.

use app::wire::native::AgentStatus;

/// One fact, at `at` (ms since the epoch).
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// The agent's state changed (logged on, Ready, Not ready, wrap-up,
    /// logged off), with its reason.
    AgentState {
        agent_id: String,
        status: AgentStatus,
        reason: String,
        at: u64,
    },
    /// A call entered a queue: a new call, a transfer to a queue, a call
    /// an agent let ring or turned away, back in its queue, or a callback.
    CallQueued {
        call_id: String,
        queue: String,
        /// When it took its place there: earlier than `at` for a call back
        /// in its queue, or a callback keeping its caller's place.
        since: u64,
        /// A callback: nobody is on the line, the queue will call back.
        callback: bool,
        at: u64,
    },
    /// The caller of a waiting call chose a callback and hung up: the call
    /// leaves its queue without being abandoned (the callback takes its
    /// place, as a call of its own).
    CallbackTaken { call_id: String, at: u64 },
    /// A queue call rang at an agent who let it ring out or rejected it.
    CallMissed {
        call_id: String,
        agent_id: String,
        at: u64,
    },
    /// An agent answered (or, dialling out, was connected); `party` is the
    /// number at the other end.
    CallAnswered {
        call_id: String,
        agent_id: String,
        party: String,
        at: u64,
    },
    /// An agent who had answered left the call (hung up, transferred it, or
    /// the call ended), after `handle_ms` of talk and hold.
    AgentLeftCall {
        call_id: String,
        agent_id: String,
        handle_ms: u64,
        at: u64,
    },
    /// The call left the switch.
    CallEnded { call_id: String, at: u64 },
}
