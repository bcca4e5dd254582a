//! A WebRTC peer for tests: what a browser's softphone does, in Rust
//! (str0m as a full ICE agent, G.711 µ-law only). It sends a 440 Hz tone
//! every 20 ms (unless muted) and counts and measures what it receives.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use server::media::{
    g711::Law,
    sound::{FRAME_SAMPLES, Frame, LevelMeter, TonePattern},
};
use str0m::{
    Candidate, Event, Input, Output, Rtc,
    change::{SdpAnswer, SdpPendingOffer},
    crypto::from_feature_flags,
    format::Codec,
    media::{Direction, Frequency, MediaKind, MediaTime, Mid},
    net::{Protocol, Receive},
};
use tokio::{net::UdpSocket, task::JoinHandle};

/// What the client heard and said so far.
#[derive(Debug, Default, Clone)]
pub struct Heard {
    pub packets: u64,
    pub sent: u64,
    pub connected: bool,
    meter: LevelMeter,
}

impl Heard {
    /// dBFS of what arrived during the last second.
    pub fn level(&self) -> f64 {
        self.meter.dbfs()
    }
}

pub struct MediaClient {
    pub heard: Arc<Mutex<Heard>>,
    pub muted: Arc<Mutex<bool>>,
    task: JoinHandle<()>,
}

pub struct Offer {
    rtc: Rtc,
    socket: UdpSocket,
    pending: SdpPendingOffer,
    mid: Mid,
    pub sdp: String,
}

impl Offer {
    pub async fn new() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut rtc = Rtc::builder()
            .set_crypto_provider(Arc::new(from_feature_flags()))
            .clear_codecs()
            .enable_pcmu(true, false)
            .build(Instant::now());
        rtc.add_local_candidate(Candidate::host(socket.local_addr().unwrap(), "udp").unwrap());
        let mut change = rtc.sdp_api();
        let mid = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = change.apply().unwrap();
        Self {
            rtc,
            socket,
            pending,
            mid,
            sdp: offer.to_sdp_string(),
        }
    }

    /// Takes the server's answer and starts talking.
    pub fn connect(mut self, answer: &str) -> MediaClient {
        let answer = SdpAnswer::from_sdp_string(answer).unwrap();
        self.rtc
            .sdp_api()
            .accept_answer(self.pending, answer)
            .unwrap();
        let heard = Arc::new(Mutex::new(Heard::default()));
        let muted = Arc::new(Mutex::new(false));
        let task = tokio::spawn(drive(
            self.rtc,
            self.socket,
            self.mid,
            heard.clone(),
            muted.clone(),
        ));
        MediaClient { heard, muted, task }
    }
}

impl MediaClient {
    pub fn heard(&self) -> Heard {
        self.heard.lock().unwrap().clone()
    }

    pub fn mute(&self, muted: bool) {
        *self.muted.lock().unwrap() = muted;
    }

    /// Waits (up to 10 s) until `check` holds for what was heard.
    pub async fn until(&self, what: &str, check: impl Fn(&Heard) -> bool) -> Heard {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let heard = self.heard();
            if check(&heard) {
                return heard;
            }
            assert!(Instant::now() < deadline, "{what}: still {heard:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for MediaClient {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn drive(
    mut rtc: Rtc,
    socket: UdpSocket,
    mid: Mid,
    heard: Arc<Mutex<Heard>>,
    muted: Arc<Mutex<bool>>,
) {
    let local: SocketAddr = socket.local_addr().unwrap();
    let mut tone = TonePattern::new(&[(440.0, 1000)], 0.5);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut buf = vec![0u8; 2048];
    let mut samples = 0u64;
    let mut pcm = vec![];
    let mut arrived: Option<Frame> = None;
    loop {
        let wake = loop {
            match rtc.poll_output() {
                Ok(Output::Timeout(at)) => break at,
                Ok(Output::Transmit(t)) => {
                    let _ = socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(Event::Connected)) => heard.lock().unwrap().connected = true,
                Ok(Output::Event(Event::MediaData(data))) => {
                    if data.params.spec().codec == Codec::PCMU {
                        Law::Mu.decode(&data.data, &mut pcm);
                        let mut frame = [0; FRAME_SAMPLES];
                        let n = pcm.len().min(FRAME_SAMPLES);
                        frame[..n].copy_from_slice(&pcm[..n]);
                        arrived = Some(frame);
                        heard.lock().unwrap().packets += 1;
                    }
                }
                Ok(Output::Event(_)) => {}
                Err(_) => return,
            }
        };
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let Ok((n, source)) = received else { return };
                if let Ok(receive) = Receive::new(Protocol::Udp, source, local, &buf[..n]) {
                    let _ = rtc.handle_input(Input::Receive(Instant::now(), receive));
                }
            }
            _ = tick.tick() => {
                heard.lock().unwrap().meter.push(arrived.take().as_ref());
                let connected = heard.lock().unwrap().connected;
                let frame = if *muted.lock().unwrap() { [0; FRAME_SAMPLES] } else { tone.next_frame() };
                if connected {
                    let mut payload = vec![];
                    Law::Mu.encode(&frame, &mut payload);
                    if let Some(writer) = rtc.writer(mid) {
                        let pt = writer.payload_params().next().map(|p| p.pt());
                        if let Some(pt) = pt {
                            let time = MediaTime::new(samples, Frequency::EIGHT_KHZ);
                            if writer.write(pt, Instant::now(), time, payload).is_ok() {
                                heard.lock().unwrap().sent += 1;
                            }
                        }
                    }
                    samples += FRAME_SAMPLES as u64;
                }
            }
            () = tokio::time::sleep_until(wake.into()) => {
                let _ = rtc.handle_input(Input::Timeout(Instant::now()));
            }
        }
    }
}
