//! The media plane: the server is the media switch, as a PBX is. Every
//! agent's browser keeps one WebRTC peer connection for its session (G.711
//! over DTLS-SRTP, ICE-lite, host candidates) on one UDP socket; simulated
//! far ends are endpoints inside the engine. Every 20 ms the engine mixes
//! what each endpoint hears by the switch's [`plan::MediaPlan`]. Signalling
//! rides on the agent's relay session (`ClientFrame::Offer`).

mod engine;
mod far_end;
pub mod fork;
pub mod g711;
mod peer;
pub mod plan;
pub mod recording;
pub mod rtp;
pub mod sound;

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use app::opencti::{ErrorCode, OpenCtiError};
pub use far_end::AudioStats;
use fork::{ForkFigures, ForkOpener};
use plan::{Endpoint, MediaPlan};
use recording::Recordings;
use rtp::RtpLink;
use tokio::sync::{mpsc, oneshot, watch};

/// How the media plane listens and what the browsers are told.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// The UDP socket (`--media-addr`; port 0 for an ephemeral one).
    pub addr: SocketAddr,
    /// The address browsers reach the socket at, when it is not `addr`'s
    /// (behind NAT, or `addr` is unspecified): `--media-public-ip`.
    pub public_ip: Option<IpAddr>,
    /// At most this many browsers' peer connections at once.
    pub max_peers: usize,
}

/// Why an offer got no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MediaError {
    #[error("the SDP offer cannot be used: {0}")]
    BadOffer(String),
    #[error("the SDP offer has no codec in common with the server (PCMU or PCMA)")]
    NoCommonCodec,
    #[error("the media plane is at capacity ({0} peer connections): try again later")]
    Full(usize),
    #[error("the media plane is unavailable: {0}")]
    Unavailable(String),
    #[error("the caller on call {0} has no audio: it is not connected")]
    NotConnected(String),
}

impl From<MediaError> for OpenCtiError {
    fn from(err: MediaError) -> Self {
        let code = match err {
            MediaError::BadOffer(_) | MediaError::NoCommonCodec => ErrorCode::BadRequest,
            MediaError::Full(_) | MediaError::Unavailable(_) => ErrorCode::HttpError(503),
            MediaError::NotConnected(_) => ErrorCode::InvalidObjectState,
        };
        OpenCtiError::new(code, err.to_string())
    }
}

enum Command {
    Offer {
        agent_id: String,
        sdp: String,
        reply: oneshot::Sender<Result<String, MediaError>>,
    },
    /// `samples` spoken on `call_id` by the simulated far end, or (with
    /// `prompt`) by the flow the call is in.
    Say {
        call_id: String,
        samples: Vec<i16>,
        prompt: bool,
        reply: oneshot::Sender<Result<(), MediaError>>,
    },
    /// A SIP party's audio: from now on `endpoint` is this RTP leg.
    AttachRtp {
        endpoint: Endpoint,
        link: RtpLink,
    },
    DetachRtp(Endpoint),
    /// Send these digits to the SIP party as telephone-events.
    SendDigits {
        endpoint: Endpoint,
        digits: String,
    },
}

/// The media plane's handle (cheap to clone).
#[derive(Clone)]
pub struct Media {
    commands: mpsc::Sender<Command>,
    far_ends: Arc<Mutex<HashMap<String, AudioStats>>>,
    connected: Arc<AtomicUsize>,
    forks: Arc<ForkFigures>,
    recordings: Recordings,
    local: SocketAddr,
}

impl Media {
    /// Binds the socket and starts the engine, which follows `plan` (forks
    /// answered calls' audio through `fork`, if given, and records the
    /// calls the plan says into `recordings`).
    pub async fn start(
        config: MediaConfig,
        plan: watch::Receiver<Arc<MediaPlan>>,
        fork: Option<ForkOpener>,
        recordings: Recordings,
    ) -> std::io::Result<Self> {
        let socket = tokio::net::UdpSocket::bind(config.addr).await?;
        let bound = socket.local_addr()?;
        let ip = match (config.public_ip, bound.ip()) {
            (Some(ip), _) => ip,
            (None, ip) if ip.is_unspecified() => {
                tracing::warn!(
                    "the media socket listens on {bound}: browsers are told 127.0.0.1; \
                     set --media-public-ip for other machines"
                );
                IpAddr::from([127, 0, 0, 1])
            }
            (None, ip) => ip,
        };
        let local = SocketAddr::new(ip, bound.port());
        tracing::info!("media plane on udp://{bound} (announced as {local})");
        let (commands, receiver) = mpsc::channel(64);
        let far_ends = Arc::new(Mutex::new(HashMap::new()));
        let connected = Arc::new(AtomicUsize::new(0));
        let forks = Arc::new(ForkFigures::default());
        let shared = engine::Shared {
            published: far_ends.clone(),
            connected: connected.clone(),
            fork_figures: forks.clone(),
        };
        let engine = engine::Engine::new(
            socket,
            local,
            config.max_peers,
            shared,
            fork,
            recordings.clone(),
        );
        tokio::spawn(engine.run(receiver, plan));
        Ok(Self {
            commands,
            far_ends,
            connected,
            forks,
            recordings,
            local,
        })
    }

    /// Peer connections whose ICE and DTLS are up.
    pub fn connected_peers(&self) -> usize {
        self.connected.load(Ordering::Relaxed)
    }

    /// Where calls are recorded, and the recordings' figures.
    pub fn recordings(&self) -> &Recordings {
        &self.recordings
    }

    /// Calls whose audio is forked now, and frames the forks lost.
    pub fn fork_figures(&self) -> &ForkFigures {
        &self.forks
    }

    /// The address browsers send media to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Answers the agent's browser's offer; a new offer replaces the
    /// agent's previous peer connection.
    pub async fn offer(&self, agent_id: &str, sdp: String) -> Result<String, MediaError> {
        let agent_id = agent_id.to_string();
        self.ask(|reply| Command::Offer {
            agent_id,
            sdp,
            reply,
        })
        .await
    }

    /// The simulated far end of `call_id` says `samples` (8 kHz).
    pub async fn say(&self, call_id: &str, samples: Vec<i16>) -> Result<(), MediaError> {
        let call_id = call_id.to_string();
        self.ask(|reply| Command::Say {
            call_id,
            samples,
            prompt: false,
            reply,
        })
        .await
    }

    /// The flow that `call_id` is in plays `samples` to its caller.
    pub async fn play_prompt(&self, call_id: &str, samples: Vec<i16>) -> Result<(), MediaError> {
        let call_id = call_id.to_string();
        self.ask(|reply| Command::Say {
            call_id,
            samples,
            prompt: true,
            reply,
        })
        .await
    }

    /// Makes `endpoint` a SIP party's RTP leg: a trunk's party (instead of
    /// a simulated far end) or a desk phone.
    pub async fn attach_rtp(&self, endpoint: Endpoint, link: RtpLink) {
        self.tell(Command::AttachRtp { endpoint, link }).await;
    }

    /// Closes the RTP leg of `endpoint` (its port too).
    pub async fn detach_rtp(&self, endpoint: Endpoint) {
        self.tell(Command::DetachRtp(endpoint)).await;
    }

    /// Sends `digits` to the SIP party at `endpoint` (RFC 4733).
    pub async fn send_digits(&self, endpoint: Endpoint, digits: String) {
        self.tell(Command::SendDigits { endpoint, digits }).await;
    }

    async fn tell(&self, command: Command) {
        if self.commands.send(command).await.is_err() {
            tracing::warn!("the media engine stopped: an RTP command is lost");
        }
    }

    /// Sends the engine a command and waits for its reply.
    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<Result<T, MediaError>>) -> Command,
    ) -> Result<T, MediaError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || MediaError::Unavailable("the media engine stopped".into());
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// What the simulated far end of `call_id` sent and received.
    pub fn far_end_audio(&self, call_id: &str) -> Option<AudioStats> {
        self.far_ends
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(call_id)
            .cloned()
    }
}
