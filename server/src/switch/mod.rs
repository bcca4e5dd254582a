//! The reference CTI adapter's switch: agents, extensions, ACD queues and
//! calls, as a pure state machine. No I/O and no clock inside: the shell sets
//! the time with [`Switch::advance_to`], calls a service, then drains the
//! events to deliver and the timers to start with [`Switch::take_output`].
//! A service that fails changes nothing and emits nothing.

mod agents;
mod callbacks;
mod calls;
pub mod config;
mod conversation;
mod dispatch;
pub mod flows;
mod media;
mod network;
mod observations;
mod recording;
pub mod records;
mod restore;
mod routing;
mod sim;
mod staffing;

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    sync::Arc,
};

pub use agents::LOGIN_FAILED;
use app::{
    opencti::{
        ErrorCode, OpenCtiError, UserData,
        events::{RecentCall, WorkMode},
        functions::TelephonyMode,
        rules::{self, Action, AgentView, CallView},
    },
    wire::native::{
        AgentInfo, AgentSnapshot, AgentStatus, CallEvent, CallInfo, CallOrigin, Cause,
        ConnectionState, NativeEvent, Party,
    },
};
pub use config::SwitchConfig;
pub use network::{NetworkSignal, Reach};
pub use observations::Observation;
pub use recording::RecordingSpans;
use records::LegTrack;
pub use records::{CallRecord, Direction, Leg, RecordUpdate, WrapUpRecord};
pub use restore::SavedAgent;
pub use sim::{SimCall, SimError};

/// An event for one agent's session.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub agent_id: String,
    pub event: NativeEvent,
}

/// Something the shell must do later and report back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timer {
    /// Call [`Switch::wrap_up_expired`] at `at` (ms) with this generation.
    WrapUp {
        agent_id: String,
        generation: u64,
        at: u64,
    },
    /// Call [`Switch::sim_answer_party`] at `at` (ms): the far end picks up.
    AutoAnswer {
        call_id: String,
        dn: String,
        at: u64,
    },
    /// Call [`Switch::ring_timeout_expired`] at `at` (ms): a queue call's
    /// `offer`-th offer to an agent has rung for the ring timeout.
    RingNoAnswer {
        call_id: String,
        offer: u64,
        at: u64,
    },
    /// Call [`Switch::queue_wait_expired`] at `at` (ms): a queue call that
    /// `entered` its queue then reaches its expansion or its maximum wait.
    QueueWait {
        call_id: String,
        entered: u64,
        at: u64,
    },
    /// Call [`Switch::flow_timeout`] at `at` (ms): a caller in a flow's
    /// menu or collect step pressed nothing in time.
    FlowTimeout {
        call_id: String,
        generation: u64,
        at: u64,
    },
    /// Call [`Switch::callback_ring_expired`] at `at` (ms): the customer of
    /// a callback has rung for the queue's `callback_ring_seconds`.
    CallbackRing { call_id: String, at: u64 },
    /// Call [`Switch::callback_retry`] at `at` (ms): the next try of a
    /// callback the customer did not answer.
    CallbackRetry {
        request: Box<callbacks::CallbackRequest>,
        at: u64,
    },
}

impl Timer {
    /// When the timer is due (ms since the epoch).
    pub fn at(&self) -> u64 {
        match self {
            Self::WrapUp { at, .. }
            | Self::AutoAnswer { at, .. }
            | Self::RingNoAnswer { at, .. }
            | Self::QueueWait { at, .. }
            | Self::FlowTimeout { at, .. }
            | Self::CallbackRing { at, .. }
            | Self::CallbackRetry { at, .. } => *at,
        }
    }
}

/// What the services produced since the last [`Switch::take_output`].
#[derive(Debug, Default, PartialEq)]
pub struct Output {
    pub deliveries: Vec<Delivery>,
    pub timers: Vec<Timer>,
    /// Calls that ended and wrap-ups that finished, to store.
    pub records: Vec<RecordUpdate>,
    /// What happened, for the supervisor's figures.
    pub observations: Vec<Observation>,
    /// What outside parties are asked to do, for the SIP edge.
    pub network: Vec<NetworkSignal>,
    /// Prompts of flows to play to callers.
    pub prompts: Vec<flows::PromptToPlay>,
}

/// What a dialled number reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Destination {
    Extension(String),
    Queue(String),
    /// A flow (IVR), which answers at once.
    Flow(String),
    External(String),
}

impl Destination {
    fn number(&self) -> &str {
        match self {
            Self::Extension(n) | Self::Queue(n) | Self::Flow(n) | Self::External(n) => n,
        }
    }

    /// The party a call to this destination gets: a queue holds it, any
    /// other device rings, but an outside number dialled through a trunk
    /// rings only once the trunk says so.
    fn party(&self, trunk: bool) -> Party {
        Party {
            dn: self.number().to_string(),
            state: match self {
                Self::Queue(_) => ConnectionState::Queued,
                Self::Flow(_) => ConnectionState::Connected,
                Self::External(_) if trunk => ConnectionState::Initiated,
                _ => ConnectionState::Alerting,
            },
        }
    }
}

#[derive(Debug, Clone)]
struct Agent {
    config: config::AgentConfig,
    status: AgentStatus,
    reason: String,
    work_mode: WorkMode,
    mode: TelephonyMode,
    device: Option<String>,
    since: u64,
    /// Longest idle first: when the agent last became free for calls.
    idle_since: u64,
    /// The queues this agent serves, with its proficiency in each.
    queues: BTreeMap<String, u8>,
    /// The agent talked on a call since its last wrap-up.
    wrap_up_pending: bool,
    /// Calls the agent talked on and is still on.
    talked_on: BTreeSet<String>,
    /// Calls the agent talked on and left since its last wrap-up: what a
    /// disposition recorded at wrap-up is about.
    finished: Vec<FinishedCall>,
    /// After-call work: when it ends, and what the agent goes back to.
    wrap_up: Option<WrapUp>,
    wrap_up_generation: u64,
}

#[derive(Debug, Clone)]
struct WrapUp {
    started_at: u64,
    ends_at: u64,
    resume: AgentStatus,
    resume_reason: String,
    /// The calls this wrap-up follows.
    calls: Vec<FinishedCall>,
}

/// A call as the agent left it.
#[derive(Debug, Clone)]
struct FinishedCall {
    call_id: String,
    data: UserData,
    queue: Option<String>,
}

#[derive(Debug, Clone)]
struct Call {
    id: String,
    origin: CallOrigin,
    consult_of: Option<String>,
    calling: String,
    called: String,
    queue: Option<String>,
    /// The skills its queue required when it offered the call to an agent
    /// (set by each offer, cleared by a transfer).
    skills: Vec<String>,
    data: UserData,
    parties: Vec<Party>,
    digits: String,
    started_at: u64,
    /// Agents who rejected this queue call: it is not offered to them again.
    rejected_by: BTreeSet<String>,
    /// When it entered its current queue (for the order of service).
    queued_at: u64,
    /// Its priority in the queue it waits in (higher is served first).
    priority: u8,
    /// Its priority from the flow step that queued it, over its queue's.
    flow_priority: Option<u8>,
    /// Where it is in a flow, while it is in one.
    flow: Option<flows::FlowRun>,
    /// The flow steps it went through, with the digits that chose them.
    flow_path: Vec<String>,
    /// The queue offered this waiting caller a callback (press 1).
    callback_offered: bool,
    /// This call is a callback, and how far its try got.
    callback: Option<callbacks::CallbackCall>,
    /// The queue it arrived in and when: what its wait, expansion and
    /// overflow are counted from (kept while an agent's ring sends it back).
    entered_queue: Option<(String, u64)>,
    /// The alerting agent got it from a queue (a reject sends it back there).
    offered_by_queue: bool,
    /// How many times routing offered it to an agent (a ring-no-answer
    /// timer names the offer it is about).
    offers: u64,
    /// Each agent's part in the call so far, for its record.
    legs: Vec<LegTrack>,
    answered_at: Option<u64>,
    /// An agent passed it on (blind or consulted transfer).
    transferred: bool,
    /// An agent let it ring out or turned it away.
    missed: bool,
    /// Its recording, once it started.
    recording: Option<recording::CallRecording>,
    /// Its caller is hearing the queue's recording notice: not offered to
    /// an agent until it has played.
    notice_playing: bool,
    /// Its caller has heard a recording notice (once per call).
    notice_heard: bool,
}

impl Call {
    /// A new call from `calling` with these parties, started now.
    fn new(id: String, origin: CallOrigin, calling: String, called: String, now: u64) -> Self {
        Self {
            id,
            origin,
            consult_of: None,
            calling,
            called,
            queue: None,
            skills: vec![],
            data: UserData::new(),
            parties: vec![],
            digits: String::new(),
            started_at: now,
            rejected_by: BTreeSet::new(),
            queued_at: now,
            priority: 0,
            flow_priority: None,
            flow: None,
            flow_path: vec![],
            callback_offered: false,
            callback: None,
            entered_queue: None,
            offered_by_queue: false,
            offers: 0,
            legs: vec![],
            answered_at: None,
            transferred: false,
            missed: false,
            recording: None,
            notice_playing: false,
            notice_heard: false,
        }
    }

    fn state_of(&self, dn: &str) -> Option<ConnectionState> {
        self.parties.iter().find(|p| p.dn == dn).map(|p| p.state)
    }

    fn set_state(&mut self, dn: &str, state: ConnectionState) {
        if let Some(p) = self.parties.iter_mut().find(|p| p.dn == dn) {
            p.state = state;
        }
    }

    fn remove_party(&mut self, dn: &str) {
        self.parties.retain(|p| p.dn != dn);
    }

    fn queued_party(&self) -> Option<&str> {
        self.parties
            .iter()
            .find(|p| p.state == ConnectionState::Queued)
            .map(|p| p.dn.as_str())
    }

    fn info(&self) -> CallInfo {
        CallInfo {
            call_id: self.id.clone(),
            origin: self.origin,
            consult_of: self.consult_of.clone(),
            calling_device: self.calling.clone(),
            called_device: self.called.clone(),
            queue: self.queue.clone(),
            skills: self.skills.clone(),
            recording: self.recording.as_ref().map(recording::CallRecording::state),
            data: self.data.clone(),
            parties: self.parties.clone(),
            digits: self.digits.clone(),
            started_at: self.started_at,
        }
    }
}

/// The simulated switch and ACD.
#[derive(Debug)]
pub struct Switch {
    config: SwitchConfig,
    now: u64,
    agents: BTreeMap<String, Agent>,
    /// Extension → agent logged in there.
    extensions: BTreeMap<String, Option<String>>,
    /// Queue number → agents serving it.
    queues: BTreeMap<String, config::QueueConfig>,
    /// Flow number → the flow it starts.
    flows: BTreeMap<String, flows::Flow>,
    calls: BTreeMap<String, Call>,
    /// Ready agents per queue in the order routing chooses them, and who
    /// is logged in: where routing looks for an agent, so that its cost
    /// does not grow with the number of agents.
    staffing: staffing::Staffing,
    /// Calls waiting in a queue in the order of service (highest priority
    /// first, then by the time they entered it). Entries go stale when a
    /// call is answered, re-queued or gone; routing drops those as it meets
    /// them.
    waiting: BTreeSet<routing::WaitKey>,
    /// Each agent's latest ended calls, newest first.
    recent: BTreeMap<String, VecDeque<RecentCall>>,
    /// The agents logged in, as the media plan carries them (see
    /// [`MediaPlan::agents`](crate::media::plan::MediaPlan)).
    signed_in: Arc<BTreeSet<String>>,
    /// The media plan's calls, derived again only where they changed.
    media: media::MediaCache,
    next_call: u64,
    output: Output,
}

impl Switch {
    /// A switch with every agent logged out and no calls.
    pub fn new(config: SwitchConfig) -> Self {
        let agents = config
            .agents
            .iter()
            .map(|a| {
                (
                    a.id.clone(),
                    Agent {
                        config: a.clone(),
                        status: AgentStatus::LoggedOut,
                        reason: String::new(),
                        work_mode: WorkMode::None,
                        mode: a.telephony_mode,
                        device: None,
                        since: 0,
                        idle_since: 0,
                        queues: routing::queues_of(a, &config.queues),
                        wrap_up_pending: false,
                        talked_on: BTreeSet::new(),
                        finished: vec![],
                        wrap_up: None,
                        wrap_up_generation: 0,
                    },
                )
            })
            .collect();
        Self {
            extensions: config
                .extensions
                .iter()
                .map(|e| (e.clone(), None))
                .collect(),
            queues: config
                .queues
                .iter()
                .map(|q| (q.number.clone(), q.clone()))
                .collect(),
            flows: flows::compile(&config).unwrap_or_else(|err| {
                // `SwitchConfig::validate` runs before: this is not reached.
                tracing::error!("flows not started: {err}");
                BTreeMap::new()
            }),
            agents,
            calls: BTreeMap::new(),
            staffing: staffing::Staffing::default(),
            waiting: BTreeSet::new(),
            recent: BTreeMap::new(),
            signed_in: Arc::default(),
            media: media::MediaCache::default(),
            next_call: 1,
            now: 0,
            output: Output::default(),
            config,
        }
    }

    /// The configuration the switch runs.
    pub fn config(&self) -> &SwitchConfig {
        &self.config
    }

    /// Sets the clock (ms since the Unix epoch); time never goes backwards.
    pub fn advance_to(&mut self, now: u64) {
        self.now = self.now.max(now);
    }

    /// Runs a timer the shell started for [`Output::timers`], now due.
    /// Timers that no longer apply (the call was answered, the wrap-up
    /// ended early…) change nothing.
    pub fn timer_due(&mut self, timer: Timer) {
        match timer {
            Timer::WrapUp {
                agent_id,
                generation,
                ..
            } => self.wrap_up_expired(&agent_id, generation),
            Timer::AutoAnswer { call_id, dn, .. } => self.sim_answer_party(&call_id, &dn),
            Timer::RingNoAnswer { call_id, offer, .. } => {
                self.ring_timeout_expired(&call_id, offer)
            }
            Timer::QueueWait {
                call_id, entered, ..
            } => self.queue_wait_expired(&call_id, entered),
            Timer::FlowTimeout {
                call_id,
                generation,
                ..
            } => self.flow_timeout(&call_id, generation),
            Timer::CallbackRing { call_id, .. } => self.callback_ring_expired(&call_id),
            Timer::CallbackRetry { request, .. } => self.callback_retry(*request),
        }
    }

    /// Takes the events and timers produced since the last call.
    pub fn take_output(&mut self) -> Output {
        std::mem::take(&mut self.output)
    }

    /// The agent's whole state, for a SnapshotEvent.
    pub fn snapshot(&self, agent_id: &str) -> Option<AgentSnapshot> {
        let agent = self.agents.get(agent_id)?;
        let calls = match &agent.device {
            Some(dn) => self
                .calls
                .values()
                .filter(|c| c.state_of(dn).is_some())
                .map(Call::info)
                .collect(),
            None => vec![],
        };
        Some(AgentSnapshot {
            agent: self.agent_info(agent),
            calls,
            reason_codes: self.config.reason_codes.clone(),
            dispositions: self.config.dispositions.clone(),
            recent: self.recent_of(agent_id),
        })
    }

    /// The agent and its calls as the rules see them.
    fn agent_view(&self, agent_id: &str) -> AgentView<'_> {
        let agent = self.agents.get(agent_id);
        let dn = agent.and_then(|a| a.device.as_deref());
        let status = agent.map_or(AgentStatus::LoggedOut, |a| a.status);
        AgentView {
            logged_in: dn.is_some(),
            mode: agent.map(|a| a.mode).unwrap_or_default(),
            ready: status == AgentStatus::Ready,
            in_wrap_up: status == AgentStatus::WorkingAfterCall,
            reason: agent.map_or("", |a| a.reason.as_str()),
            this_dn: dn.unwrap_or_default(),
            calls: match dn {
                Some(dn) => self
                    .calls
                    .values()
                    .filter_map(|c| {
                        c.state_of(dn).map(|state| CallView {
                            id: &c.id,
                            state: state.call_state(),
                            recording: c.recording.as_ref().map(recording::CallRecording::state),
                        })
                    })
                    .collect(),
                None => vec![],
            },
        }
    }

    /// Checks `action` of the agent against the rules (the same table the
    /// panel and the Interface use); returns the agent's extension.
    fn permit(&self, agent_id: &str, action: Action<'_>) -> Result<String, OpenCtiError> {
        rules::check(action, &self.agent_view(agent_id))?;
        self.device_of(agent_id)
    }

    /// Agents (with their live state) and queues (with their waiting calls).
    pub fn directory(&self) -> app::wire::native::Directory {
        use app::wire::native::{DirectoryAgent, DirectoryQueue};
        app::wire::native::Directory {
            agents: self
                .agents
                .values()
                .map(|a| DirectoryAgent {
                    agent_id: a.config.id.clone(),
                    name: a.config.name.clone(),
                    extension: a
                        .device
                        .clone()
                        .unwrap_or_else(|| a.config.extension.clone()),
                    status: a.status,
                    busy: a.device.as_deref().is_some_and(|dn| self.device_busy(dn)),
                })
                .collect(),
            queues: self
                .queues
                .values()
                .map(|q| DirectoryQueue {
                    number: q.number.clone(),
                    name: q.name.clone(),
                    waiting: self
                        .calls
                        .values()
                        .filter(|c| c.state_of(&q.number) == Some(ConnectionState::Queued))
                        .count(),
                })
                .collect(),
        }
    }

    /// The agent logged in on `dn`, if any.
    fn agent_at(&self, dn: &str) -> Option<&str> {
        self.extensions.get(dn)?.as_deref()
    }

    fn agent_info(&self, agent: &Agent) -> AgentInfo {
        AgentInfo {
            agent_id: agent.config.id.clone(),
            device: agent.device.clone().unwrap_or_default(),
            status: agent.status,
            reason: agent.reason.clone(),
            work_mode: agent.work_mode,
            telephony_mode: agent.mode,
            since: agent.since,
            wrap_up_ends_at: agent.wrap_up.as_ref().map(|w| w.ends_at),
        }
    }

    fn classify(&self, number: &str) -> Destination {
        if self.extensions.contains_key(number) {
            Destination::Extension(number.to_string())
        } else if self.queues.contains_key(number) {
            Destination::Queue(number.to_string())
        } else if self.flows.contains_key(number) {
            Destination::Flow(number.to_string())
        } else {
            Destination::External(number.to_string())
        }
    }

    fn new_call_id(&mut self) -> String {
        let id = format!("C{}", 1000 + self.next_call);
        self.next_call += 1;
        id
    }

    /// Whether any call has `dn` on it (a failed attempt does not count).
    fn device_busy(&self, dn: &str) -> bool {
        self.calls
            .values()
            .any(|c| c.state_of(dn).is_some_and(|s| s != ConnectionState::Failed))
    }

    /// The agent's device, or `OPENCTI_AGENT_NOT_LOGGED_IN`.
    fn device_of(&self, agent_id: &str) -> Result<String, OpenCtiError> {
        self.agents
            .get(agent_id)
            .and_then(|a| a.device.clone())
            .ok_or_else(|| not_logged_in(agent_id))
    }

    /// Whether `call_id` is a call now.
    pub fn has_call(&self, call_id: &str) -> bool {
        self.calls.contains_key(call_id)
    }

    fn call(&self, call_id: &str) -> &Call {
        &self.calls[call_id]
    }

    /// The one way to change a call (besides adding and ending it): the
    /// media plan follows what is touched here.
    fn call_mut(&mut self, call_id: &str) -> &mut Call {
        self.media.touch(call_id);
        self.calls.get_mut(call_id).expect("checked by the caller")
    }

    /// Starts the simulated far end's answer timer, if auto-answer is on
    /// (a trunk's party answers for itself).
    fn schedule_auto_answer(&mut self, call_id: &str, dn: &str) {
        if self.config.trunk {
            return;
        }
        if let Some(delay) = self.config.auto_answer_ms {
            self.output.timers.push(Timer::AutoAnswer {
                call_id: call_id.to_string(),
                dn: dn.to_string(),
                at: self.now + delay,
            });
        }
    }

    /// Agents logged in on the call's devices.
    fn agents_on(&self, call: &Call) -> Vec<(String, String)> {
        call.parties
            .iter()
            .filter_map(|p| self.agent_at(&p.dn).map(|a| (a.to_string(), p.dn.clone())))
            .collect()
    }

    fn deliver(&mut self, agent_id: &str, event: NativeEvent) {
        // Every change of an agent's state reaches its session as one of
        // these: the one place to observe them.
        if let NativeEvent::AgentLoggedOn(_)
        | NativeEvent::AgentReady(_)
        | NativeEvent::AgentNotReady(_)
        | NativeEvent::AgentWorkingAfterCall(_)
        | NativeEvent::AgentLoggedOff(_) = &event
            && let Some(agent) = self.agents.get(agent_id)
        {
            self.output.observations.push(Observation::AgentState {
                agent_id: agent_id.to_string(),
                status: agent.status,
                reason: agent.reason.clone(),
                at: self.now,
            });
        }
        self.output.deliveries.push(Delivery {
            agent_id: agent_id.to_string(),
            event,
        });
    }

    /// Sends a call event about `device` to every agent on the call.
    fn tell_call(
        &mut self,
        call_id: &str,
        device: &str,
        cause: Option<Cause>,
        make: fn(CallEvent) -> NativeEvent,
    ) {
        self.track(call_id);
        let call = self.call(call_id);
        let event = CallEvent {
            device: device.to_string(),
            cause,
            call: call.info(),
            timestamp: self.now,
        };
        for (agent_id, _) in self.agents_on(call) {
            self.deliver(&agent_id, make(event.clone()));
        }
    }

    /// Puts `dn`'s connection to the call in `state` and tells the agents on
    /// the call (hold, retrieve, swap).
    fn change_connection(
        &mut self,
        call_id: &str,
        dn: &str,
        state: ConnectionState,
        make: fn(CallEvent) -> NativeEvent,
    ) {
        self.call_mut(call_id).set_state(dn, state);
        self.tell_call(call_id, dn, None, make);
    }

    /// Tells the agent on `dn` (if any) that its connection to a call that
    /// is described by `info` is gone.
    fn tell_cleared(
        &mut self,
        dn: &str,
        info: CallInfo,
        cause: Cause,
        make: fn(CallEvent) -> NativeEvent,
    ) {
        self.track(&info.call_id);
        if self.is_outside(dn) || self.is_phone(dn) {
            // An edge that carries this party hangs up there.
            self.signal(NetworkSignal::Released {
                call_id: info.call_id.clone(),
                dn: dn.to_string(),
                cause,
            });
        }
        if let Some(agent_id) = self.agent_at(dn).map(str::to_string) {
            if let Some(agent) = self.agents.get_mut(&agent_id)
                && agent.talked_on.remove(&info.call_id)
            {
                agent.finished.push(FinishedCall {
                    call_id: info.call_id.clone(),
                    data: info.data.clone(),
                    queue: info.queue.clone(),
                });
            }
            self.list_if_free(&agent_id);
            let event = make(CallEvent {
                device: dn.to_string(),
                cause: Some(cause),
                call: info,
                timestamp: self.now,
            });
            self.deliver(&agent_id, event);
        }
    }
}

fn not_logged_in(agent_id: &str) -> OpenCtiError {
    OpenCtiError::new(
        ErrorCode::AgentNotLoggedIn,
        format!("agent {agent_id} is not logged in"),
    )
}

#[cfg(test)]
mod tests;
