//! One panel's WebSocket: origin check at upgrade, then [`Connection`], a
//! loop that reads client frames, forwards the session's events and keeps
//! the heartbeat. The loop is generic over any sink and stream of messages
//! (axum's socket split in two, or channels in the unit tests), so login,
//! resume, lag and the limits are tested without opening a port.

use std::{fmt::Display, net::IpAddr, sync::Arc, time::Duration};

use app::{
    opencti::{ErrorCode, OpenCtiError},
    supervisor::Snapshot,
    wire::native::{ClientFrame, MAX_FRAME_BYTES, ResponseValue, ServerFrame},
};
use axum::{
    extract::{
        State,
        ws::{CloseFrame, Message, Utf8Bytes, WebSocketUpgrade, close_code},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::{
    sync::{
        broadcast::{
            self,
            error::{RecvError, TryRecvError},
        },
        watch,
    },
    time::Instant,
};

use super::{Attached, Hub, Presence, Sequenced, SupervisorFeed, session_reply};
use crate::{
    origins::Origins,
    security::{api_key::ApiAccess, client_address::ClientAddress},
};
use budget::{MESSAGES_PER_SECOND, MessageBudget};

/// The socket's read buffer; it grows for a bigger frame (up to the cap).
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// Unsent bytes a socket may pile up before its writes fail and it closes
/// (a client that stopped reading).
const MAX_PENDING_WRITE_BYTES: usize = 4 * 1024 * 1024;
/// Least time between two snapshots to a supervisor: changes in between
/// are coalesced, so 1,000 agents changing state cost a few frames a second.
const SUPERVISOR_FRAME_INTERVAL: Duration = Duration::from_millis(200);

/// Shared state of the WebSocket route.
#[derive(Clone)]
pub struct SocketState {
    pub hub: Hub,
    pub origins: Arc<Origins>,
    pub access: ApiAccess,
}

/// `GET /ws`: upgrades if the `Origin` is the server's own or allowlisted
/// (that stops other web pages from driving an agent's session). A client
/// that sends no `Origin` is no browser: it needs the API key, unless the
/// server is on loopback with no key set (only local processes reach it).
pub async fn upgrade(
    State(state): State<SocketState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
    client: ClientAddress,
) -> Response {
    if headers.get(header::ORIGIN).is_none() && !state.access.allows(&headers) {
        tracing::warn!("refused a WebSocket with neither a browser Origin nor the API key");
        return (
            StatusCode::UNAUTHORIZED,
            "a client that is not a browser needs Authorization: Bearer <API key>",
        )
            .into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or_default();
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        if !state.origins.allows(origin, host) {
            tracing::warn!(
                origin,
                "refused a WebSocket from an origin that is not allowed"
            );
            return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
        }
    }
    // The protocol layer refuses bigger frames too; `Connection` checks
    // again so that the limit holds whatever carries the messages.
    // Small buffers: an idle session should cost kilobytes, not the
    // defaults' 128 KiB read buffer. Frames are small; writes go out at once.
    ws.max_message_size(MAX_FRAME_BYTES + 1)
        .max_frame_size(MAX_FRAME_BYTES + 1)
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_PENDING_WRITE_BYTES)
        .on_upgrade(move |socket| {
            let (sink, stream) = socket.split();
            Connection::new(state.hub, sink, stream)
                .from_address(client.0)
                .run()
        })
}

/// The state of one socket: `W` sends messages to the client, `R` receives
/// them.
pub struct Connection<W, R> {
    hub: Hub,
    sink: W,
    stream: R,
    /// The session this socket is attached to, once logged in or resumed.
    session: Option<(String, broadcast::Receiver<Sequenced>)>,
    /// Keeps the session alive while this socket is attached to it.
    presence: Option<Presence>,
    /// Number of the last event sent, so nothing goes out twice.
    last_sent: u64,
    last_heard: Instant,
    /// The agent of the attached session, for the logs.
    agent_id: Option<String>,
    /// The client's address, for the login limits.
    client: Option<IpAddr>,
    budget: MessageBudget,
    /// The supervisor's subscription, if this socket made one.
    supervision: Option<Supervision>,
}

/// A supervisor socket's subscription to the figures.
struct Supervision {
    token: String,
    changes: watch::Receiver<u64>,
    /// Figures changed since the last snapshot sent.
    dirty: bool,
    /// No snapshot goes out before this.
    next_at: Instant,
    /// The figures last sent: the next frame carries only the agent rows
    /// that changed since.
    sent: Option<Snapshot>,
}

enum Flow {
    Continue,
    Close,
}

impl<W, R, E> Connection<W, R>
where
    W: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
    E: Display,
{
    pub fn new(hub: Hub, sink: W, stream: R) -> Self {
        Self {
            hub,
            sink,
            stream,
            session: None,
            presence: None,
            last_sent: 0,
            last_heard: Instant::now(),
            agent_id: None,
            client: None,
            budget: MessageBudget::new(Instant::now()),
            supervision: None,
        }
    }

    /// Where the client connects from (logged, and counted by the login
    /// limits).
    pub fn from_address(mut self, client: Option<IpAddr>) -> Self {
        self.client = client;
        self
    }

    /// Serves the socket until the client leaves, goes silent or breaks a
    /// limit.
    pub async fn run(mut self) {
        let interval = self.hub.config().heartbeat_interval;
        let timeout = self.hub.config().heartbeat_timeout;
        let mut heartbeat = tokio::time::interval(interval);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let snapshot_at = self
                .supervision
                .as_ref()
                .filter(|s| s.dirty)
                .map(|s| s.next_at);
            let flow = tokio::select! {
                message = self.stream.next() => match message {
                    Some(Ok(message)) => {
                        self.last_heard = Instant::now();
                        self.on_message(message).await
                    }
                    Some(Err(err)) => {
                        tracing::debug!("socket closed: {err}");
                        Flow::Close
                    }
                    None => Flow::Close,
                },
                event = next_event(&mut self.session) => self.on_event(event).await,
                changed = figures_changed(&mut self.supervision) => {
                    match (changed, &mut self.supervision) {
                        (true, Some(supervision)) => supervision.dirty = true,
                        _ => self.supervision = None,
                    }
                    Flow::Continue
                }
                _ = snapshot_due(snapshot_at) => self.send_supervisor_snapshot().await,
                _ = heartbeat.tick() => {
                    if self.last_heard.elapsed() > timeout {
                        tracing::info!("closing a socket silent for {:?}", self.last_heard.elapsed());
                        self.close(close_code::AWAY, "heartbeat timeout").await
                    } else {
                        self.send_raw(Message::Ping(Default::default())).await
                    }
                }
            };
            if let Flow::Close = flow {
                break;
            }
        }
        if let Some(supervision) = self.supervision.take() {
            self.hub.supervisor_left(&supervision.token);
        }
    }

    async fn on_message(&mut self, message: Message) -> Flow {
        if !self.budget.take(Instant::now()) {
            tracing::warn!(
                agent = self.agent_id.as_deref().unwrap_or("none"),
                client = ?self.client,
                "closing a socket that sent more than {MESSAGES_PER_SECOND} messages a second"
            );
            return self.close(close_code::POLICY, "too many messages").await;
        }
        match message {
            Message::Text(text) if text.len() > MAX_FRAME_BYTES => {
                tracing::warn!(
                    bytes = text.len(),
                    "closing a socket that sent a frame over {MAX_FRAME_BYTES} bytes"
                );
                self.close(close_code::SIZE, "frame too large").await
            }
            Message::Text(text) => self.on_text(text.as_str()).await,
            Message::Binary(_) => {
                self.send(&ServerFrame::Error {
                    error: OpenCtiError::bad_request("send JSON text frames, not binary ones"),
                })
                .await
            }
            Message::Close(_) => Flow::Close,
            Message::Ping(_) | Message::Pong(_) => Flow::Continue,
        }
    }

    async fn on_text(&mut self, text: &str) -> Flow {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => frame,
            Err(err) => return self.send(&malformed(text, &err)).await,
        };
        match frame {
            ClientFrame::Ping => self.send(&ServerFrame::Pong).await,
            ClientFrame::Login {
                id,
                agent_id,
                password,
                extension,
                telephony_mode,
                implementation,
            } => {
                let result = self
                    .hub
                    .login(
                        &agent_id,
                        &password,
                        extension.as_deref(),
                        telephony_mode.as_deref(),
                        self.client,
                    )
                    .await;
                if let Ok(attached) = &result {
                    tracing::info!(
                        agent = %agent_id,
                        extension = %attached.session.extension,
                        mode = attached.session.telephony_mode.as_str(),
                        implementation = implementation.as_deref().unwrap_or("unknown"),
                        "agent session attached"
                    );
                }
                self.attach(id, result).await
            }
            ClientFrame::Resume {
                id,
                token,
                last_seq,
            } => {
                let result = self.hub.resume(&token, last_seq);
                self.attach(id, result).await
            }
            ClientFrame::Supervise { id, token } => self.supervise(id, token).await,
            ClientFrame::Offer { id, call_id, sdp } => {
                let reply = match &self.session {
                    Some((token, _)) => {
                        let token = token.clone();
                        self.hub
                            .offer(&token, &call_id, sdp)
                            .await
                            .map(ResponseValue::Answer)
                    }
                    None => Err(OpenCtiError::new(
                        ErrorCode::AgentNotLoggedIn,
                        "log in first",
                    )),
                };
                self.send(&ServerFrame::response(id, reply)).await
            }
            ClientFrame::Request { id, request } => {
                let reply = match &self.session {
                    Some((token, _)) => self.hub.request(token, &id, &request),
                    None => ServerFrame::response(
                        id,
                        Err(OpenCtiError::new(
                            ErrorCode::AgentNotLoggedIn,
                            "log in first",
                        )),
                    ),
                };
                // The wire's ordering guarantee: the events the request
                // caused are in the feed by now; they go out before the
                // response, so the client has applied them when it resolves.
                if let Flow::Close = self.flush_feed().await {
                    return Flow::Close;
                }
                self.send(&reply).await
            }
        }
    }

    /// Subscribes to the supervisor's figures with a supervisor's token,
    /// then sends them at once; anything else is refused and gets nothing.
    async fn supervise(&mut self, id: String, token: String) -> Flow {
        match self.hub.supervise(&token) {
            Ok(SupervisorFeed {
                supervisor_id,
                changes,
            }) => {
                if let Some(previous) = self.supervision.take() {
                    self.hub.supervisor_left(&previous.token);
                }
                tracing::info!(supervisor = %supervisor_id, "supervisor feed attached");
                self.supervision = Some(Supervision {
                    token,
                    changes,
                    dirty: true,
                    next_at: Instant::now(),
                    sent: None,
                });
                let done = ServerFrame::response(id, Ok(ResponseValue::Done));
                if let Flow::Close = self.send(&done).await {
                    return Flow::Close;
                }
                self.send_supervisor_snapshot().await
            }
            Err(refusal) => {
                self.send(&ServerFrame::response(id, Err(refusal.error().clone())))
                    .await
            }
        }
    }

    /// Sends the figures now, if the token is still a supervisor's (a
    /// signed-out supervisor's socket stops getting them).
    async fn send_supervisor_snapshot(&mut self) -> Flow {
        let Some(supervision) = &mut self.supervision else {
            return Flow::Continue;
        };
        supervision.dirty = false;
        supervision.next_at = Instant::now() + SUPERVISOR_FRAME_INTERVAL;
        match self.hub.supervisor_snapshot(&supervision.token) {
            Ok(snapshot) => {
                // Only the first frame copies the whole figures.
                let frame = match &supervision.sent {
                    Some(sent) => ServerFrame::Supervisor {
                        snapshot: snapshot.changes_since(sent),
                        changes_only: true,
                    },
                    None => ServerFrame::Supervisor {
                        snapshot: snapshot.clone(),
                        changes_only: false,
                    },
                };
                supervision.sent = Some(snapshot);
                self.send(&frame).await
            }
            Err(refusal) => {
                self.supervision = None;
                self.send(&ServerFrame::Error {
                    error: refusal.error().clone(),
                })
                .await
            }
        }
    }

    /// Answers a Login or Resume, then sends the backlog and follows the feed.
    async fn attach(&mut self, id: String, result: Result<Attached, OpenCtiError>) -> Flow {
        match result {
            Ok(Attached {
                session,
                backlog,
                feed,
            }) => {
                self.session = Some((session.token.clone(), feed));
                self.agent_id = Some(session.agent_id.clone());
                self.presence = Some(self.hub.present(&session.token));
                self.last_sent = 0;
                if let Flow::Close = self.send(&session_reply(id, session)).await {
                    return Flow::Close;
                }
                self.send_backlog(backlog).await
            }
            Err(error) => self.send(&ServerFrame::response(id, Err(error))).await,
        }
    }

    /// Sends every event already waiting in the session's feed.
    async fn flush_feed(&mut self) -> Flow {
        loop {
            let next = match &mut self.session {
                Some((_, feed)) => feed.try_recv(),
                None => return Flow::Continue,
            };
            let flow = match next {
                Ok(event) => self.on_event(Ok(event)).await,
                Err(TryRecvError::Lagged(n)) => self.on_event(Err(RecvError::Lagged(n))).await,
                Err(TryRecvError::Closed) => self.on_event(Err(RecvError::Closed)).await,
                Err(TryRecvError::Empty) => return Flow::Continue,
            };
            if let Flow::Close = flow {
                return Flow::Close;
            }
        }
    }

    async fn on_event(&mut self, event: Result<Sequenced, RecvError>) -> Flow {
        match event {
            Ok(event) if event.0 > self.last_sent => self.send_event(&event).await,
            Ok(_) => Flow::Continue,
            // Fell behind the feed: catch up from the replay buffer (or a snapshot).
            Err(RecvError::Lagged(_)) => {
                let Some((token, _)) = self.session.take() else {
                    return Flow::Continue;
                };
                tracing::debug!("a socket fell behind its feed; catching up");
                match self.hub.catch_up(&token, self.last_sent) {
                    Ok(Attached {
                        session,
                        backlog,
                        feed,
                    }) => {
                        self.session = Some((session.token, feed));
                        self.send_backlog(backlog).await
                    }
                    Err(_) => Flow::Continue,
                }
            }
            // The session ended (logout): the socket stays, unauthenticated.
            Err(RecvError::Closed) => {
                self.session = None;
                self.presence = None;
                Flow::Continue
            }
        }
    }

    /// Sends the events a Login, Resume or catch-up starts with.
    async fn send_backlog(&mut self, backlog: Vec<Sequenced>) -> Flow {
        for event in backlog {
            if let Flow::Close = self.send_event(&event).await {
                return Flow::Close;
            }
        }
        Flow::Continue
    }

    async fn send_event(&mut self, event: &Sequenced) -> Flow {
        let (seq, native) = (event.0, event.1.clone());
        self.last_sent = self.last_sent.max(seq);
        self.send(&ServerFrame::Event { seq, event: native }).await
    }

    async fn send(&mut self, frame: &ServerFrame) -> Flow {
        match serde_json::to_string(frame) {
            Ok(text) => self.send_raw(Message::Text(text.into())).await,
            Err(err) => {
                tracing::error!("cannot encode a frame: {err}");
                Flow::Continue
            }
        }
    }

    async fn send_raw(&mut self, message: Message) -> Flow {
        match self.sink.send(message).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }

    /// Says goodbye with a close code; the connection ends either way.
    async fn close(&mut self, code: u16, reason: &'static str) -> Flow {
        let _ = self
            .sink
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            })))
            .await;
        Flow::Close
    }
}

/// The next event of the session's feed; pending forever without a session.
async fn next_event(
    session: &mut Option<(String, broadcast::Receiver<Sequenced>)>,
) -> Result<Sequenced, RecvError> {
    match session {
        Some((_, feed)) => feed.recv().await,
        None => std::future::pending().await,
    }
}

/// Waits for the figures to change: true when they did, false when the
/// hub is gone; pending forever without a subscription.
async fn figures_changed(supervision: &mut Option<Supervision>) -> bool {
    match supervision {
        Some(s) if !s.dirty => s.changes.changed().await.is_ok(),
        _ => std::future::pending().await,
    }
}

/// Resolves when changed figures may go out (`at`, the end of the
/// interval); pending forever with nothing to send.
async fn snapshot_due(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The answer to a frame that could not be read: a Response when the frame
/// has a readable `id`, so the client can match it, else an Error frame.
fn malformed(text: &str, err: &serde_json::Error) -> ServerFrame {
    let error = OpenCtiError::bad_request(format!("malformed frame: {err}"));
    let id = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_string));
    match id {
        Some(id) => ServerFrame::response(id, Err(error)),
        None => ServerFrame::Error { error },
    }
}

mod budget;
#[cfg(test)]
mod tests;
