//! Per-agent sessions: their tokens (one per login, see
//! `security::tokens`), event numbering, replay buffer, live feed and the
//! cache of answered request ids.
//!
//! The replay buffers are bounded three ways: events per agent, bytes per
//! agent, and bytes over every agent ([`ReplayLimits`]). The bytes of an
//! event are those of its JSON on the wire. Past the total, the oldest
//! events of the whole server go first (one queue in arrival order, whose
//! entries for events already gone are skipped and compacted away), so an
//! agent away for hours cannot make the server hold a day of events: a
//! resume that reaches past what is left gets a fresh snapshot.

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
};

use app::{
    opencti::{ErrorCode, OpenCtiError},
    wire::native::{AgentSnapshot, NativeEvent, ServerFrame},
};
use tokio::sync::broadcast;

use super::Sequenced;
use crate::security::tokens::{StoredToken, TokenError, TokenPolicy, Tokens};

/// Events a socket's live feed holds before it lags (and catches up from
/// the replay buffer, which the same numbers index).
const FEED_CAPACITY: usize = 64;

/// The events a socket must send before its feed, and the feed.
pub type Subscription = (Vec<Sequenced>, broadcast::Receiver<Sequenced>);

/// How much the replay buffers hold at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayLimits {
    /// Events per agent.
    pub events: usize,
    /// Bytes per agent (the newest event is kept whatever its size).
    pub agent_bytes: usize,
    /// Bytes over every agent's buffer.
    pub total_bytes: usize,
}

impl Default for ReplayLimits {
    fn default() -> Self {
        Self {
            events: 1024,
            agent_bytes: 256 * 1024,
            total_bytes: 256 * 1024 * 1024,
        }
    }
}

/// What the replay buffers hold now (`/metrics`, the soak benchmark).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayFigures {
    pub events: usize,
    pub bytes: usize,
    /// The fullest agent's bytes.
    pub largest_agent_bytes: usize,
    /// Events dropped to keep within the total since start.
    pub evicted_for_total: u64,
}

/// One logged-in agent's session, shared by all its sockets (tabs, devices).
struct Session {
    /// Tells this session from an earlier one of the same agent.
    id: u64,
    /// Number of the last event; events are numbered from 1 without gaps.
    seq: u64,
    /// The events kept for a resume, with their bytes.
    buffer: VecDeque<(Sequenced, usize)>,
    buffer_bytes: usize,
    feed: broadcast::Sender<Sequenced>,
    replies: HashMap<String, ServerFrame>,
    /// The remembered ids, oldest first, with when their reply was made.
    reply_order: VecDeque<(u64, String)>,
    /// Sockets attached now.
    sockets: usize,
    /// Counts the times the session lost its last socket: a grace timer
    /// names the absence it is about.
    absences: u64,
}

impl Session {
    fn new(id: u64, seq: u64, replay_capacity: usize) -> Self {
        Self {
            id,
            seq,
            buffer: VecDeque::new(),
            buffer_bytes: 0,
            // The feed only has to cover a socket's short stalls: one that
            // falls further behind catches up from `buffer`.
            feed: broadcast::channel(FEED_CAPACITY.min(replay_capacity)).0,
            replies: HashMap::new(),
            reply_order: VecDeque::new(),
            sockets: 0,
            absences: 0,
        }
    }
}

/// A buffered event in arrival order over every session.
struct Arrival {
    session: u64,
    agent_id: Arc<str>,
    seq: u64,
}

/// How long replies are remembered, so that a repeated request id is
/// answered, not executed again.
#[derive(Debug, Clone, Copy)]
pub struct ReplyMemory {
    /// Replies per agent at most.
    pub per_agent: usize,
    /// Replies older than this are forgotten: a client repeats a request
    /// when it resumes after losing its socket, which it does within the
    /// session's grace period, or never. (Kept by count alone, 10,000 busy
    /// agents' replies grew the server by megabytes a minute for hours.)
    pub window_ms: u64,
}

/// Every open session, by agent id, and the tokens that open them.
pub struct Sessions {
    by_agent: HashMap<String, Session>,
    tokens: Tokens,
    limits: ReplayLimits,
    replies: ReplyMemory,
    next_session: u64,
    /// Every buffered event, oldest first, and some already gone (`stale`).
    arrivals: VecDeque<Arrival>,
    stale: usize,
    total_bytes: usize,
    evicted_for_total: u64,
}

impl Sessions {
    pub fn new(limits: ReplayLimits, replies: ReplyMemory, policy: TokenPolicy) -> Self {
        Self {
            by_agent: HashMap::new(),
            tokens: Tokens::new(policy),
            limits: ReplayLimits {
                events: limits.events.max(1),
                ..limits
            },
            replies: ReplyMemory {
                per_agent: replies.per_agent.max(1),
                ..replies
            },
            next_session: 0,
            arrivals: VecDeque::new(),
            stale: 0,
            total_bytes: 0,
            evicted_for_total: 0,
        }
    }

    fn new_session(&mut self, seq: u64) -> Session {
        self.next_session += 1;
        Session::new(self.next_session, seq, self.limits.events)
    }

    /// A new token for a login of the agent, opening its session if it has
    /// none (a second tab joins the running one with a token of its own).
    pub fn open(&mut self, agent_id: &str, now_ms: u64) -> String {
        if !self.by_agent.contains_key(agent_id) {
            let session = self.new_session(0);
            self.by_agent.insert(agent_id.to_string(), session);
        }
        self.tokens.issue(agent_id, now_ms, now_ms)
    }

    /// Opens the agent's session of a previous run: its tokens, numbered
    /// from `seq`, with nothing to replay.
    pub fn restore(&mut self, agent_id: &str, tokens: Vec<StoredToken>, seq: u64) {
        self.tokens.drop_agent(agent_id);
        for token in tokens {
            self.tokens.restore(token);
        }
        let session = self.new_session(seq);
        if let Some(old) = self.by_agent.insert(agent_id.to_string(), session) {
            self.forget_buffer(&old);
        }
    }

    /// Swaps a valid token for a new one (a resume): returns the agent and
    /// the new token.
    pub fn rotate(&mut self, token: &str, now_ms: u64) -> Result<(String, String), TokenError> {
        let (agent_id, new) = self.tokens.rotate(token, now_ms)?;
        if self.by_agent.contains_key(&agent_id) {
            Ok((agent_id, new))
        } else {
            Err(TokenError::Unknown)
        }
    }

    /// The number of the session's last event.
    pub fn seq_of(&self, agent_id: &str) -> Option<u64> {
        self.by_agent.get(agent_id).map(|s| s.seq)
    }

    /// The session's tokens, to store.
    pub fn tokens_of(&self, agent_id: &str) -> Vec<StoredToken> {
        self.tokens.of_agent(agent_id)
    }

    pub fn socket_joined(&mut self, token: &str) {
        self.tokens.socket_joined(token);
        if let Some(session) = self.by_token_mut(token) {
            session.sockets += 1;
        }
    }

    /// A socket left the session at `now_ms`; if it was the last, the
    /// session's absence starts: returns the agent and the absence's number.
    pub fn socket_left(&mut self, token: &str, now_ms: u64) -> Option<(String, u64)> {
        self.tokens.socket_left(token, now_ms);
        let agent_id = self.agent_of(token)?;
        let session = self.by_agent.get_mut(&agent_id)?;
        session.sockets = session.sockets.saturating_sub(1);
        if session.sockets > 0 {
            return None;
        }
        session.absences += 1;
        Some((agent_id, session.absences))
    }

    /// The number of the session's current absence, if no socket is attached.
    pub fn absence(&self, agent_id: &str) -> Option<u64> {
        self.by_agent
            .get(agent_id)
            .filter(|s| s.sockets == 0)
            .map(|s| s.absences)
    }

    fn by_token_mut(&mut self, token: &str) -> Option<&mut Session> {
        let agent_id = self.tokens.agent_of(token).ok()?;
        self.by_agent.get_mut(agent_id)
    }

    /// Ends the agent's session: every token of it stops working and its
    /// sockets' feeds close.
    pub fn close(&mut self, agent_id: &str) {
        if let Some(old) = self.by_agent.remove(agent_id) {
            self.forget_buffer(&old);
        }
        self.tokens.drop_agent(agent_id);
    }

    /// A session's buffer is gone: its bytes leave the total, its arrivals
    /// become stale.
    fn forget_buffer(&mut self, session: &Session) {
        self.total_bytes -= session.buffer_bytes;
        self.stale += session.buffer.len();
        self.compact();
    }

    /// The agent whose session `token` (of a socket already attached with
    /// it) belongs to, while the session lasts.
    pub fn agent_of(&self, token: &str) -> Option<String> {
        let agent_id = self.tokens.agent_of(token).ok()?;
        self.by_agent
            .contains_key(agent_id)
            .then(|| agent_id.to_string())
    }

    /// Numbers an event, buffers it and sends it to the agent's sockets.
    /// Events for agents without a session are dropped.
    pub fn push(&mut self, agent_id: &str, event: NativeEvent) {
        let limits = self.limits;
        let Some(session) = self.by_agent.get_mut(agent_id) else {
            return;
        };
        session.seq += 1;
        let item: Sequenced = Arc::new((session.seq, event));
        let bytes = wire_bytes(&item);
        // Room in the agent's own buffer: its oldest events go first.
        while !session.buffer.is_empty()
            && (session.buffer.len() >= limits.events
                || session.buffer_bytes + bytes > limits.agent_bytes)
        {
            if let Some((_, gone)) = session.buffer.pop_front() {
                session.buffer_bytes -= gone;
                self.total_bytes -= gone;
                self.stale += 1;
            }
        }
        session.buffer.push_back((item.clone(), bytes));
        session.buffer_bytes += bytes;
        self.total_bytes += bytes;
        self.arrivals.push_back(Arrival {
            session: session.id,
            agent_id: Arc::from(agent_id),
            seq: item.0,
        });
        // No receiver is fine: the buffer keeps the event for a resume.
        let _ = session.feed.send(item);
        self.keep_within_total();
        self.compact();
    }

    /// Drops the oldest events of the whole server until the buffers fit
    /// the total (the newest event stays).
    fn keep_within_total(&mut self) {
        while self.total_bytes > self.limits.total_bytes && self.arrivals.len() > 1 {
            let Some(oldest) = self.arrivals.pop_front() else {
                break;
            };
            let session = self
                .by_agent
                .get_mut(&*oldest.agent_id)
                .filter(|s| s.id == oldest.session);
            let live = session
                .as_ref()
                .and_then(|s| s.buffer.front())
                .is_some_and(|(e, _)| e.0 <= oldest.seq);
            match session {
                Some(session) if live => {
                    if let Some((_, gone)) = session.buffer.pop_front() {
                        session.buffer_bytes -= gone;
                        self.total_bytes -= gone;
                        self.evicted_for_total += 1;
                    }
                }
                _ => self.stale = self.stale.saturating_sub(1),
            }
        }
    }

    /// Drops the arrivals of events already gone once they are most of the
    /// queue (amortised: the queue stays within twice the buffered events).
    fn compact(&mut self) {
        if self.stale <= 1024 || self.stale * 2 <= self.arrivals.len() {
            return;
        }
        let by_agent = &self.by_agent;
        self.arrivals.retain(|a| {
            by_agent
                .get(&*a.agent_id)
                .filter(|s| s.id == a.session)
                .and_then(|s| s.buffer.front())
                .is_some_and(|(e, _)| e.0 <= a.seq)
        });
        self.stale = 0;
    }

    /// What the buffers hold now.
    pub fn replay_figures(&self) -> ReplayFigures {
        ReplayFigures {
            events: self.by_agent.values().map(|s| s.buffer.len()).sum(),
            bytes: self.total_bytes,
            largest_agent_bytes: self
                .by_agent
                .values()
                .map(|s| s.buffer_bytes)
                .max()
                .unwrap_or(0),
            evicted_for_total: self.evicted_for_total,
        }
    }

    /// Subscribes a socket. With `last_seq` (0 means "I have nothing"), the backlog is the events after
    /// it when the buffer still holds them all; otherwise (or at login) it is
    /// a snapshot numbered with the session's current sequence number.
    pub fn attach_with_snapshot(
        &mut self,
        token: &str,
        last_seq: Option<u64>,
        snapshot: AgentSnapshot,
    ) -> Result<Subscription, OpenCtiError> {
        let session = self
            .tokens
            .agent_of(token)
            .ok()
            .and_then(|agent| self.by_agent.get_mut(agent))
            .ok_or_else(|| {
                OpenCtiError::new(
                    ErrorCode::Unauthorized,
                    "the session has ended: log in again",
                )
            })?;
        let feed = session.feed.subscribe();
        let oldest = session.buffer.front().map_or(session.seq + 1, |(e, _)| e.0);
        let backlog = match last_seq {
            Some(last) if last > 0 && last <= session.seq && last + 1 >= oldest => session
                .buffer
                .iter()
                .filter(|(e, _)| e.0 > last)
                .map(|(e, _)| e.clone())
                .collect(),
            _ => vec![Arc::new((session.seq, NativeEvent::Snapshot(snapshot)))],
        };
        Ok((backlog, feed))
    }

    pub fn cached_reply(&self, agent_id: &str, id: &str) -> Option<ServerFrame> {
        self.by_agent.get(agent_id)?.replies.get(id).cloned()
    }

    /// Remembers the reply to request `id`, made at `now_ms`, and forgets
    /// the agent's replies that are too old or too many.
    pub fn remember_reply(&mut self, agent_id: &str, id: &str, reply: ServerFrame, now_ms: u64) {
        let memory = self.replies;
        let Some(session) = self.by_agent.get_mut(agent_id) else {
            return;
        };
        if session.replies.insert(id.to_string(), reply).is_none() {
            session.reply_order.push_back((now_ms, id.to_string()));
        }
        while let Some((made, _)) = session.reply_order.front() {
            let expired = now_ms.saturating_sub(*made) > memory.window_ms;
            if !expired && session.reply_order.len() <= memory.per_agent {
                break;
            }
            if let Some((_, old)) = session.reply_order.pop_front() {
                session.replies.remove(&old);
            }
        }
    }
}

/// The bytes of an event's frame on the wire (its JSON), counted without
/// building it.
fn wire_bytes(event: &Sequenced) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, &event.1);
    // The frame's envelope (type, seq) around the event.
    count.0 + 32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: &str) -> ServerFrame {
        ServerFrame::response(id.to_string(), Ok(app::wire::native::ResponseValue::Done))
    }

    #[test]
    fn replies_are_forgotten_when_too_old_or_too_many() {
        let memory = ReplyMemory {
            per_agent: 3,
            window_ms: 1_000,
        };
        let mut sessions = Sessions::new(ReplayLimits::default(), memory, TokenPolicy::default());
        sessions.open("1001", 0);
        sessions.remember_reply("1001", "a", reply("a"), 0);
        sessions.remember_reply("1001", "b", reply("b"), 500);
        assert!(sessions.cached_reply("1001", "a").is_some());
        // 1,001 ms later "a" is older than the window; "b" is not.
        sessions.remember_reply("1001", "c", reply("c"), 1_001);
        assert!(sessions.cached_reply("1001", "a").is_none());
        assert!(sessions.cached_reply("1001", "b").is_some());
        // Past three, the oldest goes, however young.
        sessions.remember_reply("1001", "d", reply("d"), 1_002);
        sessions.remember_reply("1001", "e", reply("e"), 1_003);
        assert!(sessions.cached_reply("1001", "b").is_none());
        for id in ["c", "d", "e"] {
            assert!(sessions.cached_reply("1001", id).is_some(), "{id}");
        }
    }
}
