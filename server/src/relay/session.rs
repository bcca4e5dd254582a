//! Per-agent sessions: token, event numbering, replay buffer, live feed and
//! the cache of answered request ids.

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

/// Events a socket's live feed holds before it lags (and catches up from
/// the replay buffer, which the same numbers index).
const FEED_CAPACITY: usize = 64;

/// The events a socket must send before its feed, and the feed.
pub type Subscription = (Vec<Sequenced>, broadcast::Receiver<Sequenced>);

/// One logged-in agent's session, shared by all its sockets (tabs, devices).
struct Session {
    token: String,
    /// Number of the last event; events are numbered from 1 without gaps.
    seq: u64,
    buffer: VecDeque<Sequenced>,
    feed: broadcast::Sender<Sequenced>,
    replies: HashMap<String, ServerFrame>,
    reply_order: VecDeque<String>,
}

/// Every open session, by agent id.
pub struct Sessions {
    by_agent: HashMap<String, Session>,
    /// Token → agent: every request looks its session up by token.
    by_token: HashMap<String, String>,
    replay_capacity: usize,
    request_cache: usize,
}

impl Sessions {
    pub fn new(replay_capacity: usize, request_cache: usize) -> Self {
        Self {
            by_agent: HashMap::new(),
            by_token: HashMap::new(),
            replay_capacity: replay_capacity.max(1),
            request_cache: request_cache.max(1),
        }
    }

    /// The agent's session token, opening a session if it has none.
    pub fn open(&mut self, agent_id: &str) -> String {
        let capacity = self.replay_capacity;
        let token = self
            .by_agent
            .entry(agent_id.to_string())
            .or_insert_with(|| Session {
                token: uuid::Uuid::new_v4().simple().to_string(),
                seq: 0,
                buffer: VecDeque::new(),
                // The feed only has to cover a socket's short stalls: one
                // that falls further behind catches up from `buffer`.
                feed: broadcast::channel(FEED_CAPACITY.min(capacity)).0,
                replies: HashMap::new(),
                reply_order: VecDeque::new(),
            })
            .token
            .clone();
        self.by_token.insert(token.clone(), agent_id.to_string());
        token
    }

    /// Ends the agent's session: its token stops working and its sockets'
    /// feeds close.
    pub fn close(&mut self, agent_id: &str) {
        if let Some(session) = self.by_agent.remove(agent_id) {
            self.by_token.remove(&session.token);
        }
    }

    pub fn agent_of(&self, token: &str) -> Option<String> {
        self.by_token.get(token).cloned()
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
            .by_token
            .get(token)
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
