//! Per-agent sessions: their tokens (one per login, see
//! `security::tokens`), event numbering, replay buffer, live feed and the
//! cache of answered request ids.

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

/// One logged-in agent's session, shared by all its sockets (tabs, devices).
struct Session {
    /// Number of the last event; events are numbered from 1 without gaps.
    seq: u64,
    buffer: VecDeque<Sequenced>,
    feed: broadcast::Sender<Sequenced>,
    replies: HashMap<String, ServerFrame>,
    reply_order: VecDeque<String>,
    /// Sockets attached now.
    sockets: usize,
    /// Counts the times the session lost its last socket: a grace timer
    /// names the absence it is about.
    absences: u64,
}

impl Session {
    fn new(seq: u64, replay_capacity: usize) -> Self {
        Self {
            seq,
            buffer: VecDeque::new(),
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

/// Every open session, by agent id, and the tokens that open them.
pub struct Sessions {
    by_agent: HashMap<String, Session>,
    tokens: Tokens,
    replay_capacity: usize,
    request_cache: usize,
}

impl Sessions {
    pub fn new(replay_capacity: usize, request_cache: usize, policy: TokenPolicy) -> Self {
        Self {
            by_agent: HashMap::new(),
            tokens: Tokens::new(policy),
            replay_capacity: replay_capacity.max(1),
            request_cache: request_cache.max(1),
        }
    }

    /// A new token for a login of the agent, opening its session if it has
    /// none (a second tab joins the running one with a token of its own).
    pub fn open(&mut self, agent_id: &str, now_ms: u64) -> String {
        let capacity = self.replay_capacity;
        self.by_agent
            .entry(agent_id.to_string())
            .or_insert_with(|| Session::new(0, capacity));
        self.tokens.issue(agent_id, now_ms, now_ms)
    }

    /// Opens the agent's session of a previous run: its tokens, numbered
    /// from `seq`, with nothing to replay.
    pub fn restore(&mut self, agent_id: &str, tokens: Vec<StoredToken>, seq: u64) {
        self.tokens.drop_agent(agent_id);
        for token in tokens {
            self.tokens.restore(token);
        }
        self.by_agent.insert(
            agent_id.to_string(),
            Session::new(seq, self.replay_capacity),
        );
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
        self.by_agent.remove(agent_id);
        self.tokens.drop_agent(agent_id);
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
        let capacity = self.replay_capacity;
        let Some(session) = self.by_agent.get_mut(agent_id) else {
            return;
        };
        session.seq += 1;
        let item: Sequenced = Arc::new((session.seq, event));
        if session.buffer.len() == capacity {
            session.buffer.pop_front();
        }
        session.buffer.push_back(item.clone());
        // No receiver is fine: the buffer keeps the event for a resume.
        let _ = session.feed.send(item);
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
        let oldest = session.buffer.front().map_or(session.seq + 1, |e| e.0);
        let backlog = match last_seq {
            Some(last) if last > 0 && last <= session.seq && last + 1 >= oldest => session
                .buffer
                .iter()
                .filter(|e| e.0 > last)
                .cloned()
                .collect(),
            _ => vec![Arc::new((session.seq, NativeEvent::Snapshot(snapshot)))],
        };
        Ok((backlog, feed))
    }

    pub fn cached_reply(&self, agent_id: &str, id: &str) -> Option<ServerFrame> {
        self.by_agent.get(agent_id)?.replies.get(id).cloned()
    }

    pub fn remember_reply(&mut self, agent_id: &str, id: &str, reply: ServerFrame) {
        let limit = self.request_cache;
        let Some(session) = self.by_agent.get_mut(agent_id) else {
            return;
        };
        if session.replies.insert(id.to_string(), reply).is_none() {
            session.reply_order.push_back(id.to_string());
            if session.reply_order.len() > limit
                && let Some(old) = session.reply_order.pop_front()
            {
                session.replies.remove(&old);
            }
        }
    }
}
