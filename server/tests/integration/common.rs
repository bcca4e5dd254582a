//! Test harness: a real server on port 0, WebSocket panel clients, the
//! simulator API over HTTP, and JSON Schema validation of every OpenCTI
//! event the received native events convert to.

use std::{collections::HashMap, net::SocketAddr, sync::OnceLock, time::Duration};

use app::{
    opencti::{OpenCtiError, events::OpenCtiEvent},
    wire::{
        convert,
        native::{ClientFrame, CstaRequest, NativeEvent, ResponseValue, ServerFrame, SessionInfo},
    },
};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use server::{config::Cli, relay::Hub};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

/// How long a test waits for something that should happen at once before it
/// fails (a bound on failure, not a pause).
pub const PATIENCE: Duration = Duration::from_secs(5);

pub const CALLER: &str = "+15551230001";

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub hub: Hub,
    http: reqwest::Client,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Starts a server with the demo configuration and extra flags.
    pub async fn start(flags: &[&str]) -> Self {
        Self::start_with(false, flags).await
    }

    /// Starts a server that believes it listens on `0.0.0.0` (reachable from
    /// the network), while the test reaches it on loopback.
    pub async fn start_public(flags: &[&str]) -> Self {
        Self::start_with(true, flags).await
    }

    async fn start_with(public: bool, flags: &[&str]) -> Self {
        let mut argv = vec![
            "server",
            "--addr",
            "127.0.0.1:0",
            "--allowed-origin",
            "http://allowed.test",
        ];
        if !flags.contains(&"--database") {
            argv.extend_from_slice(&["--database", "sqlite::memory:"]);
        }
        argv.extend_from_slice(flags);
        let cli = Cli::try_parse_from(argv).expect("valid flags");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let local = if public {
            SocketAddr::from(([0, 0, 0, 0], addr.port()))
        } else {
            addr
        };
        let (router, hub) = server::app_router(&cli.serve, local).await.unwrap();
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        // As `server::serve` does: no Nagle delay between an event frame and
        // the response frame after it.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            tcp.set_nodelay(true).ok();
        });
        let serving = tokio::spawn(async move { axum::serve(listener, service).await });
        Self {
            addr,
            hub,
            http: reqwest::Client::new(),
            serving,
        }
    }

    /// Stops accepting connections (a server that went away).
    pub fn stop(&self) {
        self.serving.abort();
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Opens a panel socket (no `Origin` header, as non-browser clients).
    pub async fn panel(&self) -> Panel {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", self.addr))
            .await
            .unwrap();
        Panel::new(ws)
    }

    /// Opens a panel socket from `source`, one of the loopback addresses
    /// (127.0.0.0/8): a client the login limits count apart.
    pub async fn panel_from(&self, source: std::net::IpAddr) -> Panel {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(source, 0)).unwrap();
        let stream = socket.connect(self.addr).await.unwrap();
        let (ws, _) = tokio_tungstenite::client_async(
            format!("ws://{}/ws", self.addr),
            MaybeTlsStream::Plain(stream),
        )
        .await
        .unwrap();
        Panel::new(ws)
    }

    /// Logs `agent` (100N) in on its own extension (200N) on a new socket.
    pub async fn agent(&self, agent: &str) -> Panel {
        let mut panel = self.panel().await;
        panel.login(agent).await.unwrap();
        panel
    }

    pub async fn place_call(&self, to: &str, data: Value) -> String {
        let (status, body) = self
            .post(
                "/api/sim/calls",
                json!({"from": CALLER, "to": to, "data": data}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["callId"].as_str().unwrap().to_string()
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn post_raw(&self, path: &str, body: &'static str) -> (u16, Value) {
        let res = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (
            res.status().as_u16(),
            res.json().await.unwrap_or(Value::Null),
        )
    }

    /// A sample without labels from `/metrics` (`None`: not there).
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let text = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    }

    pub async fn calls(&self) -> Vec<Value> {
        let res = self
            .http
            .get(self.url("/api/sim/calls"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// The call records (`GET /api/calls`), newest first.
    pub async fn records(&self) -> Vec<Value> {
        let res = self.http.get(self.url("/api/calls")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// `(dn, state)` of every party of a call, as the simulator lists them.
    pub async fn parties(&self, call_id: &str) -> Vec<(String, String)> {
        let calls = self.calls().await;
        let call = calls
            .iter()
            .find(|c| c["callId"] == call_id)
            .unwrap_or(&Value::Null);
        call["parties"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        (
                            p["dn"].as_str().unwrap().to_string(),
                            p["state"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn party(dn: &str, state: &str) -> (String, String) {
    (dn.to_string(), state.to_string())
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One panel's socket, recording every event it receives.
pub struct Panel {
    ws: Socket,
    next_id: u64,
    pub session: Option<SessionInfo>,
    /// Every native event received, with its sequence number.
    pub events: Vec<(u64, NativeEvent)>,
    /// How many of `events` the test has consumed with `expect_*`.
    cursor: usize,
    /// Every OpenCTI event the native events converted to.
    pub opencti: Vec<OpenCtiEvent>,
    /// The supervisor's figures, merged from the `Supervisor` frames.
    pub figures: Option<app::supervisor::Snapshot>,
}

impl Panel {
    pub fn new(ws: Socket) -> Self {
        Self {
            ws,
            next_id: 0,
            session: None,
            events: vec![],
            cursor: 0,
            opencti: vec![],
            figures: None,
        }
    }

    pub fn dn(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.extension.as_str())
    }

    /// The session token of the logged-in agent.
    pub fn token(&self) -> String {
        self.session.as_ref().expect("logged in").token.clone()
    }

    pub fn last_seq(&self) -> u64 {
        self.events.last().map_or(0, |e| e.0)
    }

    /// Request ids are unique across panels: the server answers a repeated
    /// id of a session (any of its tabs) from its cache.
    fn id(&mut self) -> String {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        self.next_id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("t{}", self.next_id)
    }

    pub async fn send_text(&mut self, text: String) {
        self.ws.send(Message::Text(text.into())).await.unwrap();
    }

    pub async fn send_frame(&mut self, frame: &ClientFrame) {
        self.send_text(serde_json::to_string(frame).unwrap()).await;
    }

    /// The next server frame; events are recorded on the way.
    pub async fn next_frame(&mut self) -> Option<ServerFrame> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let message = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("no frame in time")?;
            match message {
                Ok(Message::Text(text)) => {
                    let frame: ServerFrame =
                        serde_json::from_str(&text).expect("server frames parse");
                    if let ServerFrame::Event { seq, event } = &frame {
                        self.record(*seq, event.clone());
                    }
                    if let ServerFrame::Supervisor {
                        snapshot,
                        changes_only,
                    } = &frame
                    {
                        assert_eq!(
                            *changes_only,
                            self.figures.is_some(),
                            "the first frame is whole, the next ones changes only"
                        );
                        self.figures
                            .get_or_insert_with(Default::default)
                            .merge(snapshot.clone(), *changes_only);
                    }
                    return Some(frame);
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    fn record(&mut self, seq: u64, event: NativeEvent) {
        if let NativeEvent::Snapshot(s) = &event {
            assert!(
                !s.agent.device.is_empty()
                    || s.agent.status == app::wire::native::AgentStatus::LoggedOut
            );
        } else {
            assert!(
                seq > self.last_seq(),
                "event {seq} after {}: out of order or twice",
                self.last_seq()
            );
        }
        let dn = match &event {
            NativeEvent::Snapshot(s) => s.agent.device.clone(),
            _ => self.dn().to_string(),
        };
        for converted in convert::to_opencti(&dn, &event) {
            validate_schema(&converted);
            self.opencti.push(converted);
        }
        self.events.push((seq, event));
    }

    /// Reads until the response to `id`.
    async fn response(&mut self, id: &str) -> Result<Option<ResponseValue>, OpenCtiError> {
        loop {
            match self
                .next_frame()
                .await
                .expect("socket closed before the response")
            {
                ServerFrame::Response {
                    id: rid,
                    ok,
                    value,
                    error,
                } if rid == id => {
                    return if ok {
                        Ok(value)
                    } else {
                        Err(error.expect("error with ok: false"))
                    };
                }
                _ => continue,
            }
        }
    }

    pub async fn login_with(
        &mut self,
        agent: &str,
        extension: Option<&str>,
        mode: Option<&str>,
    ) -> Result<SessionInfo, OpenCtiError> {
        self.login_as(agent, "demo", extension, mode).await
    }

    pub async fn login_as(
        &mut self,
        agent: &str,
        password: &str,
        extension: Option<&str>,
        mode: Option<&str>,
    ) -> Result<SessionInfo, OpenCtiError> {
        let id = self.id();
        self.send_frame(&ClientFrame::Login {
            id: id.clone(),
            agent_id: agent.into(),
            password: password.into(),
            extension: extension.map(str::to_string),
            telephony_mode: mode.map(str::to_string),
            implementation: Some("tests".into()),
        })
        .await;
        match self.response(&id).await? {
            Some(ResponseValue::Session(session)) => {
                self.session = Some(session.clone());
                // The snapshot follows the response.
                self.expect(|e| matches!(e, NativeEvent::Snapshot(_))).await;
                Ok(session)
            }
            other => panic!("login answered {other:?}"),
        }
    }

    pub async fn login(&mut self, agent: &str) -> Result<SessionInfo, OpenCtiError> {
        self.login_with(agent, None, None).await
    }

    pub async fn resume(&mut self, token: &str, last_seq: u64) -> Result<(), OpenCtiError> {
        let id = self.id();
        self.send_frame(&ClientFrame::Resume {
            id: id.clone(),
            token: token.into(),
            last_seq,
        })
        .await;
        match self.response(&id).await? {
            Some(ResponseValue::Session(session)) => {
                self.session = Some(session);
                Ok(())
            }
            other => panic!("resume answered {other:?}"),
        }
    }

    pub async fn request_with_id(
        &mut self,
        id: &str,
        request: CstaRequest,
    ) -> Result<Option<ResponseValue>, OpenCtiError> {
        self.send_frame(&ClientFrame::Request {
            id: id.into(),
            request,
        })
        .await;
        self.response(id).await
    }

    /// Sends the softphone's SDP offer for `call_id`; the answer's SDP.
    pub async fn offer(&mut self, call_id: &str, sdp: &str) -> Result<String, OpenCtiError> {
        let id = self.id();
        self.send_frame(&ClientFrame::Offer {
            id: id.clone(),
            call_id: call_id.into(),
            sdp: sdp.into(),
        })
        .await;
        match self.response(&id).await? {
            Some(ResponseValue::Answer(answer)) => Ok(answer.sdp),
            other => panic!("an offer answered {other:?}"),
        }
    }

    pub async fn request(
        &mut self,
        request: CstaRequest,
    ) -> Result<Option<ResponseValue>, OpenCtiError> {
        let id = self.id();
        self.request_with_id(&id, request).await
    }

    /// Sends a request that must succeed; returns the call id it created, if any.
    pub async fn ok(&mut self, request: CstaRequest) -> Option<String> {
        match self.request(request.clone()).await {
            Ok(Some(ResponseValue::Call(c))) => Some(c.call_id),
            Ok(_) => None,
            Err(err) => panic!("{request:?} failed: {err}"),
        }
    }

    /// Waits for the next not yet consumed event matching `pred`.
    pub async fn expect(&mut self, pred: impl Fn(&NativeEvent) -> bool) -> NativeEvent {
        loop {
            if let Some(pos) = self.events[self.cursor..].iter().position(|(_, e)| pred(e)) {
                self.cursor += pos + 1;
                return self.events[self.cursor - 1].1.clone();
            }
            self.next_frame()
                .await
                .expect("socket closed while waiting for an event");
        }
    }

    /// Waits for the OpenCTI CallStateEvent `name` of `call_id`.
    pub async fn expect_call_state(&mut self, call_id: &str, name: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let found = self.opencti.iter().any(|e| match e {
                OpenCtiEvent::CallStateEvent(c) => {
                    c.call_id == call_id && serde_json::to_value(c.event_name).unwrap() == name
                }
                _ => false,
            });
            if found {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {name} for {call_id}; got {:?}",
                self.opencti
            );
            self.next_frame().await.expect("socket closed");
        }
    }

    /// Waits for an agent state event of this type.
    pub async fn expect_agent(&mut self, name: &str) -> app::wire::native::AgentInfo {
        let event = self
            .expect(|e| serde_json::to_value(e).unwrap()["type"] == name)
            .await;
        match event {
            NativeEvent::AgentLoggedOn(a)
            | NativeEvent::AgentLoggedOff(a)
            | NativeEvent::AgentReady(a)
            | NativeEvent::AgentNotReady(a)
            | NativeEvent::AgentWorkingAfterCall(a) => a,
            other => panic!("{other:?}"),
        }
    }

    /// Waits for the Delivered event of a call ringing here; returns its id.
    pub async fn expect_ringing(&mut self) -> String {
        let dn = self.dn().to_string();
        match self
            .expect(|e| matches!(e, NativeEvent::Delivered(c) if c.device == dn))
            .await
        {
            NativeEvent::Delivered(c) => c.call.call_id,
            _ => unreachable!(),
        }
    }

    /// Subscribes this socket to the supervisor's figures with `token`.
    pub async fn supervise(&mut self, token: &str) -> Result<(), OpenCtiError> {
        let id = self.id();
        self.send_frame(&ClientFrame::Supervise {
            id: id.clone(),
            token: token.into(),
        })
        .await;
        self.response(&id).await.map(|_| ())
    }

    /// Waits for a supervisor snapshot that satisfies `pred`.
    pub async fn expect_figures(
        &mut self,
        pred: impl Fn(&app::supervisor::Snapshot) -> bool,
    ) -> app::supervisor::Snapshot {
        loop {
            if let ServerFrame::Supervisor { .. } = self.next_frame().await.expect("socket closed")
                && let Some(figures) = &self.figures
                && pred(figures)
            {
                return figures.clone();
            }
        }
    }

    /// Pings and reads up to the Pong: every frame the server sent before.
    pub async fn frames_until_pong(&mut self) -> Vec<ServerFrame> {
        self.send_frame(&ClientFrame::Ping).await;
        let mut frames = vec![];
        loop {
            match self.next_frame().await.expect("socket closed") {
                ServerFrame::Pong => return frames,
                frame => frames.push(frame),
            }
        }
    }

    pub async fn close(mut self) {
        // The server may have closed first: either way the socket is gone.
        self.ws.close(None).await.ok();
    }

    /// Pings and waits for the pong: proves the socket (and server) still serve.
    pub async fn assert_alive(&mut self) {
        self.send_frame(&ClientFrame::Ping).await;
        loop {
            match self.next_frame().await {
                Some(ServerFrame::Pong) => return,
                Some(_) => continue,
                None => panic!("socket closed"),
            }
        }
    }
}

/// The compiled JSON Schemas of `app/schemas`, by `pyEventType`.
fn schemas() -> &'static HashMap<String, jsonschema::Validator> {
    static SCHEMAS: OnceLock<HashMap<String, jsonschema::Validator>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        OpenCtiEvent::EVENT_TYPES
            .iter()
            .map(|name| {
                let path = format!(
                    "{}/../app/schemas/{name}.schema.json",
                    env!("CARGO_MANIFEST_DIR")
                );
                let schema: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                (
                    name.to_string(),
                    jsonschema::validator_for(&schema).expect("valid schema"),
                )
            })
            .collect()
    })
}

/// Fails the test unless `event` validates against the schema of its type.
/// Fails the test unless `value` validates against `app/schemas/{name}.schema.json`.
pub fn validate_against(name: &str, value: &Value) {
    let path = format!(
        "{}/../app/schemas/{name}.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{name} {value}: {errors:?}");
}

pub fn validate_schema(event: &OpenCtiEvent) {
    let value = serde_json::to_value(event).unwrap();
    let validator = &schemas()[event.event_type()];
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{} does not match its schema: {errors:?}",
        value
    );
}

pub fn hold(call_id: &str) -> CstaRequest {
    CstaRequest::HoldCall {
        call_id: call_id.into(),
    }
}
/// A consultation (for a conference) from `call_id` to `destination`.
pub fn consult(call_id: &str, destination: &str) -> CstaRequest {
    CstaRequest::ConsultationCall {
        call_id: call_id.into(),
        destination: destination.into(),
        purpose: app::wire::native::ConsultPurpose::Conference,
        user_data: None,
    }
}

pub fn retrieve(call_id: &str) -> CstaRequest {
    CstaRequest::RetrieveCall {
        call_id: call_id.into(),
    }
}
pub fn answer(call_id: &str) -> CstaRequest {
    CstaRequest::AnswerCall {
        call_id: call_id.into(),
    }
}
pub fn hang_up(call_id: &str) -> CstaRequest {
    CstaRequest::ClearConnection {
        call_id: call_id.into(),
        device: None,
    }
}
pub fn ready() -> CstaRequest {
    CstaRequest::SetAgentState {
        state: app::wire::native::RequestedAgentState::Ready,
        reason: None,
        work_mode: None,
    }
}

/// A fixed pseudo-random sequence (xorshift64): the same script every run.
pub fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// An Argon2id hash at the lowest cost (8 KiB, one pass): for tests that log
/// in many agents and measure the relay, not password checks.
pub fn cheap_hash(password: &str) -> String {
    use argon2::{Algorithm, Argon2, Params, Version, password_hash::PasswordHasher};
    let params = Params::new(8, 1, 1, None).unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes())
        .unwrap()
        .to_string()
}
