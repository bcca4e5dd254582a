//! Voice AI end to end (DESIGN.md §10): conversation events by HTTP and on
//! the media fork's WebSocket reach the agents on the call (and the agent
//! wrapping it up) as `VoiceAIEvent`s; the fork streams the call's audio in
//! the Twilio Media Streams format; the simulated customer speaks; bad input
//! is refused and changes nothing.

use std::time::{Duration, Instant};

use app::{
    opencti::events::{OpenCtiEvent, Speaker, VoiceAiEvent},
    wire::native::{NativeEvent, ServerFrame},
};
use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{net::TcpListener, sync::mpsc};
use tokio_tungstenite::tungstenite::Message;

use crate::{
    audio::agent_with_audio,
    common::{Panel, TestServer, answer, hang_up, ready, validate_schema},
};

fn events_path(call_id: &str) -> String {
    format!("/api/calls/{call_id}/conversation-events")
}

/// An agent talking with a simulated customer.
async fn talking(server: &TestServer, agent: &str) -> (Panel, String) {
    let mut panel = server.agent(agent).await;
    panel.ok(ready()).await;
    let call_id = server.place_call("5000", json!({})).await;
    panel.expect_ringing().await;
    panel.ok(answer(&call_id)).await;
    panel.expect_call_state(&call_id, "Established").await;
    (panel, call_id)
}

/// The conversation events among the frames sent before a ping's answer.
async fn conversation_frames(panel: &mut Panel) -> Vec<VoiceAiEvent> {
    panel
        .frames_until_pong()
        .await
        .into_iter()
        .filter_map(|frame| match frame {
            ServerFrame::Event {
                event: NativeEvent::Conversation(e),
                ..
            } => Some(e),
            _ => None,
        })
        .collect()
}

async fn expect_conversation(panel: &mut Panel, call_id: &str) -> VoiceAiEvent {
    let NativeEvent::Conversation(event) = panel
        .expect(|e| matches!(e, NativeEvent::Conversation(v) if v.call_id() == call_id))
        .await
    else {
        unreachable!()
    };
    validate_schema(&OpenCtiEvent::VoiceAiEvent(event.clone()));
    event
}

#[tokio::test]
async fn conversation_events_reach_the_agents_on_the_call_and_no_one_else() {
    let server = TestServer::start(&["--wrap-up-seconds", "60"]).await;
    let (mut agent, call_id) = talking(&server, "1001").await;
    let mut other = server.agent("1002").await;
    let (status, body) = server
        .post(
            &events_path(&call_id),
            json!({"events": [
                {"type": "utterance", "speaker": "customer", "text": "I want a refund", "final": false, "start": 1.5, "end": 2.25},
                {"type": "utterance", "speaker": "customer", "text": "I want a refund please", "final": true},
                {"type": "intent", "name": "refund", "confidence": 0.8},
                {"type": "suggestion", "title": "Refunds", "text": "Within 30 days", "url": "https://kb.example.com/refunds"}
            ]}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["accepted"], 4);
    let first = expect_conversation(&mut agent, &call_id).await;
    assert!(matches!(
        first,
        VoiceAiEvent::Utterance {
            speaker: Speaker::Customer,
            is_final: false,
            start: Some(1.5),
            end: Some(2.25),
            ..
        }
    ));
    for _ in 0..3 {
        expect_conversation(&mut agent, &call_id).await;
    }
    assert!(
        conversation_frames(&mut other).await.is_empty(),
        "an agent not on the call hears nothing of it"
    );

    // The summary comes after the hang-up: the agent wrapping up gets it.
    agent.ok(hang_up(&call_id)).await;
    agent.expect_call_state(&call_id, "Disconnected").await;
    let (status, _) = server
        .post(
            &events_path(&call_id),
            json!({"events": [{"type": "summary", "text": "Asked for a refund."}]}),
        )
        .await;
    assert_eq!(status, 202);
    assert!(matches!(
        expect_conversation(&mut agent, &call_id).await,
        VoiceAiEvent::Summary { text, .. } if text == "Asked for a refund."
    ));
}

#[tokio::test]
async fn bad_conversation_events_are_refused_and_change_nothing() {
    let server = TestServer::start(&[]).await;
    let (mut agent, call_id) = talking(&server, "1001").await;
    for (body, status) in [
        (json!({"events": []}), 400),
        (json!({"events": [{"type": "gossip", "text": "x"}]}), 400),
        (
            json!({"events": [
                {"type": "summary", "text": "fine"},
                {"type": "suggestion", "title": "x", "text": "y", "url": "javascript:alert(1)"}
            ]}),
            400,
        ),
        (json!([1, 2]), 400),
    ] {
        let (got, answer) = server.post(&events_path(&call_id), body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["errCode"], "OPENCTI_BAD_REQUEST", "{answer}");
        assert!(answer["errMessage"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (got, answer) = server
        .post(
            &events_path("C-nope"),
            json!({"events": [{"type": "summary", "text": "x"}]}),
        )
        .await;
    assert_eq!(got, 404, "{answer}");
    let (got, _) = server.post_raw(&events_path(&call_id), "{not json").await;
    assert_eq!(got, 400);
    let form = server
        .http()
        .post(server.url(&events_path(&call_id)))
        .header("content-type", "text/plain")
        .body(r#"{"events": [{"type": "summary", "text": "x"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 403, "a body that is not JSON is refused");
    assert!(
        conversation_frames(&mut agent).await.is_empty(),
        "nothing of a refused batch was delivered"
    );
}

/// A stand-in AI endpoint: every message the fork sends, and a way to
/// answer on the fork's socket.
struct FakeEngine {
    url: String,
    received: mpsc::UnboundedReceiver<Value>,
    replies: mpsc::UnboundedSender<Value>,
}

impl FakeEngine {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/fork", listener.local_addr().unwrap());
        let (to_test, received) = mpsc::unbounded_channel();
        let (replies, mut from_test) = mpsc::unbounded_channel::<Value>();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let ws = tokio_tungstenite::accept_async(stream).await.unwrap();
            let (mut out, mut incoming) = ws.split();
            loop {
                tokio::select! {
                    message = incoming.next() => match message {
                        Some(Ok(Message::Text(text))) => {
                            let _ = to_test.send(serde_json::from_str(&text).unwrap());
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    Some(reply) = from_test.recv() => {
                        out.send(Message::text(reply.to_string())).await.unwrap();
                    }
                }
            }
        });
        Self {
            url,
            received,
            replies,
        }
    }

    /// The next message whose `event` is `name`.
    async fn next(&mut self, name: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = tokio::time::timeout(left, self.received.recv())
                .await
                .unwrap_or_else(|_| panic!("no {name} message from the fork"))
                .expect("the fork closed");
            if message["event"] == name {
                return message;
            }
        }
    }

    /// The next `media` frame of `track`, decoded to linear samples.
    async fn next_media(&mut self, track: &str) -> Vec<i16> {
        loop {
            let media = self.next("media").await;
            if media["media"]["track"] == track {
                let payload = BASE64
                    .decode(media["media"]["payload"].as_str().unwrap())
                    .unwrap();
                let mut samples = vec![];
                server::media::g711::Law::Mu.decode(&payload, &mut samples);
                return samples;
            }
        }
    }
}

/// Consecutive runs of loud and quiet frames: (loud, length).
fn runs(frames: &[bool]) -> Vec<(bool, usize)> {
    let mut runs: Vec<(bool, usize)> = vec![];
    for &frame in frames {
        match runs.last_mut() {
            Some((loud, n)) if *loud == frame => *n += 1,
            _ => runs.push((frame, 1)),
        }
    }
    runs
}

fn loud(samples: &[i16]) -> bool {
    samples.iter().any(|s| s.unsigned_abs() > 1000)
}

#[tokio::test]
async fn the_fork_streams_both_directions_and_carries_the_engines_events_back() {
    let mut engine = FakeEngine::start().await;
    let server = TestServer::start(&["--media-fork-url", &engine.url]).await;
    let (mut agent, client, call_id) = agent_with_audio(&server, "1001").await;
    agent.ok(answer(&call_id)).await;

    assert_eq!(engine.next("connected").await["protocol"], "Call");
    let start = engine.next("start").await;
    assert_eq!(start["start"]["callSid"], call_id.as_str());
    assert_eq!(start["start"]["tracks"], json!(["inbound", "outbound"]));
    assert_eq!(
        start["start"]["mediaFormat"],
        json!({"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1})
    );
    assert_eq!(start["start"]["customParameters"]["agents"], "1001");
    // The customer's prompt on the inbound track, 20 ms a frame.
    let mut heard = false;
    for _ in 0..100 {
        let samples = engine.next_media("inbound").await;
        assert_eq!(samples.len(), 160);
        if loud(&samples) {
            heard = true;
            break;
        }
    }
    assert!(heard, "the customer's prompt reaches the fork");
    assert_eq!(engine.next_media("outbound").await.len(), 160);

    // The engine answers on the same socket.
    engine
        .replies
        .send(json!({"type": "utterance", "speaker": "customer", "text": "hello there", "final": true}))
        .unwrap();
    assert!(matches!(
        expect_conversation(&mut agent, &call_id).await,
        VoiceAiEvent::Utterance { speaker: Speaker::Customer, text, is_final: true, .. }
            if text == "hello there"
    ));
    // Twilio's own messages and nonsense are ignored; the fork goes on.
    engine
        .replies
        .send(json!({"event": "mark", "mark": {"name": "x"}}))
        .unwrap();
    engine.replies.send(json!({"type": "gossip"})).unwrap();
    engine.next_media("inbound").await;

    // The customer speaks: speech, then no more prompt.
    let (status, body) = server
        .post(
            &format!("/api/sim/calls/{call_id}/say"),
            json!({"text": "I would like a refund"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let seconds = body["seconds"].as_f64().unwrap();
    assert!(seconds > 0.5 && seconds < 5.0, "{body}");
    // A pause longer than the prompt's (a second), the words, then silence.
    let mut frames = vec![];
    let deadline = Instant::now() + Duration::from_secs(15);
    let heard = loop {
        assert!(Instant::now() < deadline, "the customer never spoke");
        frames.push(loud(&engine.next_media("inbound").await));
        let runs = runs(&frames);
        // After the pause: words (loud runs), and at last a long quiet.
        if let Some(pause) = runs.iter().position(|&(loud, n)| !loud && n >= 40)
            && runs[pause + 1..].iter().any(|&(loud, _)| loud)
            && runs.last().is_some_and(|&(loud, n)| !loud && n >= 60)
        {
            break runs;
        }
    };
    assert!(heard.len() >= 3, "{heard:?}");

    // Every frame the engine got was timed on its way.
    let delivered = server
        .metric("ccp_media_fork_delay_seconds_count")
        .await
        .unwrap_or(0.0);
    assert!(delivered > 50.0, "{delivered} frames timed");

    agent.ok(hang_up(&call_id)).await;
    let stop = engine.next("stop").await;
    assert_eq!(stop["stop"]["callSid"], call_id.as_str());
    drop(client);
}

#[tokio::test]
async fn an_unreachable_ai_endpoint_loses_frames_counted_and_the_call_goes_on() {
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/fork", closed.local_addr().unwrap());
    drop(closed);
    let server = TestServer::start(&["--media-fork-url", &url]).await;
    let (mut agent, call_id) = talking(&server, "1001").await;
    let dropped = || async {
        server
            .metric("ccp_media_fork_frames_dropped_total")
            .await
            .unwrap_or(0.0)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while dropped().await < 10.0 {
        assert!(Instant::now() < deadline, "no lost frames counted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    agent.assert_alive().await;
    agent.ok(hang_up(&call_id)).await;
    agent.expect_call_state(&call_id, "Disconnected").await;
}

#[tokio::test]
async fn an_ai_endpoint_that_never_answers_the_handshake_does_not_hold_the_call_up() {
    // Accepts the connection and says nothing: the fork's queue fills.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/fork", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let (socket, _) = silent.accept().await.unwrap();
        std::future::pending::<()>().await;
        drop(socket);
    });
    let server = TestServer::start(&["--media-fork-url", &url]).await;
    let (mut agent, call_id) = talking(&server, "1001").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while server
        .metric("ccp_media_fork_frames_dropped_total")
        .await
        .unwrap_or(0.0)
        < 10.0
    {
        assert!(Instant::now() < deadline, "a full queue loses no frames");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.metric("ccp_media_forks").await, Some(1.0));
    agent.assert_alive().await;
    agent.ok(hang_up(&call_id)).await;
    agent.expect_call_state(&call_id, "Disconnected").await;
    held.abort();
}

#[tokio::test]
async fn the_customer_cannot_say_what_is_not_there() {
    let server = TestServer::start(&[]).await;
    let (status, body) = server
        .post("/api/sim/calls/C-nope/say", json!({"text": "hello"}))
        .await;
    assert_eq!(status, 404, "{body}");
    let call_id = server.place_call("5000", json!({})).await;
    for bad in [
        json!({"text": ""}),
        json!({"text": "x".repeat(1001)}),
        json!({"words": "x"}),
    ] {
        let (status, body) = server
            .post(&format!("/api/sim/calls/{call_id}/say"), bad.clone())
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
}
