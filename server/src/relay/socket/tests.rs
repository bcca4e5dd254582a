//! The socket loop driven through channels: no port, no server. The client
//! side is a pair of unbounded channels standing in for axum's socket halves.

use std::{convert::Infallible, time::Duration};

use app::wire::native::{ClientFrame, CstaRequest, NativeEvent, ResponseValue, ServerFrame};
use axum::extract::ws::{Message, close_code};
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use serde_json::json;

use super::Connection;
use crate::{
    records::{Database, Recorder},
    relay::{Hub, RelayConfig},
    switch::{Switch, SwitchConfig},
};

const CALLER: &str = "+15551230001";

/// A hub on the demo switch, storing into an in-memory database.
async fn hub_with(config: RelayConfig) -> Hub {
    let db = Database::open("sqlite::memory:").await.unwrap();
    Hub::new(
        Switch::new(SwitchConfig::demo()),
        config,
        Recorder::start(db),
    )
}

async fn hub(replay_capacity: usize) -> Hub {
    hub_with(RelayConfig {
        replay_capacity,
        ..RelayConfig::default()
    })
    .await
}

/// The client end of one socket.
struct Client {
    to_server: UnboundedSender<Result<Message, Infallible>>,
    from_server: UnboundedReceiver<Message>,
    task: tokio::task::JoinHandle<()>,
}

impl Client {
    fn connect(hub: &Hub) -> Self {
        let (to_server, stream) = unbounded();
        let (sink, from_server) = unbounded();
        let task = tokio::spawn(Connection::new(hub.clone(), sink, stream).run());
        Self {
            to_server,
            from_server,
            task,
        }
    }

    fn send(&self, frame: serde_json::Value) {
        self.send_raw(Message::Text(frame.to_string().into()));
    }

    fn send_raw(&self, message: Message) {
        self.to_server
            .unbounded_send(Ok(message))
            .expect("the connection is running");
    }

    /// The next message that is not a heartbeat ping.
    async fn message(&mut self) -> Message {
        loop {
            match self.from_server.next().await {
                Some(Message::Ping(_)) => continue,
                Some(message) => return message,
                None => panic!("the connection ended"),
            }
        }
    }

    async fn frame(&mut self) -> ServerFrame {
        match self.message().await {
            Message::Text(text) => serde_json::from_str(&text).expect("a server frame"),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    async fn event(&mut self) -> (u64, NativeEvent) {
        match self.frame().await {
            ServerFrame::Event { seq, event } => (seq, event),
            other => panic!("expected an event, got {other:?}"),
        }
    }

    /// Logs agent 1001 in; returns the session token and the snapshot's number.
    async fn login(&mut self) -> (String, u64) {
        self.send(json!({"type": "Login", "id": "L", "agentId": "1001", "password": "demo"}));
        let token = match self.frame().await {
            ServerFrame::Response {
                ok: true,
                value: Some(ResponseValue::Session(session)),
                ..
            } => session.token,
            other => panic!("expected a session, got {other:?}"),
        };
        let (seq, event) = self.event().await;
        assert!(matches!(event, NativeEvent::Snapshot(_)), "{event:?}");
        (token, seq)
    }

    fn request(&self, id: &str, request: CstaRequest) {
        let frame = ClientFrame::Request {
            id: id.into(),
            request,
        };
        self.send(serde_json::to_value(frame).unwrap());
    }
}

fn name(event: &NativeEvent) -> String {
    serde_json::to_value(event).unwrap()["type"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Rings agent 1001's extension and hangs up: two events for its session.
fn ring_and_abandon(hub: &Hub) {
    let call = hub
        .sim_place_call(CALLER, "2001", Default::default())
        .unwrap();
    hub.sim_hang_up(&call).unwrap();
}

/// Logs in on one socket, drops it, lets `rounds` calls ring and end, and
/// resumes on a new socket from the last number the first one saw; returns
/// the new socket (its resume answered) and that number.
async fn drop_then_resume(hub: &Hub, rounds: usize) -> (Client, u64) {
    let mut first = Client::connect(hub);
    let (token, seq) = first.login().await;
    drop(first);
    for _ in 0..rounds {
        ring_and_abandon(hub);
    }
    let mut second = Client::connect(hub);
    second.send(json!({"type": "Resume", "id": "R", "token": token, "lastSeq": seq}));
    assert!(matches!(
        second.frame().await,
        ServerFrame::Response { ok: true, .. }
    ));
    (second, seq)
}

#[tokio::test]
async fn login_answers_with_the_session_then_a_snapshot() {
    let hub = hub(64).await;
    let mut client = Client::connect(&hub);
    let (token, seq) = client.login().await;
    assert!(!token.is_empty());
    assert_eq!(seq, 1, "the snapshot carries the session's current number");
    client.send(json!({"type": "Login", "id": "bad", "agentId": "1001", "password": "nope"}));
    match client.frame().await {
        ServerFrame::Response { id, ok: false, .. } => assert_eq!(id, "bad"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn events_a_request_causes_come_before_its_response() {
    let hub = hub(64).await;
    let mut client = Client::connect(&hub);
    client.login().await;
    let call = hub
        .sim_place_call(CALLER, "2001", Default::default())
        .unwrap();
    assert_eq!(name(&client.event().await.1), "Delivered");
    for (id, request, caused) in [
        (
            "a",
            CstaRequest::AnswerCall {
                call_id: call.clone(),
            },
            "Established",
        ),
        (
            "h",
            CstaRequest::HoldCall {
                call_id: call.clone(),
            },
            "Held",
        ),
        (
            "r",
            CstaRequest::RetrieveCall {
                call_id: call.clone(),
            },
            "Retrieved",
        ),
    ] {
        client.request(id, request);
        assert_eq!(
            name(&client.event().await.1),
            caused,
            "before response {id}"
        );
        match client.frame().await {
            ServerFrame::Response { id: got, ok, .. } => assert_eq!((got.as_str(), ok), (id, true)),
            other => panic!("expected response {id}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn resume_replays_exactly_the_missed_events() {
    let hub = hub(64).await;
    let (mut second, seq) = drop_then_resume(&hub, 1).await;
    let replay = [second.event().await, second.event().await];
    assert_eq!(
        replay.map(|(seq, event)| (seq, name(&event))),
        [
            (seq + 1, "Delivered".into()),
            (seq + 2, "ConnectionCleared".into())
        ]
    );
    // Nothing else is waiting: the next frame answers the next request.
    second.send(json!({"type": "Ping"}));
    assert_eq!(second.frame().await, ServerFrame::Pong);
}

#[tokio::test]
async fn resume_past_the_replay_buffer_gets_a_snapshot() {
    let hub = hub(4).await;
    let (mut second, seq) = drop_then_resume(&hub, 5).await;
    let (snapshot_seq, event) = second.event().await;
    assert!(matches!(event, NativeEvent::Snapshot(_)), "{event:?}");
    assert_eq!(snapshot_seq, seq + 10, "numbered as the latest event");
    // An unknown token is refused.
    second.send(json!({"type": "Resume", "id": "X", "token": "nope", "lastSeq": 0}));
    assert!(matches!(
        second.frame().await,
        ServerFrame::Response { ok: false, .. }
    ));
}

#[tokio::test]
async fn a_socket_that_falls_behind_its_feed_catches_up_with_a_snapshot() {
    let hub = hub(4).await;
    let mut client = Client::connect(&hub);
    let (_, seq) = client.login().await;
    // The connection task does not run until this test awaits: ten events
    // overflow its feed of four.
    for _ in 0..5 {
        ring_and_abandon(&hub);
    }
    let (caught_up, event) = client.event().await;
    assert!(matches!(event, NativeEvent::Snapshot(_)), "{event:?}");
    assert_eq!(caught_up, seq + 10);
    ring_and_abandon(&hub);
    assert_eq!(client.event().await.0, seq + 11, "then the feed goes on");
}

#[tokio::test]
async fn a_frame_over_the_cap_closes_only_that_socket() {
    let hub = hub(64).await;
    let mut big = Client::connect(&hub);
    big.login().await;
    big.send_raw(Message::Text(
        "x".repeat(app::wire::native::MAX_FRAME_BYTES + 1).into(),
    ));
    match big.message().await {
        Message::Close(Some(frame)) => assert_eq!(frame.code, close_code::SIZE),
        other => panic!("expected a close frame, got {other:?}"),
    }
    big.task.await.unwrap();
    // The session and other sockets are untouched.
    let mut other = Client::connect(&hub);
    other.login().await;
}

#[tokio::test]
async fn bad_frames_are_answered_and_the_socket_survives() {
    let hub = hub(64).await;
    let mut client = Client::connect(&hub);
    client.send_raw(Message::Text("{not json".into()));
    assert!(matches!(client.frame().await, ServerFrame::Error { .. }));
    client.send(
        json!({"type": "Request", "id": "7", "request": {"type": "HoldCall", "callId": "C1"}}),
    );
    match client.frame().await {
        ServerFrame::Response {
            ok: false, error, ..
        } => assert_eq!(
            error.unwrap().err_code,
            app::opencti::ErrorCode::AgentNotLoggedIn
        ),
        other => panic!("{other:?}"),
    }
    client.send(json!({"type": "Ping"}));
    assert_eq!(client.frame().await, ServerFrame::Pong);
}

#[tokio::test]
async fn a_silent_peer_is_pinged_then_closed() {
    let hub = hub_with(RelayConfig {
        heartbeat_interval: Duration::from_secs(4),
        heartbeat_timeout: Duration::from_secs(10),
        ..RelayConfig::default()
    })
    .await;
    // Virtual time from here: the database is open.
    tokio::time::pause();
    let Client {
        to_server: _keep_open,
        mut from_server,
        task,
    } = Client::connect(&hub);
    // The paused clock runs ahead whenever everything waits: no real time passes.
    let mut pings = 0;
    loop {
        match from_server.next().await {
            Some(Message::Ping(_)) => pings += 1,
            Some(Message::Close(Some(frame))) => {
                assert_eq!(frame.code, close_code::AWAY);
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(pings >= 2, "pinged before giving up ({pings})");
    task.await.unwrap();
}
