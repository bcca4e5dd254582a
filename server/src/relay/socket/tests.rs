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
    relay::{Hub, RelayConfig, ReplayLimits},
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
        replay: ReplayLimits {
            events: replay_capacity,
            ..ReplayLimits::default()
        },
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

/// Frames from the outside, fuzzed: arbitrary text, arbitrary JSON, and
/// frames of the right shape with arbitrary contents, all on one logged-in
/// socket. Properties: nothing panics, every refusal is an OpenCTI error
/// with a code and a message, and the socket keeps serving (a ping after
/// each case is answered). `PROPTEST_CASES` sets the count (default 256).
#[test]
fn fuzzed_frames_are_refused_clearly_and_the_socket_survives() {
    use proptest::{prelude::*, test_runner::TestRunner};

    fn any_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            ".{0,8}".prop_map(serde_json::Value::String),
            prop::sample::select(vec![
                "C1001", "2002", "5000", "Ready", "NotReady", "Lunch", ""
            ])
            .prop_map(|s| serde_json::Value::String(s.into())),
        ];
        leaf.prop_recursive(2, 12, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "type",
                        "id",
                        "callId",
                        "destination",
                        "state",
                        "reason",
                        "digits",
                        "device",
                        "token",
                        "lastSeq",
                        "request",
                        "heldCallId",
                        "x",
                    ])
                    .prop_map(str::to_string),
                    inner,
                    0..5
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
    let request_type = prop::sample::select(vec![
        "SetAgentState",
        "CompleteWrapUp",
        "MakeCall",
        "AnswerCall",
        "RejectCall",
        "ClearConnection",
        "HoldCall",
        "RetrieveCall",
        "GenerateDigits",
        "ConsultationCall",
        "TransferCall",
        "ConferenceCall",
        "SingleStepTransferCall",
        "AlternateCall",
        "GetDirectory",
        "Nope",
    ]);
    let frame = prop_oneof![
        ".{0,64}".prop_map(Message::from),
        any_json().prop_map(|v| Message::from(v.to_string())),
        (request_type, any_json()).prop_map(|(kind, fields)| {
            let mut request = fields.as_object().cloned().unwrap_or_default();
            request.insert("type".into(), json!(kind));
            Message::from(json!({"type": "Request", "id": "f", "request": request}).to_string())
        }),
        (
            prop::sample::select(vec!["Login", "Resume", "Ping", "Request", "Event"]),
            any_json()
        )
            .prop_map(|(kind, fields)| {
                let mut frame = fields.as_object().cloned().unwrap_or_default();
                frame.insert("type".into(), json!(kind));
                Message::from(serde_json::Value::Object(frame).to_string())
            }),
        prop::collection::vec(any::<u8>(), 0..32).prop_map(Message::from),
    ];

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let hub = runtime.block_on(hub(64));
    let mut client = runtime.block_on(async { Client::connect(&hub) });
    runtime.block_on(async {
        client.login().await;
        // From here the test owns the clock: each case moves it on enough
        // to stay within the socket's message allowance.
        tokio::time::pause();
    });
    let client = std::cell::RefCell::new(client);
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    let mut runner = TestRunner::new(proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..Default::default()
    });
    runner
        .run(&frame, |message| {
            let mut client = client.borrow_mut();
            runtime.block_on(async {
                // Stay within the message allowance: a fuzzer is no flood.
                tokio::time::advance(Duration::from_millis(200)).await;
                client.send_raw(message);
                client.send(json!({"type": "Ping"}));
                loop {
                    match client.frame().await {
                        ServerFrame::Pong => break,
                        ServerFrame::Response {
                            ok: false, error, ..
                        } => {
                            let error = error.expect("a refusal carries its error");
                            assert!(!error.err_message.trim().is_empty(), "{error:?}");
                        }
                        ServerFrame::Error { error } => {
                            assert!(!error.err_message.trim().is_empty(), "{error:?}");
                        }
                        ServerFrame::Response { ok: true, .. } | ServerFrame::Event { .. } => {}
                        ServerFrame::Supervisor { .. } => {
                            panic!("a fuzzed frame opened the supervisor's feed")
                        }
                    }
                }
            });
            Ok(())
        })
        .unwrap();
    // The agent's session is intact and still serves requests.
    let mut client = client.into_inner();
    runtime.block_on(async {
        client.request("after", CstaRequest::GetDirectory);
        loop {
            if let ServerFrame::Response { id, ok, .. } = client.frame().await
                && id == "after"
            {
                assert!(ok);
                break;
            }
        }
    });
}
