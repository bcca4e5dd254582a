//! The reference Implementation: a WebSocket client of this project's relay.
//! It sends CSTA requests, converts the switch's native events into OpenCTI
//! events with the shared converter, reconnects with exponential backoff and
//! jitter, resumes from the last applied sequence number (which only it
//! knows: numbering is the transport's business), reports the link state as
//! `pyLinkState`, and keeps a heartbeat. The relay sends every event a
//! request causes before the request's response, so a call resolves with
//! the store already up to date.
//!
//! Multi-tab policy: every tab of an agent logs in to the same session (the
//! server joins them) and sees the same events; logging out in one tab ends
//! the session in all. A reload resumes the tab's session from
//! `sessionStorage`.

use std::{
    cell::RefCell,
    collections::HashMap,
    rc::{Rc, Weak},
};

use futures_channel::oneshot;
use gloo_timers::future::TimeoutFuture;
use serde_json::Value;
use wasm_bindgen::{JsCast, closure::Closure};
use wasm_bindgen_futures::spawn_local;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::softphone_handle::{self, SoftphoneHandle};
use crate::{
    interface::{
        EventSink, Implementation, LocalFuture, Request,
        audio::{AUDIO_CAPABILITY, Softphone},
        request::CallOptions,
    },
    opencti::{
        ErrorCode, OpenCtiError,
        events::{AgentStateEvent, AgentStateName, LinkState, OpenCtiEvent, WorkMode},
        functions::{Declaration, Function, RECORDING_CAPABILITY},
    },
    wire::{
        convert,
        native::{
            ClientFrame, ConsultPurpose, CstaRequest, DeskPhone, NativeEvent, RequestedAgentState,
            ResponseValue, ServerFrame, SessionInfo,
        },
    },
};

/// How long a request may wait for the server's answer.
const REQUEST_TIMEOUT_MS: u32 = 10_000;
/// How often the client pings, and how long a silent server is trusted.
const HEARTBEAT_MS: u32 = 5_000;
const SILENCE_MS: f64 = 12_000.0;
/// Where a tab keeps its session across reloads.
const SESSION_KEY: &str = "opencti.session";

type Reply = Result<Option<ResponseValue>, OpenCtiError>;

/// The reference Implementation (cheap to clone: one shared link).
#[derive(Clone)]
pub struct Reference {
    link: Rc<RefCell<Link>>,
    /// Call audio, in a browser that has WebRTC.
    softphone: Option<SoftphoneHandle>,
}

struct Link {
    sink: EventSink,
    url: String,
    socket: Option<WebSocket>,
    open: bool,
    opening: Vec<oneshot::Sender<Result<(), OpenCtiError>>>,
    pending: HashMap<String, oneshot::Sender<Reply>>,
    /// Resolved by the snapshot that follows a login's response.
    login_snapshot: Option<oneshot::Sender<()>>,
    token: Option<String>,
    agent_id: String,
    this_dn: String,
    /// Number of the last session event applied (the resume point).
    last_seq: u64,
    id_prefix: String,
    next_id: u64,
    attempt: u32,
    last_heard: f64,
    server_version: Option<String>,
    /// The session's extension is a SIP desk phone (no softphone then).
    desk_phone: Option<DeskPhone>,
    /// Keeps the socket's event handlers alive.
    handlers: Vec<Box<dyn std::any::Any>>,
}

fn now() -> f64 {
    js_sys::Date::now()
}

fn link_down(message: &str) -> OpenCtiError {
    OpenCtiError::new(ErrorCode::LinkDown, message)
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

impl Reference {
    /// A client of the relay at `/ws` on the page's own host. If this tab
    /// had a session before a reload, it resumes it.
    pub fn new(sink: EventSink) -> Self {
        let location = web_sys::window().map(|w| w.location());
        let host = location
            .as_ref()
            .and_then(|l| l.host().ok())
            .unwrap_or_default();
        let secure = location
            .and_then(|l| l.protocol().ok())
            .is_some_and(|p| p == "https:");
        let url = format!("{}://{host}/ws", if secure { "wss" } else { "ws" });
        let id_prefix = format!("{:x}", (js_sys::Math::random() * 1e12) as u64);
        let mut reference = Self {
            softphone: None,
            link: Rc::new(RefCell::new(Link {
                sink,
                url,
                socket: None,
                open: false,
                opening: vec![],
                pending: HashMap::new(),
                login_snapshot: None,
                token: None,
                agent_id: String::new(),
                this_dn: String::new(),
                last_seq: 0,
                id_prefix,
                next_id: 0,
                attempt: 0,
                last_heard: now(),
                server_version: None,
                desk_phone: None,
                handlers: vec![],
            })),
        };
        if softphone_handle::supported() {
            let link = Rc::downgrade(&reference.link);
            reference.softphone = Some(SoftphoneHandle::new(
                sink,
                Rc::new(move |call_id, sdp| {
                    let link = link.clone();
                    Box::pin(async move { Self::offer(link, call_id, sdp).await })
                }),
            ));
        }
        reference.start_heartbeat();
        if let Some(token) = session_storage().and_then(|s| s.get_item(SESSION_KEY).ok().flatten())
        {
            reference.link.borrow_mut().token = Some(token);
            reference.connect();
        }
        reference
    }

    /// Sends the softphone's SDP offer for `call_id` on the session;
    /// resolves to the media server's answer.
    async fn offer(
        link: Weak<RefCell<Link>>,
        call_id: String,
        sdp: String,
    ) -> Result<String, OpenCtiError> {
        let link = link
            .upgrade()
            .ok_or_else(|| link_down("the page is closing"))?;
        let this = Self {
            link,
            softphone: None,
        };
        let id = this.next_id();
        match this
            .send_and_wait(id.clone(), ClientFrame::Offer { id, call_id, sdp })
            .await?
        {
            Some(ResponseValue::Answer(answer)) => Ok(answer.sdp),
            _ => Err(OpenCtiError::bad_request("the server sent no SDP answer")),
        }
    }

    /// Takes what a login or resume says of the session.
    fn adopt(&self, session: SessionInfo) {
        if let Some(softphone) = &self.softphone {
            softphone.set_ice_servers(session.ice_servers);
        }
        let changed = {
            let mut link = self.link.borrow_mut();
            let changed = link.desk_phone != session.desk_phone;
            link.desk_phone = session.desk_phone;
            changed
        };
        if changed {
            let sink = self.link.borrow().sink;
            sink.declare(self.declaration());
        }
        self.remember_token(session.token);
    }

    fn next_id(&self) -> String {
        let mut link = self.link.borrow_mut();
        link.next_id += 1;
        format!("{}-{}", link.id_prefix, link.next_id)
    }

    fn connect(&self) {
        let url = self.link.borrow().url.clone();
        let socket = match WebSocket::new(&url) {
            Ok(socket) => socket,
            Err(_) => {
                self.schedule_reconnect();
                return;
            }
        };
        let on_open = {
            let this = self.clone();
            Closure::<dyn FnMut()>::new(move || this.on_open())
        };
        let on_message = {
            let this = self.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                if let Some(text) = e.data().as_string() {
                    this.on_text(&text);
                }
            })
        };
        let on_close = {
            let this = self.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |_e: CloseEvent| this.on_close())
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut link = self.link.borrow_mut();
        link.handlers = vec![Box::new(on_open), Box::new(on_message), Box::new(on_close)];
        link.socket = Some(socket);
        link.last_heard = now();
    }

    fn on_open(&self) {
        let (waiters, resume) = {
            let mut link = self.link.borrow_mut();
            link.open = true;
            link.attempt = 0;
            link.last_heard = now();
            (std::mem::take(&mut link.opening), link.token.clone())
        };
        for waiter in waiters {
            let _ = waiter.send(Ok(()));
        }
        if let Some(token) = resume {
            let this = self.clone();
            spawn_local(async move { this.resume(token).await });
        }
    }

    /// Keeps the session token for the next resume, in this tab's
    /// `sessionStorage` too (a reload resumes with it).
    fn remember_token(&self, token: String) {
        if let Some(storage) = session_storage() {
            let _ = storage.set_item(SESSION_KEY, &token);
        }
        self.link.borrow_mut().token = Some(token);
    }

    /// Re-attaches to the session: the server replays what this tab missed
    /// (or sends a snapshot); then the link is shown as up again.
    async fn resume(&self, token: String) {
        let last_seq = self.link.borrow().last_seq;
        let id = self.next_id();
        match self
            .send_and_wait(
                id.clone(),
                ClientFrame::Resume {
                    id,
                    token,
                    last_seq,
                },
            )
            .await
        {
            Ok(value) => {
                // The server swaps the token at every resume; the old one no
                // longer works.
                if let Some(ResponseValue::Session(session)) = value {
                    self.adopt(session);
                }
                self.link.borrow().sink.link_state(LinkState::Connected)
            }
            Err(err) if err.err_code == ErrorCode::Unauthorized => self.session_ended(),
            Err(_) => {}
        }
    }

    fn on_text(&self, text: &str) {
        self.link.borrow_mut().last_heard = now();
        let frame = match serde_json::from_str::<ServerFrame>(text) {
            Ok(frame) => frame,
            Err(err) => {
                web_sys::console::warn_1(
                    &format!("OpenCTI: unreadable frame from the server: {err}").into(),
                );
                return;
            }
        };
        match frame {
            ServerFrame::Response {
                id,
                ok,
                value,
                error,
            } => {
                let waiter = self.link.borrow_mut().pending.remove(&id);
                if let Some(waiter) = waiter {
                    let reply = if ok {
                        Ok(value)
                    } else {
                        Err(error.unwrap_or_else(|| {
                            OpenCtiError::bad_request("the server refused the request")
                        }))
                    };
                    let _ = waiter.send(reply);
                }
            }
            ServerFrame::Event { seq, event } => self.on_event(seq, event),
            // An agent's socket never subscribes to the supervisor's feed.
            ServerFrame::Pong | ServerFrame::Supervisor { .. } => {}
            ServerFrame::Error { error } => {
                web_sys::console::warn_1(&format!("OpenCTI: {error}").into());
            }
        }
    }

    /// Applies numbered event `seq` once: old or repeated numbers (a replay
    /// that overlaps what was applied) are dropped; a snapshot always applies.
    fn on_event(&self, seq: u64, event: NativeEvent) {
        let (sink, this_dn) = {
            let mut link = self.link.borrow_mut();
            if let NativeEvent::Snapshot(s) = &event {
                link.this_dn = s.agent.device.clone();
                link.agent_id = s.agent.agent_id.clone();
            } else if seq <= link.last_seq {
                return;
            }
            link.last_seq = seq;
            (link.sink, link.this_dn.clone())
        };
        sink.publish(convert::to_opencti(&this_dn, &event));
        match event {
            NativeEvent::Snapshot(_) => {
                let waiter = self.link.borrow_mut().login_snapshot.take();
                if let Some(waiter) = waiter {
                    let _ = waiter.send(());
                }
            }
            NativeEvent::AgentLoggedOff(_) => self.forget_session(),
            _ => {}
        }
    }

    fn on_close(&self) {
        let (pending, opening, had_session) = {
            let mut link = self.link.borrow_mut();
            link.open = false;
            link.socket = None;
            (
                std::mem::take(&mut link.pending),
                std::mem::take(&mut link.opening),
                link.token.is_some(),
            )
        };
        for (_, waiter) in pending {
            let _ = waiter.send(Err(link_down("the connection to the CTI server was lost")));
        }
        for waiter in opening {
            let _ = waiter.send(Err(link_down("cannot reach the CTI server")));
        }
        if had_session {
            self.link.borrow().sink.link_state(LinkState::Disconnected);
            self.schedule_reconnect();
        }
    }

    /// Reconnects after 250 ms × 2^attempt (at most 10 s), with ±50 % jitter.
    fn schedule_reconnect(&self) {
        let attempt = {
            let mut link = self.link.borrow_mut();
            link.attempt = (link.attempt + 1).min(16);
            link.attempt
        };
        let base = (250.0 * 2f64.powi(attempt as i32 - 1)).min(10_000.0);
        let delay = base * (0.5 + js_sys::Math::random());
        let this = self.clone();
        spawn_local(async move {
            TimeoutFuture::new(delay as u32).await;
            let wanted = {
                let link = this.link.borrow();
                link.token.is_some() && link.socket.is_none()
            };
            if wanted {
                this.connect();
            }
        });
    }

    fn start_heartbeat(&self) {
        let this = self.clone();
        spawn_local(async move {
            loop {
                TimeoutFuture::new(HEARTBEAT_MS).await;
                let (socket, silent) = {
                    let link = this.link.borrow();
                    (
                        link.socket.clone().filter(|_| link.open),
                        now() - link.last_heard > SILENCE_MS,
                    )
                };
                if let Some(socket) = socket {
                    if silent {
                        // A dead server: close, and the close handler reconnects.
                        let _ = socket.close();
                    } else if let Ok(text) = serde_json::to_string(&ClientFrame::Ping) {
                        let _ = socket.send_with_str(&text);
                    }
                }
            }
        });
    }

    /// The server no longer knows the session (e.g. it restarted).
    fn session_ended(&self) {
        let (sink, agent_id, this_dn) = {
            let link = self.link.borrow();
            (link.sink, link.agent_id.clone(), link.this_dn.clone())
        };
        self.forget_session();
        sink.publish(vec![OpenCtiEvent::AgentStateEvent(AgentStateEvent {
            event_name: AgentStateName::Logout,
            agent_id,
            reason_code: String::new(),
            work_mode: WorkMode::None,
            this_dn,
            timestamp: now() as u64,
            wrap_up_ends_at: None,
        })]);
    }

    fn forget_session(&self) {
        self.link.borrow_mut().token = None;
        if let Some(storage) = session_storage() {
            let _ = storage.remove_item(SESSION_KEY);
        }
    }

    async fn ensure_open(&self) -> Result<(), OpenCtiError> {
        let receiver = {
            let mut link = self.link.borrow_mut();
            if link.open {
                return Ok(());
            }
            let (tx, rx) = oneshot::channel();
            link.opening.push(tx);
            rx
        };
        if self.link.borrow().socket.is_none() {
            self.connect();
        }
        receiver
            .await
            .unwrap_or_else(|_| Err(link_down("cannot reach the CTI server")))
    }

    /// Sends a frame and waits for its response (or the timeout).
    async fn send_and_wait(&self, id: String, frame: ClientFrame) -> Reply {
        let receiver = {
            let mut link = self.link.borrow_mut();
            let socket = link
                .socket
                .clone()
                .filter(|_| link.open)
                .ok_or_else(|| link_down("the CTI server is not connected; reconnecting"))?;
            let text = serde_json::to_string(&frame)
                .map_err(|e| OpenCtiError::bad_request(e.to_string()))?;
            let (tx, rx) = oneshot::channel();
            link.pending.insert(id.clone(), tx);
            if socket.send_with_str(&text).is_err() {
                link.pending.remove(&id);
                return Err(link_down("cannot send to the CTI server"));
            }
            rx
        };
        let this = self.clone();
        let timeout_id = id.clone();
        spawn_local(async move {
            TimeoutFuture::new(REQUEST_TIMEOUT_MS).await;
            let waiter = this.link.borrow_mut().pending.remove(&timeout_id);
            if let Some(waiter) = waiter {
                let _ = waiter.send(Err(OpenCtiError::new(
                    ErrorCode::HttpError(408),
                    "the CTI server did not answer in time",
                )));
            }
        });
        receiver
            .await
            .unwrap_or_else(|_| Err(link_down("the connection to the CTI server was lost")))
    }

    async fn login(&self, request: Request) -> Result<Value, OpenCtiError> {
        let Request::Login {
            agent_id,
            password,
            extension,
            options,
        } = request
        else {
            return Err(OpenCtiError::bad_request("not a login"));
        };
        self.ensure_open().await?;
        let (tx, snapshot) = oneshot::channel();
        self.link.borrow_mut().login_snapshot = Some(tx);
        let id = self.next_id();
        let frame = ClientFrame::Login {
            id: id.clone(),
            agent_id,
            password,
            extension,
            telephony_mode: options.telephony_mode,
            implementation: Some(format!("reference/{}", env!("CARGO_PKG_VERSION"))),
        };
        let session = match self.send_and_wait(id, frame).await {
            Ok(Some(ResponseValue::Session(session))) => session,
            Ok(_) => return Err(OpenCtiError::bad_request("unexpected answer to login")),
            Err(err) => {
                self.link.borrow_mut().login_snapshot = None;
                return Err(err);
            }
        };
        {
            let mut link = self.link.borrow_mut();
            link.agent_id = session.agent_id.clone();
            link.this_dn = session.extension.clone();
            link.server_version = Some(session.server_version.clone());
        }
        self.adopt(session);
        snapshot
            .await
            .map_err(|_| link_down("the connection to the CTI server was lost"))?;
        Ok(Value::Null)
    }

    async fn request(&self, request: Request) -> Result<Value, OpenCtiError> {
        let csta =
            to_csta(request).ok_or_else(|| OpenCtiError::bad_request("not a switch request"))?;
        let id = self.next_id();
        let value = match self
            .send_and_wait(id.clone(), ClientFrame::Request { id, request: csta })
            .await?
        {
            Some(ResponseValue::Call(created)) => serde_json::json!({ "callId": created.call_id }),
            Some(ResponseValue::Directory(directory)) => {
                serde_json::to_value(convert::directory(directory))
                    .map_err(|e| OpenCtiError::bad_request(e.to_string()))?
            }
            _ => Value::Null,
        };
        Ok(value)
    }
}

/// The reference switch's request for an Interface call (`None` for
/// `login`, which opens the session instead).
fn to_csta(request: Request) -> Option<CstaRequest> {
    let data = |o: CallOptions| o.user_data;
    // Either consultation may be completed either way; the purpose is logged.
    let purpose = match &request {
        Request::ConferenceInitiate { .. } => ConsultPurpose::Conference,
        _ => ConsultPurpose::Transfer,
    };
    Some(match request {
        Request::Login { .. } => return None,
        Request::Logout { reason_code } => CstaRequest::SetAgentState {
            state: RequestedAgentState::LoggedOff,
            reason: reason_code,
            work_mode: None,
        },
        Request::AgentReady { work_mode } => CstaRequest::SetAgentState {
            state: RequestedAgentState::Ready,
            reason: None,
            work_mode,
        },
        Request::AgentNotReady {
            work_mode,
            reason_code,
        } => CstaRequest::SetAgentState {
            state: RequestedAgentState::NotReady,
            reason: reason_code,
            work_mode,
        },
        Request::MakeCall {
            destination,
            options,
        } => CstaRequest::MakeCall {
            destination,
            user_data: data(options),
        },
        Request::AnswerCall { call_id } => CstaRequest::AnswerCall { call_id },
        Request::RejectCall { call_id } => CstaRequest::RejectCall { call_id },
        Request::HangUpCall { call_id } => CstaRequest::ClearConnection {
            call_id,
            device: None,
        },
        Request::HoldCall { call_id } => CstaRequest::HoldCall { call_id },
        Request::RetrieveCall { call_id } => CstaRequest::RetrieveCall { call_id },
        Request::SendDtmf { call_id, digits } => CstaRequest::GenerateDigits { call_id, digits },
        Request::BlindTransfer {
            call_id,
            destination,
            options,
        } => CstaRequest::SingleStepTransferCall {
            call_id,
            destination,
            user_data: data(options),
        },
        Request::TransferInitiate {
            call_id,
            destination,
            options,
        }
        | Request::ConferenceInitiate {
            call_id,
            destination,
            options,
        } => CstaRequest::ConsultationCall {
            call_id,
            destination,
            purpose,
            user_data: data(options),
        },
        Request::TransferComplete {
            held_call_id,
            consult_call_id,
        } => CstaRequest::TransferCall {
            original_call_id: held_call_id,
            consult_call_id,
        },
        Request::ConferenceComplete {
            held_call_id,
            consult_call_id,
        } => CstaRequest::ConferenceCall {
            original_call_id: held_call_id,
            consult_call_id,
        },
        Request::DropParty { call_id, party } => CstaRequest::ClearConnection {
            call_id,
            device: Some(party),
        },
        Request::AlternateCall {
            held_call_id,
            active_call_id,
        } => CstaRequest::AlternateCall {
            held_call_id,
            active_call_id,
        },
        Request::CompleteWrapUp { disposition, note } => {
            CstaRequest::CompleteWrapUp { disposition, note }
        }
        Request::GetDirectory => CstaRequest::GetDirectory,
        Request::PauseRecording { call_id } => CstaRequest::PauseRecording { call_id },
        Request::ResumeRecording { call_id } => CstaRequest::ResumeRecording { call_id },
    })
}

impl Implementation for Reference {
    fn declaration(&self) -> Declaration {
        let (version, desk_phone) = {
            let link = self.link.borrow();
            (link.server_version.clone(), link.desk_phone.clone())
        };
        let mut declaration = Declaration::every_function(
            "reference",
            version.as_deref().unwrap_or(env!("CARGO_PKG_VERSION")),
        );
        // The switch says which calls it records (`pyRecording`).
        declaration
            .capabilities
            .push(RECORDING_CAPABILITY.to_string());
        match desk_phone {
            // The audio is on the phone; Answer needs a phone that answers
            // on request (else the agent picks up the handset).
            Some(phone) if !phone.auto_answer => {
                declaration
                    .capabilities
                    .retain(|c| c != Function::AnswerCall.js_name());
            }
            Some(_) => {}
            None if self.softphone.is_some() => {
                declaration.capabilities.push(AUDIO_CAPABILITY.to_string());
            }
            None => {}
        }
        declaration
    }

    fn softphone(&self) -> Option<Rc<dyn Softphone>> {
        self.softphone
            .clone()
            .map(|s| Rc::new(s) as Rc<dyn Softphone>)
    }

    fn invoke(&self, request: Request) -> LocalFuture<Result<Value, OpenCtiError>> {
        let this = self.clone();
        Box::pin(async move {
            match request {
                Request::Login { .. } => this.login(request).await,
                other => this.request(other).await,
            }
        })
    }
}
