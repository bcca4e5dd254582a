//! The event relay: the shell around the pure [`Switch`]. It owns the
//! switch, numbers every event of an agent's session, keeps a bounded replay
//! buffer per agent, answers repeated request ids from a cache, runs the
//! switch's timers, and fans events out to every socket of the session.

mod clock;
mod network;
mod presence;
mod prompts;
mod session;
mod sign_in;
pub mod socket;
mod supervision;

use std::{
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard, OnceLock},
    time::Duration,
};

use app::{
    opencti::{ErrorCode, OpenCtiError, UserData, functions::TelephonyMode},
    supervisor::Snapshot,
    wire::native::{
        AgentSnapshot, CstaRequest, IceServer, NativeEvent, RequestedAgentState, ResponseValue,
        SdpAnswer, ServerFrame, SessionInfo,
    },
};
pub use clock::Clock;
use clock::Due;
pub use presence::Presence;
pub use session::{ReplayFigures, ReplayLimits};
use session::{ReplyMemory, Sessions, Subscription};
pub use sign_in::busy as logins_busy;
pub use supervision::{SupervisorError, SupervisorFeed};
use tokio::sync::{broadcast, watch};

use crate::{
    media::{Media, MediaError, plan::MediaPlan},
    records::{Job, Recorder, SavedSession, WriterHealth},
    security::{
        login_limits::LoginLimits,
        password_checks::PasswordChecks,
        tokens::{TokenPolicy, Tokens},
    },
    supervisor::metrics::MediaFigures,
    supervisor::{Figures, figures::HandleTimes},
    switch::{Output, RecordUpdate, SimCall, SimError, Switch, Timer},
    voice_ai::events::ConversationEvent,
};

/// One numbered event of an agent's session.
pub type Sequenced = Arc<(u64, NativeEvent)>;

/// Tunables of the relay.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// What the replay buffers keep for a reconnect: events and bytes per
    /// agent, bytes in all.
    pub replay: ReplayLimits,
    /// Request ids remembered per agent, so a repeat is answered, not re-run.
    pub request_cache: usize,
    /// How often the server pings each socket.
    pub heartbeat_interval: Duration,
    /// A socket silent for this long is closed as dead.
    pub heartbeat_timeout: Duration,
    /// A session with no socket for this long ends (the agent is logged out).
    pub session_grace: Duration,
    /// How long session tokens last.
    pub tokens: TokenPolicy,
    /// The queues' service level: answered within this many seconds.
    pub service_level_seconds: u64,
    /// STUN/TURN servers the softphones are told.
    pub ice_servers: Vec<IceServer>,
    /// The hub's time: the system's, or a simulation's.
    pub clock: Clock,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            replay: ReplayLimits::default(),
            request_cache: 256,
            heartbeat_interval: Duration::from_secs(4),
            heartbeat_timeout: Duration::from_secs(10),
            session_grace: Duration::from_secs(60),
            tokens: TokenPolicy::default(),
            service_level_seconds: 20,
            ice_servers: vec![],
            clock: Clock::default(),
        }
    }
}

/// The switch and its sessions, shared by every socket and HTTP handler.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    config: RelayConfig,
    recorder: Recorder,
    /// The bounded workers that check passwords (Argon2id).
    password_checks: PasswordChecks,
    /// Logins answered "busy, try again".
    logins_busy: std::sync::atomic::AtomicU64,
    /// Counts the changes of the supervisor's figures; supervisor sockets
    /// wait on it (and send at most a few snapshots a second).
    figures_changed: watch::Sender<u64>,
    /// Who hears whom, for the media plane (derived from the switch after
    /// every change; sent only when it changes).
    media_plan: watch::Sender<Arc<MediaPlan>>,
    /// The media plane, once started.
    media: OnceLock<Media>,
    /// The SIP edge's inbox of network signals, once started.
    network: OnceLock<(
        tokio::sync::mpsc::UnboundedSender<crate::switch::NetworkSignal>,
        std::net::SocketAddr,
    )>,
}

struct State {
    switch: Switch,
    sessions: Sessions,
    /// Failed logins per agent and per address.
    login_limits: LoginLimits,
    /// The call number last sent to storage.
    numbered: u64,
    /// The supervisor's figures, folded from the switch's observations.
    figures: Figures,
    /// Signed-in supervisors (never agents: their tokens are apart).
    supervisor_tokens: Tokens,
}

/// What a socket gets when it logs in or resumes: the session, the events to
/// send first (a replay or a snapshot), and the live feed after them.
pub struct Attached {
    pub session: SessionInfo,
    pub backlog: Vec<Sequenced>,
    pub feed: broadcast::Receiver<Sequenced>,
}

/// The server's version, reported by the reference Implementation.
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

impl Hub {
    /// The hub of `switch` (restored from storage, or new), storing records
    /// and sessions through `recorder`.
    pub fn new(switch: Switch, config: RelayConfig, recorder: Recorder) -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    numbered: switch.last_call_number(),
                    figures: Figures::new(switch.config(), config.service_level_seconds),
                    switch,
                    sessions: Sessions::new(
                        config.replay,
                        ReplyMemory {
                            per_agent: config.request_cache,
                            window_ms: 2 * config.session_grace.as_millis() as u64,
                        },
                        config.tokens,
                    ),
                    login_limits: LoginLimits::default(),
                    supervisor_tokens: Tokens::new(config.tokens),
                }),
                config,
                recorder,
                password_checks: PasswordChecks::per_core(),
                logins_busy: Default::default(),
                figures_changed: watch::channel(0).0,
                media_plan: watch::channel(Arc::default()).0,
                media: OnceLock::new(),
                network: OnceLock::new(),
            }),
        }
    }

    /// The plan the media plane follows.
    pub fn media_plan(&self) -> watch::Receiver<Arc<MediaPlan>> {
        self.inner.media_plan.subscribe()
    }

    /// Connects the started media plane (signalling and the simulator's
    /// audio figures go to it).
    pub fn attach_media(&self, media: Media) {
        if self.inner.media.set(media).is_err() {
            tracing::warn!("the media plane was already attached");
        }
    }

    /// Answers the session's browser's SDP offer for `call_id`, a call the
    /// agent is on.
    pub async fn offer(
        &self,
        token: &str,
        call_id: &str,
        sdp: String,
    ) -> Result<SdpAnswer, OpenCtiError> {
        let agent_id = {
            let state = self.lock();
            let agent_id = state.sessions.agent_of(token).ok_or_else(expired)?;
            state.switch.check_audio_call(&agent_id, call_id)?;
            agent_id
        };
        let sdp = self.audio()?.offer(&agent_id, sdp).await?;
        tracing::info!(agent = %agent_id, call = call_id, "audio negotiated");
        Ok(SdpAnswer { sdp })
    }

    pub fn config(&self) -> &RelayConfig {
        &self.inner.config
    }

    pub fn recorder(&self) -> &Recorder {
        &self.inner.recorder
    }

    /// The supervisor's figures now, with the handle-time histogram.
    pub fn supervisor_figures(&self) -> (Snapshot, HandleTimes) {
        let state = self.lock();
        (
            state.figures.snapshot(self.now_ms()),
            state.figures.handle_times.clone(),
        )
    }

    /// What the replay buffers hold now.
    pub fn replay_figures(&self) -> ReplayFigures {
        self.lock().sessions.replay_figures()
    }

    /// The record writer's figures, for `/healthz`.
    pub fn health(&self) -> WriterHealth {
        self.inner.recorder.health()
    }

    /// Brings back the sessions of the previous run: each agent is logged in
    /// again in its state, with its tokens, and numbered past its last event
    /// so that a resuming panel gets a snapshot (its calls are gone). Each
    /// session then waits the grace period for a panel, like any other.
    pub fn restore(&self, saved: Vec<SavedSession>) {
        let mut state = self.lock();
        state.switch.advance_to(self.now_ms());
        for session in saved {
            let agent_id = session.agent.agent_id.clone();
            match state.switch.restore_agent(session.agent) {
                Ok(()) => {
                    state
                        .sessions
                        .restore(&agent_id, session.tokens, session.last_seq + 1);
                    tracing::info!(agent = %agent_id, "session restored after a restart");
                    if let Some(generation) = state.sessions.absence(&agent_id) {
                        self.start_grace(agent_id, generation);
                    }
                }
                Err(reason) => {
                    tracing::warn!(agent = %agent_id, "cannot restore the session: {reason}");
                    self.inner.recorder.send(Job::EndSession(agent_id));
                }
            }
        }
        let output = state.switch.take_output();
        self.publish(&mut state, output);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock would be a bug; the state is still
        // consistent between services, so keep serving rather than poison all.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the switch at the current time, then delivers its events
    /// and starts its timers.
    fn with_switch<T>(&self, f: impl FnOnce(&mut Switch) -> T) -> T {
        let mut state = self.lock();
        state.switch.advance_to(self.now_ms());
        let result = f(&mut state.switch);
        let output = state.switch.take_output();
        self.publish(&mut state, output);
        result
    }

    fn publish(&self, state: &mut State, output: Output) {
        for observation in &output.observations {
            state.figures.apply(observation);
        }
        if !output.observations.is_empty() {
            self.inner
                .figures_changed
                .send_modify(|version| *version = version.wrapping_add(1));
        }
        let plan = state.switch.media_plan();
        self.inner.media_plan.send_if_modified(|current| {
            let changed = **current != plan;
            if changed {
                *current = Arc::new(plan);
            }
            changed
        });
        let mut changed: Vec<String> = vec![];
        for delivery in output.deliveries {
            if is_agent_state(&delivery.event) && !changed.contains(&delivery.agent_id) {
                changed.push(delivery.agent_id.clone());
            }
            state.sessions.push(&delivery.agent_id, delivery.event);
        }
        for timer in output.timers {
            self.schedule(timer);
        }
        for prompt in output.prompts {
            self.play_prompt(prompt);
        }
        if let Some((edge, _)) = self.inner.network.get() {
            for signal in output.network {
                let _ = edge.send(signal);
            }
        }
        let recorder = &self.inner.recorder;
        if state.switch.last_call_number() > state.numbered {
            state.numbered = state.switch.last_call_number();
            recorder.send(Job::CallNumber(state.numbered));
        }
        for record in output.records {
            recorder.send(match record {
                RecordUpdate::Call(r) => Job::Call(r),
                RecordUpdate::WrapUp(w) => Job::WrapUp(w),
            });
        }
        // A state change is stored with the session's sequence number, so a
        // restart can bring the agent back as it was.
        for agent_id in changed {
            self.save_session(state, &agent_id);
        }
    }

    /// Stores the agent's session (state, tokens, last event number), or
    /// its end if the agent is logged out.
    fn save_session(&self, state: &State, agent_id: &str) {
        let recorder = &self.inner.recorder;
        match (
            state.switch.saved_agent(agent_id),
            state.sessions.seq_of(agent_id),
        ) {
            (Some(agent), Some(last_seq)) => recorder.send(Job::SaveSession(SavedSession {
                agent,
                tokens: state.sessions.tokens_of(agent_id),
                last_seq,
            })),
            (None, _) => recorder.send(Job::EndSession(agent_id.to_string())),
            (Some(_), None) => {}
        }
    }

    fn schedule(&self, timer: Timer) {
        self.defer(timer.at(), Due::Timer(timer));
    }

    /// Does `due` at `at` (ms): in tokio with the system clock, when the
    /// manual clock gets there otherwise.
    fn defer(&self, at: u64, due: Due) {
        let Some(due) = self.inner.config.clock.defer(at, due) else {
            return;
        };
        let hub = self.clone();
        let delay = Duration::from_millis(at.saturating_sub(self.now_ms()));
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            hub.fire(due);
        });
    }

    /// Does what fell due: a switch timer, or the end of a grace period.
    fn fire(&self, due: Due) {
        match due {
            Due::Timer(timer) => self.with_switch(|switch| switch.timer_due(timer)),
            Due::PromptPlayed {
                call_id,
                generation,
            } => self.with_switch(|switch| switch.prompt_finished(&call_id, generation)),
            Due::Grace {
                agent_id,
                generation,
            } => self.expire_if_absent(&agent_id, generation),
        }
    }

    /// Logs an agent in (or joins its running session) and attaches a
    /// socket, once its password checks out and neither the agent nor the
    /// client's address is locked out. Every refusal of the credentials is
    /// the same `OPENCTI_UNAUTHORIZED` answer, logged with its real reason.
    pub async fn login(
        &self,
        agent_id: &str,
        password: &str,
        extension: Option<&str>,
        mode: Option<&str>,
        client: Option<IpAddr>,
    ) -> Result<Attached, OpenCtiError> {
        self.check_credentials(agent_id, password, client, "login", |state| {
            state.switch.password_hash(agent_id).map(str::to_string)
        })
        .await
        .map_err(|refusal| refusal.error())?;
        self.join(agent_id, extension, mode)
    }

    /// Logs an authenticated agent in and attaches a socket.
    fn join(
        &self,
        agent_id: &str,
        extension: Option<&str>,
        mode: Option<&str>,
    ) -> Result<Attached, OpenCtiError> {
        let mode = mode.map(TelephonyMode::parse).transpose()?;
        let mut state = self.lock();
        state.switch.advance_to(self.now_ms());
        let info = state.switch.login(agent_id, extension, mode)?;
        let output = state.switch.take_output();
        let token = state.sessions.open(agent_id, self.now_ms());
        self.publish(&mut state, output);
        self.save_session(&state, agent_id);
        let snapshot = state
            .switch
            .snapshot(agent_id)
            .ok_or_else(|| unknown_agent(agent_id))?;
        let feed = state
            .sessions
            .attach_with_snapshot(&token, None, snapshot)?;
        Ok(attached(
            info_to_session(
                &token,
                &info.agent_id,
                &info.device,
                info.telephony_mode,
                &self.inner.config.ice_servers,
                state.switch.desk_phone(&info.device),
            ),
            feed,
        ))
    }

    /// Re-attaches a socket to a session after a drop: the events after
    /// `last_seq` if the buffer still has them all, else a fresh snapshot.
    /// The token is swapped for a new one, which the answer carries.
    pub fn resume(&self, token: &str, last_seq: u64) -> Result<Attached, OpenCtiError> {
        let mut state = self.lock();
        let (agent_id, token) = state
            .sessions
            .rotate(token, self.now_ms())
            .map_err(|_| expired())?;
        let attached = self.attach(&mut state, &agent_id, &token, last_seq)?;
        self.save_session(&state, &agent_id);
        Ok(attached)
    }

    /// Catches a socket up with its session, keeping its token: the socket
    /// fell behind its live feed (the client did not resume).
    pub fn catch_up(&self, token: &str, last_seq: u64) -> Result<Attached, OpenCtiError> {
        let mut state = self.lock();
        let agent_id = state.sessions.agent_of(token).ok_or_else(expired)?;
        self.attach(&mut state, &agent_id, token, last_seq)
    }

    fn attach(
        &self,
        state: &mut State,
        agent_id: &str,
        token: &str,
        last_seq: u64,
    ) -> Result<Attached, OpenCtiError> {
        let snapshot = state
            .switch
            .snapshot(agent_id)
            .ok_or_else(|| unknown_agent(agent_id))?;
        let session = info_to_session(
            token,
            agent_id,
            &snapshot.agent.device,
            snapshot.agent.telephony_mode,
            &self.inner.config.ice_servers,
            state.switch.desk_phone(&snapshot.agent.device),
        );
        let feed = state
            .sessions
            .attach_with_snapshot(token, Some(last_seq), snapshot)?;
        Ok(attached(session, feed))
    }

    /// Executes a request of the session `token`, or answers a repeated
    /// request id from the cache.
    pub fn request(&self, token: &str, id: &str, request: &CstaRequest) -> ServerFrame {
        let mut state = self.lock();
        let Some(agent_id) = state.sessions.agent_of(token) else {
            return ServerFrame::response(id.to_string(), Err(expired()));
        };
        if let Some(cached) = state.sessions.cached_reply(&agent_id, id) {
            return cached;
        }
        state.switch.advance_to(self.now_ms());
        let outcome = state.switch.execute(&agent_id, request);
        let output = state.switch.take_output();
        self.publish(&mut state, output);
        let reply = ServerFrame::response(id.to_string(), outcome);
        let now = self.now_ms();
        state
            .sessions
            .remember_reply(&agent_id, id, reply.clone(), now);
        if matches!(
            request,
            CstaRequest::SetAgentState {
                state: RequestedAgentState::LoggedOff,
                ..
            }
        ) && state.switch.mode_of(&agent_id).is_err()
        {
            state.sessions.close(&agent_id);
        }
        reply
    }

    /// The agent's state, as a snapshot (tests and diagnostics).
    pub fn snapshot(&self, agent_id: &str) -> Option<AgentSnapshot> {
        self.lock().switch.snapshot(agent_id)
    }

    pub fn sim_place_call(&self, from: &str, to: &str, data: UserData) -> Result<String, SimError> {
        self.with_switch(|s| s.sim_place_call(from, to, data))
    }

    pub fn sim_hang_up(&self, call_id: &str) -> Result<(), SimError> {
        self.with_switch(|s| s.sim_hang_up(call_id))
    }

    pub fn sim_answer(&self, call_id: &str) -> Result<(), SimError> {
        self.with_switch(|s| s.sim_answer(call_id))
    }

    /// An AI engine's events about a call, to the agents it concerns.
    pub fn conversation(
        &self,
        call_id: &str,
        events: Vec<ConversationEvent>,
    ) -> Result<(), SimError> {
        self.with_switch(|s| s.conversation(call_id, events))
    }

    /// The media plane, once attached.
    fn media(&self) -> Option<&Media> {
        self.inner.media.get()
    }

    /// The media plane, or why there is no audio.
    fn audio(&self) -> Result<&Media, MediaError> {
        self.media()
            .ok_or_else(|| MediaError::Unavailable("audio is off on this server".into()))
    }

    /// The simulated far end of `call_id` says `samples` (8 kHz).
    pub async fn sim_say(&self, call_id: &str, samples: Vec<i16>) -> Result<(), MediaError> {
        self.audio()?.say(call_id, samples).await
    }

    /// Whether the switch has a call `call_id` now.
    pub fn has_call(&self, call_id: &str) -> bool {
        self.lock().switch.has_call(call_id)
    }

    /// The media plane's figures for `/metrics` (zeros without one).
    pub fn media_figures(&self) -> MediaFigures {
        self.media()
            .map_or_else(MediaFigures::default, |media| MediaFigures {
                peers: media.connected_peers(),
                forks: media.fork_figures().active(),
                fork_frames_dropped: media.fork_figures().dropped(),
                fork_delay: Some(media.fork_figures().delay.clone()),
                recordings: media.recordings().figures().active(),
                recording_bytes: media.recordings().figures().bytes(),
                recording_frames_dropped: media.recordings().figures().dropped(),
            })
    }

    /// The simulator's calls, with what each far end sent and heard.
    pub fn sim_calls(&self) -> Vec<SimCall> {
        let mut calls = self.lock().switch.sim_calls();
        if let Some(media) = self.media() {
            for call in &mut calls {
                if let Some(audio) = media.far_end_audio(&call.call_id) {
                    call.audio = audio;
                }
            }
        }
        calls
    }
}

/// Whether an event changes the agent's state (what a restart restores).
fn is_agent_state(event: &NativeEvent) -> bool {
    matches!(
        event,
        NativeEvent::AgentLoggedOn(_)
            | NativeEvent::AgentLoggedOff(_)
            | NativeEvent::AgentReady(_)
            | NativeEvent::AgentNotReady(_)
            | NativeEvent::AgentWorkingAfterCall(_)
    )
}

fn attached(session: SessionInfo, (backlog, feed): Subscription) -> Attached {
    Attached {
        session,
        backlog,
        feed,
    }
}

fn info_to_session(
    token: &str,
    agent_id: &str,
    extension: &str,
    mode: TelephonyMode,
    ice_servers: &[IceServer],
    desk_phone: Option<app::wire::native::DeskPhone>,
) -> SessionInfo {
    SessionInfo {
        desk_phone,
        token: token.to_string(),
        agent_id: agent_id.to_string(),
        extension: extension.to_string(),
        telephony_mode: mode,
        server_version: SERVER_VERSION.to_string(),
        ice_servers: ice_servers.to_vec(),
    }
}

fn login_failed() -> OpenCtiError {
    OpenCtiError::new(ErrorCode::Unauthorized, crate::switch::LOGIN_FAILED)
}

fn expired() -> OpenCtiError {
    OpenCtiError::new(
        ErrorCode::Unauthorized,
        "the session has ended: log in again",
    )
}

fn unknown_agent(agent_id: &str) -> OpenCtiError {
    OpenCtiError::new(ErrorCode::Unauthorized, format!("unknown agent {agent_id}"))
}

/// A successful response carrying the session.
pub fn session_reply(id: String, session: SessionInfo) -> ServerFrame {
    ServerFrame::response(id, Ok(ResponseValue::Session(session)))
}
