//! The media fork's WebSocket client (`--media-fork-url`): one connection
//! per answered call, in the message format of Twilio Media Streams, which
//! many voice bots already speak: `connected`, `start` (`callSid` is our call
//! id, `tracks` both directions), `media` (`track` `inbound` for the
//! customer, `outbound` for the agent; base64 8 kHz µ-law `payload`, 20 ms
//! each), `stop`. The engine answers on the same socket with conversation
//! events (see [`super::messages`]), delivered like the HTTP API's.
//!
//! The engine never waits for this task: frames queue (a second's worth)
//! and are lost, counted, when the AI endpoint is slow or unreachable.

use std::sync::Arc;

use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::messages::read_events;
use crate::{
    media::fork::{FORK_QUEUE, ForkFigures, ForkFrame, ForkOpener, ForkStart},
    relay::Hub,
};

/// Milliseconds of audio in one frame.
const FRAME_MS: u64 = 20;

/// How long a fork waits for the AI endpoint's WebSocket handshake; the
/// call's frames queue, then are lost (counted), meanwhile.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens forks to `url`, delivering what the engine says through `hub`.
pub fn opener(url: String, hub: Hub) -> ForkOpener {
    Arc::new(move |start: ForkStart, figures: Arc<ForkFigures>| {
        let (sender, frames) = mpsc::channel(FORK_QUEUE);
        tokio::spawn(run(url.clone(), start, frames, hub.clone(), figures));
        sender
    })
}

async fn run(
    url: String,
    start: ForkStart,
    mut frames: mpsc::Receiver<ForkFrame>,
    hub: Hub,
    figures: Arc<ForkFigures>,
) {
    let call_id = start.call_id.clone();
    let connecting = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio_tungstenite::connect_async(url.as_str()),
    );
    let socket = match connecting.await {
        Ok(Ok((socket, _))) => socket,
        failed => {
            let err = match failed {
                Ok(Err(err)) => err.to_string(),
                _ => format!("no answer within {CONNECT_TIMEOUT:?}"),
            };
            tracing::warn!(call = %call_id, "media fork: cannot reach {url}: {err}; this call's audio is not forked");
            while frames.recv().await.is_some() {
                figures.lose_frame();
            }
            return;
        }
    };
    tracing::info!(call = %call_id, "media fork open to {url}");
    let (mut out, mut incoming) = socket.split();
    let mut stream = Stream::new(&start);
    let mut open = true;
    for message in [stream.connected(), stream.start(&start)] {
        open &= out.send(message).await.is_ok();
    }
    let mut listening = true;
    loop {
        tokio::select! {
            frame = frames.recv() => match frame {
                Some(frame) if open => {
                    for message in stream.media(&frame) {
                        if let Err(err) = out.send(message).await {
                            tracing::warn!(call = %call_id, "media fork closed: {err}");
                            open = false;
                            break;
                        }
                    }
                    if open {
                        figures.delivered(&frame);
                    }
                }
                Some(_) => figures.lose_frame(),
                None => break,
            },
            message = incoming.next(), if listening => match message {
                Some(Ok(Message::Text(text))) => on_message(&hub, &call_id, &text),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    listening = false;
                }
                Some(Ok(_)) => {}
            },
        }
    }
    if open {
        let _ = out.send(stream.stop()).await;
        let _ = out.close().await;
    }
    tracing::info!(call = %call_id, "media fork closed: the call ended");
}

/// What the engine said: conversation events about this call. Twilio-style
/// messages (`mark`, `clear`) and anything unreadable are logged and
/// ignored: the call goes on.
fn on_message(hub: &Hub, call_id: &str, text: &str) {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => {
            tracing::warn!(call = %call_id, "media fork: unreadable message: {err}");
            return;
        }
    };
    if value.get("event").is_some() {
        tracing::debug!(call = %call_id, "media fork: {value} ignored");
        return;
    }
    let delivered = read_events(value).and_then(|events| {
        hub.conversation(call_id, events)
            .map_err(|err| err.to_string())
    });
    if let Err(err) = delivered {
        tracing::warn!(call = %call_id, "media fork: conversation event refused: {err}");
    }
}

/// One stream's numbering, as Twilio Media Streams number theirs.
struct Stream {
    sid: String,
    call_sid: String,
    sequence: u64,
    chunk: u64,
}

impl Stream {
    fn new(start: &ForkStart) -> Self {
        Self {
            sid: format!("MZ{}", uuid::Uuid::new_v4().simple()),
            call_sid: start.call_id.clone(),
            sequence: 0,
            chunk: 0,
        }
    }

    fn next(&mut self) -> String {
        self.sequence += 1;
        self.sequence.to_string()
    }

    fn connected(&self) -> Message {
        text(json!({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
    }

    fn start(&mut self, start: &ForkStart) -> Message {
        text(json!({
            "event": "start",
            "sequenceNumber": self.next(),
            "streamSid": self.sid,
            "start": {
                "streamSid": self.sid,
                "callSid": start.call_id,
                "tracks": ["inbound", "outbound"],
                "customParameters": start.parameters,
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        }))
    }

    /// Both directions of one 20 ms frame.
    fn media(&mut self, frame: &ForkFrame) -> [Message; 2] {
        self.chunk += 1;
        let timestamp = ((self.chunk - 1) * FRAME_MS).to_string();
        let chunk = self.chunk.to_string();
        let mut one = |track: &str, payload: &[u8]| {
            text(json!({
                "event": "media",
                "sequenceNumber": self.next(),
                "streamSid": self.sid,
                "media": {
                    "track": track,
                    "chunk": chunk,
                    "timestamp": timestamp,
                    "payload": BASE64.encode(payload),
                },
            }))
        };
        [
            one("inbound", &frame.inbound),
            one("outbound", &frame.outbound),
        ]
    }

    fn stop(&mut self) -> Message {
        text(json!({
            "event": "stop",
            "sequenceNumber": self.next(),
            "streamSid": self.sid,
            "stop": {"callSid": self.call_sid},
        }))
    }
}

fn text(value: Value) -> Message {
    Message::text(value.to_string())
}
