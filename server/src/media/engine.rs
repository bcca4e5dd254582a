//! The engine: one task owns the socket, every peer, every simulated far
//! end and the plan. It is driven by four things only: a datagram, an offer,
//! a new plan, and the 20 ms clock (plus the peers' own timers).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use app::opencti::events::RecordingState;
use str0m::{
    Input,
    crypto::{CryptoProvider, from_feature_flags},
    net::{Protocol, Receive, Transmit},
};
use tokio::{
    net::UdpSocket,
    sync::{mpsc, watch},
    time::MissedTickBehavior,
};

use super::{
    AudioStats, Command, MediaError,
    far_end::FarEnd,
    fork::{ForkFigures, ForkFrame, ForkOpener, Tap, forked_calls},
    g711::Law,
    peer::{CONNECT_TIMEOUT, LinkState, Peer},
    plan::{Endpoint, Hearing, MediaPlan, Routes},
    recording::{RecordingFrame, Recordings},
    rtp::{Arrival, RtpLeg},
    sound::{FRAME_SAMPLES, Frame, HOLD_TONE, TonePattern, mix},
};

/// The mixing period: one G.711 packet.
const TICK: Duration = Duration::from_millis(20);

struct Slot {
    peer: Peer,
    created: Instant,
    /// When the peer next needs `Input::Timeout`.
    wake: Option<Instant>,
}

pub struct Engine {
    socket: UdpSocket,
    local: SocketAddr,
    crypto: Arc<CryptoProvider>,
    max_peers: usize,
    peers: HashMap<String, Slot>,
    far_ends: BTreeMap<Endpoint, FarEnd>,
    /// SIP parties' RTP legs: such an endpoint is heard and spoken to
    /// through its leg, not a simulated far end or a browser.
    legs: HashMap<Endpoint, RtpLeg>,
    arrivals: mpsc::Sender<Arrival>,
    arrived: Option<mpsc::Receiver<Arrival>>,
    published: Arc<Mutex<HashMap<String, AudioStats>>>,
    /// Peers whose link is up, for `/metrics`.
    connected: Arc<AtomicUsize>,
    routes: Routes,
    hold_tone: TonePattern,
    /// Opens a call's audio fork (`--media-fork-url`), if configured.
    fork: Option<ForkOpener>,
    taps: HashMap<String, Tap>,
    /// Every endpoint a fork or a recording listens to, heard by anybody
    /// or not.
    tapped: HashSet<Endpoint>,
    fork_figures: Arc<ForkFigures>,
    recordings: Recordings,
    /// Calls being recorded: where their frames go, and their two sides.
    recorders: HashMap<String, Recorder>,
}

/// A recorded call as the mixer sees it.
struct Recorder {
    sender: mpsc::Sender<RecordingFrame>,
    customers: Vec<Endpoint>,
    /// The agents on the call who are not holding it.
    agents: Vec<Endpoint>,
    /// An agent paused it: silence goes in the file.
    paused: bool,
}

/// What the engine shares with its handle.
pub struct Shared {
    pub published: Arc<Mutex<HashMap<String, AudioStats>>>,
    /// Peers whose link is up, for `/metrics`.
    pub connected: Arc<AtomicUsize>,
    pub fork_figures: Arc<ForkFigures>,
}

impl Engine {
    pub fn new(
        socket: UdpSocket,
        local: SocketAddr,
        max_peers: usize,
        shared: Shared,
        fork: Option<ForkOpener>,
        recordings: Recordings,
    ) -> Self {
        let (arrivals, arrived) = mpsc::channel(4096);
        Self {
            socket,
            local,
            crypto: Arc::new(from_feature_flags()),
            max_peers,
            peers: HashMap::new(),
            far_ends: BTreeMap::new(),
            legs: HashMap::new(),
            arrivals,
            arrived: Some(arrived),
            published: shared.published,
            connected: shared.connected,
            routes: Routes::default(),
            hold_tone: TonePattern::new(HOLD_TONE, 0.2),
            fork,
            taps: HashMap::new(),
            tapped: HashSet::new(),
            fork_figures: shared.fork_figures,
            recordings,
            recorders: HashMap::new(),
        }
    }

    pub async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut plan: watch::Receiver<Arc<MediaPlan>>,
    ) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut buf = vec![0u8; 2048];
        let Some(mut arrived) = self.arrived.take() else {
            return;
        };
        self.follow(plan.borrow_and_update().clone());
        loop {
            let wake = self
                .peers
                .values()
                .filter_map(|s| s.wake)
                .min()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((n, source)) => self.on_datagram(&buf[..n], source),
                    Err(err) => tracing::debug!("media socket: {err}"),
                },
                command = commands.recv() => match command {
                    Some(Command::Offer { agent_id, sdp, reply }) => {
                        let _ = reply.send(self.on_offer(&agent_id, &sdp));
                    }
                    Some(Command::Say { call_id, samples, prompt, reply }) => {
                        let _ = reply.send(self.on_say(&call_id, &samples, prompt));
                    }
                    Some(Command::AttachRtp { endpoint, link }) => {
                        self.far_ends.remove(&endpoint);
                        let leg = RtpLeg::start(endpoint.clone(), link, self.arrivals.clone());
                        self.legs.insert(endpoint, leg);
                    }
                    Some(Command::DetachRtp(endpoint)) => {
                        self.legs.remove(&endpoint);
                    }
                    Some(Command::SendDigits { endpoint, digits }) => {
                        if let Some(leg) = self.legs.get_mut(&endpoint) {
                            leg.send_digits(&digits);
                        }
                    }
                    None => break,
                },
                Some(arrival) = arrived.recv() => {
                    if let Some(leg) = self.legs.get_mut(&arrival.endpoint) {
                        leg.receive(arrival.from, &arrival.data);
                    }
                }
                changed = plan.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let next = plan.borrow_and_update().clone();
                    self.follow(next);
                }
                _ = tick.tick() => self.mix(),
                () = tokio::time::sleep_until(wake.into()) => self.on_timers(),
            }
        }
    }

    fn on_offer(&mut self, agent_id: &str, sdp: &str) -> Result<String, MediaError> {
        if !self.peers.contains_key(agent_id) && self.peers.len() >= self.max_peers {
            tracing::warn!(
                agent = agent_id,
                peers = self.peers.len(),
                "media plane at capacity: offer refused"
            );
            return Err(MediaError::Full(self.max_peers));
        }
        let now = Instant::now();
        let (mut peer, answer) = Peer::accept(agent_id, sdp, self.local, &self.crypto, now)?;
        let wake = peer.handle(Input::Timeout(now), &mut sender(&self.socket));
        if self.peers.contains_key(agent_id) {
            tracing::info!(
                agent = agent_id,
                "audio renegotiated: a new peer connection"
            );
        }
        self.peers.insert(
            agent_id.to_string(),
            Slot {
                peer,
                created: now,
                wake,
            },
        );
        Ok(answer)
    }

    /// The simulated far end of `call_id` (or, with `prompt`, its flow's
    /// prompt player) says `samples`.
    fn on_say(&mut self, call_id: &str, samples: &[i16], prompt: bool) -> Result<(), MediaError> {
        if prompt {
            // The prompt may come before the plan that has its call in the
            // flow: the player starts now, and the plan keeps it.
            self.far_ends
                .entry(Endpoint::Prompt {
                    call_id: call_id.to_string(),
                })
                .or_insert_with(FarEnd::player);
        }
        let far_end = self
            .far_ends
            .iter_mut()
            .find(|(e, _)| match e {
                Endpoint::FarEnd { call_id: c, .. } => !prompt && c == call_id,
                Endpoint::Prompt { call_id: c } => prompt && c == call_id,
                _ => false,
            })
            .map(|(_, f)| f)
            .ok_or_else(|| MediaError::NotConnected(call_id.to_string()))?;
        far_end.say(samples);
        Ok(())
    }

    fn on_datagram(&mut self, data: &[u8], source: SocketAddr) {
        let now = Instant::now();
        let Ok(receive) = Receive::new(Protocol::Udp, source, self.local, data) else {
            return;
        };
        let input = Input::Receive(now, receive);
        let socket = &self.socket;
        if let Some(slot) = self.peers.values_mut().find(|s| s.peer.accepts(&input)) {
            slot.wake = slot.peer.handle(input, &mut sender(socket));
        }
    }

    fn on_timers(&mut self) {
        let now = Instant::now();
        let socket = &self.socket;
        for slot in self.peers.values_mut() {
            if slot.wake.is_some_and(|at| at <= now) {
                slot.wake = slot.peer.handle(Input::Timeout(now), &mut sender(socket));
            }
        }
        self.peers.retain(|agent, slot| {
            let stale = slot.peer.state == LinkState::Connecting
                && now.duration_since(slot.created) > CONNECT_TIMEOUT;
            let keep = slot.peer.is_alive() && slot.peer.state != LinkState::Lost && !stale;
            if !keep {
                tracing::info!(agent = %agent, "peer connection closed");
            }
            keep
        });
    }

    /// Takes a new plan: peers of agents who logged out close, far ends
    /// come and go with their calls. RTP legs stay until the SIP edge
    /// closes their dialog: a phone or a trunk's party is off-hook before
    /// the plan has it on a call (a desk phone placing a call waits for
    /// the far end's answer).
    fn follow(&mut self, plan: Arc<MediaPlan>) {
        self.peers.retain(|agent, _| plan.agents.contains(agent));
        let endpoints = plan.endpoints();
        self.far_ends.retain(|e, _| endpoints.contains(e));
        for endpoint in endpoints {
            if self.far_ends.contains_key(endpoint) || self.legs.contains_key(endpoint) {
                continue;
            }
            match endpoint {
                Endpoint::FarEnd { .. } => {
                    self.far_ends.insert(endpoint.clone(), FarEnd::new());
                }
                // A flow's prompts: silent but for what it is told to say.
                Endpoint::Prompt { .. } => {
                    self.far_ends.insert(endpoint.clone(), FarEnd::player());
                }
                _ => {}
            }
        }
        self.routes = plan.routes();
        self.follow_forks(&plan);
        self.follow_recordings(&plan);
        self.tapped = self
            .taps
            .values()
            .flat_map(|t| t.customers.iter().chain(&t.agents))
            .chain(
                self.recorders
                    .values()
                    .flat_map(|r| r.customers.iter().chain(&r.agents)),
            )
            .cloned()
            .collect();
        self.publish();
    }

    /// Forks start with a call's answer and end with the call (dropping
    /// the sender ends the fork); a transfer or a hold only changes whom a
    /// fork listens to.
    fn follow_forks(&mut self, plan: &MediaPlan) {
        let Some(open) = &self.fork else {
            return;
        };
        let wanted = forked_calls(plan);
        self.taps
            .retain(|id, _| wanted.iter().any(|(start, ..)| start.call_id == *id));
        for (start, customers, agents) in wanted {
            match self.taps.get_mut(&start.call_id) {
                Some(tap) => {
                    tap.customers = customers;
                    tap.agents = agents;
                }
                None => {
                    let call_id = start.call_id.clone();
                    let sender = open(start, self.fork_figures.clone());
                    self.taps.insert(
                        call_id,
                        Tap {
                            sender,
                            customers,
                            agents,
                        },
                    );
                }
            }
        }
        self.fork_figures
            .active
            .store(self.taps.len() as u64, Ordering::Relaxed);
    }

    /// A recording starts when an agent and a customer are first on a
    /// recorded call and ends with the call (dropping the sender closes the
    /// file); a hold, a transfer or a conference only changes whom it
    /// hears.
    fn follow_recordings(&mut self, plan: &MediaPlan) {
        let wanted: HashMap<&str, (Vec<Endpoint>, Vec<Endpoint>, bool)> = plan
            .calls
            .iter()
            .filter_map(|call| {
                let paused = call.recording? == RecordingState::Paused;
                let sides = call.sides()?;
                Some((
                    call.call_id.as_str(),
                    (sides.customers, sides.talking, paused),
                ))
            })
            .collect();
        // A recorded call whose customer went (or whose agents all left)
        // is over for the recording too.
        self.recorders
            .retain(|id, _| wanted.contains_key(id.as_str()));
        for (call_id, (customers, agents, paused)) in wanted {
            let recordings = &self.recordings;
            let recorder = self
                .recorders
                .entry(call_id.to_string())
                .or_insert_with(|| Recorder {
                    sender: recordings.open(call_id),
                    customers: vec![],
                    agents: vec![],
                    paused,
                });
            recorder.customers = customers;
            recorder.agents = agents;
            recorder.paused = paused;
        }
    }

    /// One 20 ms step: take what every heard endpoint says, give every
    /// endpoint what it hears.
    fn mix(&mut self) {
        let now = Instant::now();
        let routes = &self.routes;
        let mut said = HashMap::new();
        let wanted = |e: &Endpoint| routes.is_heard(e) || self.tapped.contains(e);
        for (endpoint, leg) in &mut self.legs {
            if wanted(endpoint) {
                if let Some(frame) = leg.take_frame() {
                    said.insert(endpoint.clone(), frame);
                }
            } else {
                leg.discard_inbound();
            }
        }
        for (agent, slot) in &mut self.peers {
            let endpoint = Endpoint::Agent(agent.clone());
            if wanted(&endpoint) {
                if let Some(frame) = slot.peer.take_frame() {
                    said.insert(endpoint, frame);
                }
            } else {
                slot.peer.discard_inbound();
            }
        }
        for (endpoint, far_end) in &mut self.far_ends {
            if wanted(endpoint) {
                said.insert(endpoint.clone(), far_end.speak());
            }
        }
        self.feed_forks(&said);
        self.feed_recordings(&said);
        let hold = self.hold_tone.next_frame();
        let heard = |listener: &Endpoint| match routes.hearing(listener) {
            Hearing::Silence => None,
            Hearing::HoldTone => Some(hold),
            Hearing::Mix(sources) => mix(sources.iter().filter_map(|s| said.get(s))),
        };
        let socket = &self.socket;
        for (agent, slot) in &mut self.peers {
            if let Some(frame) = heard(&Endpoint::Agent(agent.clone()))
                && let Some(wake) = slot.peer.write(&frame, now, &mut sender(socket))
            {
                slot.wake = Some(wake);
            }
        }
        for (endpoint, far_end) in &mut self.far_ends {
            far_end.hear(heard(endpoint).as_ref());
        }
        for (endpoint, leg) in &mut self.legs {
            leg.write(heard(endpoint).as_ref());
        }
        if !self.far_ends.is_empty() || !self.legs.is_empty() {
            self.publish();
        }
        let up = self
            .peers
            .values()
            .filter(|s| s.peer.state == LinkState::Connected)
            .count();
        self.connected.store(up, Ordering::Relaxed);
    }

    /// Hands every fork this 20 ms of both sides; a fork whose queue is
    /// full loses it (counted), and the call never waits.
    fn feed_forks(&self, said: &HashMap<Endpoint, Frame>) {
        if self.taps.is_empty() {
            return;
        }
        let side = |endpoints: &[Endpoint]| {
            let frame =
                mix(endpoints.iter().filter_map(|e| said.get(e))).unwrap_or([0; FRAME_SAMPLES]);
            let mut encoded = Vec::with_capacity(FRAME_SAMPLES);
            Law::Mu.encode(&frame, &mut encoded);
            encoded
        };
        let created = Instant::now();
        for tap in self.taps.values() {
            let frame = ForkFrame {
                inbound: side(&tap.customers),
                outbound: side(&tap.agents),
                created,
            };
            if tap.sender.try_send(frame).is_err() {
                self.fork_figures.lose_frame();
            }
        }
    }

    /// Hands every recording this 20 ms of both sides, linear; a writer
    /// that cannot keep up loses the frame (counted).
    fn feed_recordings(&self, said: &HashMap<Endpoint, Frame>) {
        for recorder in self.recorders.values() {
            let side = |endpoints: &[Endpoint]| match recorder.paused {
                true => [0; FRAME_SAMPLES],
                false => {
                    mix(endpoints.iter().filter_map(|e| said.get(e))).unwrap_or([0; FRAME_SAMPLES])
                }
            };
            let frame = RecordingFrame {
                customer: side(&recorder.customers),
                agents: side(&recorder.agents),
            };
            if recorder.sender.try_send(frame).is_err() {
                self.recordings
                    .figures()
                    .dropped
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Shares the far ends' figures with the simulator's API.
    fn publish(&self) {
        let mut published = self.published.lock().unwrap_or_else(|p| p.into_inner());
        published.clear();
        for (endpoint, leg) in &self.legs {
            if let Endpoint::FarEnd { call_id, .. } = endpoint {
                published.insert(call_id.clone(), leg.stats());
            }
        }
        for (endpoint, far_end) in &self.far_ends {
            if let Endpoint::FarEnd { call_id, .. } = endpoint {
                published
                    .entry(call_id.clone())
                    .or_insert_with(|| far_end.stats());
            }
        }
    }
}

/// Sends a peer's datagram; a full socket buffer drops it, as the network
/// would.
fn sender(socket: &UdpSocket) -> impl FnMut(Transmit) + '_ {
    move |transmit: Transmit| {
        if let Err(err) = socket.try_send_to(&transmit.contents, transmit.destination) {
            tracing::debug!("media datagram to {} dropped: {err}", transmit.destination);
        }
    }
}
