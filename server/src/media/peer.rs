//! One agent's browser: a str0m `Rtc` in ICE-lite mode, answering the
//! browser's offer, with G.711 only. The engine owns the socket and the
//! clock; a peer turns packets into 20 ms frames and frames into packets.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use str0m::{
    Candidate, Event, IceConnectionState, Input, Output, Rtc, RtcConfig,
    change::SdpOffer,
    crypto::CryptoProvider,
    format::Codec,
    media::{Frequency, MediaKind, MediaTime, Mid, Pt},
    net::Transmit,
};

use super::{
    MediaError,
    g711::Law,
    sound::{FRAME_SAMPLES, Frame},
};

/// Frames kept from the browser before the oldest is dropped: 100 ms of
/// jitter at most, so the mix never lags behind.
const MAX_QUEUED_FRAMES: usize = 5;

/// The link as the engine sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// ICE and DTLS under way.
    Connecting,
    /// Media can flow.
    Connected,
    /// ICE consent lapsed: the browser stopped answering.
    Lost,
}

pub struct Peer {
    pub agent_id: String,
    rtc: Rtc,
    audio: Option<(Mid, Pt, Law)>,
    /// Decoded frames from the browser, oldest first.
    inbound: VecDeque<Frame>,
    /// Samples sent so far (the RTP clock).
    rtp_samples: u64,
    pub state: LinkState,
    pub packets_in: u64,
    pub packets_out: u64,
    pcm: Vec<i16>,
    payload: Vec<u8>,
}

impl Peer {
    /// A peer for the browser's `offer`, and the SDP answer for it. The
    /// offer must carry an audio section with PCMU or PCMA.
    pub fn accept(
        agent_id: &str,
        offer: &str,
        local: SocketAddr,
        crypto: &Arc<CryptoProvider>,
        now: Instant,
    ) -> Result<(Self, String), MediaError> {
        let offer = SdpOffer::from_sdp_string(offer)
            .map_err(|e| MediaError::BadOffer(format!("unreadable SDP: {e}")))?;
        let text = offer.to_sdp_string();
        if !text.contains("m=audio") {
            return Err(MediaError::BadOffer(
                "the offer has no audio section".into(),
            ));
        }
        if !has_g711(&text) {
            return Err(MediaError::NoCommonCodec);
        }
        let mut rtc = RtcConfig::new()
            .set_ice_lite(true)
            .set_crypto_provider(crypto.clone())
            .clear_codecs()
            .enable_pcmu(true, false)
            .enable_pcma(true, false)
            .build(now);
        let candidate = Candidate::host(local, "udp")
            .map_err(|e| MediaError::Unavailable(format!("no usable media address: {e}")))?;
        rtc.add_local_candidate(candidate);
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| MediaError::BadOffer(e.to_string()))?;
        let peer = Self {
            agent_id: agent_id.to_string(),
            rtc,
            audio: None,
            inbound: VecDeque::new(),
            rtp_samples: 0,
            state: LinkState::Connecting,
            packets_in: 0,
            packets_out: 0,
            pcm: Vec::with_capacity(FRAME_SAMPLES),
            payload: Vec::with_capacity(FRAME_SAMPLES),
        };
        Ok((peer, answer.to_sdp_string()))
    }

    /// Whether this packet belongs to this peer.
    pub fn accepts(&self, input: &Input) -> bool {
        self.rtc.accepts(input)
    }

    /// Feeds a packet or the passing of time, then drains the output into
    /// `send`. Returns when the peer next needs time.
    pub fn handle(&mut self, input: Input, send: &mut impl FnMut(Transmit)) -> Option<Instant> {
        if let Err(err) = self.rtc.handle_input(input) {
            tracing::debug!(agent = %self.agent_id, "media input refused: {err}");
        }
        self.drain(send)
    }

    /// Sends a frame the agent hears (G.711 at the negotiated law).
    pub fn write(
        &mut self,
        frame: &Frame,
        now: Instant,
        send: &mut impl FnMut(Transmit),
    ) -> Option<Instant> {
        if self.state != LinkState::Connected {
            return None;
        }
        let (mid, pt, law) = self.audio?;
        law.encode(frame, &mut self.payload);
        let time = MediaTime::new(self.rtp_samples, Frequency::EIGHT_KHZ);
        self.rtp_samples += FRAME_SAMPLES as u64;
        let writer = self.rtc.writer(mid)?;
        match writer.write(pt, now, time, self.payload.clone()) {
            Ok(()) => self.packets_out += 1,
            Err(err) => tracing::debug!(agent = %self.agent_id, "cannot send audio: {err}"),
        }
        self.drain(send)
    }

    /// The browser's next 20 ms, if one came.
    pub fn take_frame(&mut self) -> Option<Frame> {
        self.inbound.pop_front()
    }

    /// Forgets what the browser sent while nobody listened.
    pub fn discard_inbound(&mut self) {
        self.inbound.clear();
    }

    pub fn is_alive(&self) -> bool {
        self.rtc.is_alive()
    }

    fn drain(&mut self, send: &mut impl FnMut(Transmit)) -> Option<Instant> {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => return Some(at),
                Ok(Output::Transmit(t)) => send(t),
                Ok(Output::Event(event)) => self.on_event(event),
                Err(err) => {
                    tracing::warn!(agent = %self.agent_id, "media peer failed: {err}");
                    self.state = LinkState::Lost;
                    return None;
                }
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                tracing::info!(agent = %self.agent_id, "audio link lost (ICE consent lapsed)");
                self.state = LinkState::Lost;
            }
            Event::Connected => {
                tracing::debug!(agent = %self.agent_id, "audio link up");
                self.state = LinkState::Connected;
            }
            Event::MediaAdded(added) if added.kind == MediaKind::Audio => {
                self.audio = self.rtc.writer(added.mid).and_then(|writer| {
                    writer.payload_params().find_map(|p| {
                        let law = match p.spec().codec {
                            Codec::PCMU => Law::Mu,
                            Codec::PCMA => Law::A,
                            _ => return None,
                        };
                        Some((added.mid, p.pt(), law))
                    })
                });
            }
            Event::MediaData(data) => {
                let law = match data.params.spec().codec {
                    Codec::PCMU => Law::Mu,
                    Codec::PCMA => Law::A,
                    _ => return,
                };
                self.packets_in += 1;
                law.decode(&data.data, &mut self.pcm);
                for chunk in self.pcm.chunks_exact(FRAME_SAMPLES) {
                    let mut frame = [0; FRAME_SAMPLES];
                    frame.copy_from_slice(chunk);
                    if self.inbound.len() == MAX_QUEUED_FRAMES {
                        self.inbound.pop_front();
                    }
                    self.inbound.push_back(frame);
                }
            }
            _ => {}
        }
    }
}

/// Whether an SDP offers PCMU or PCMA (static payload types 0 and 8, or by
/// name).
fn has_g711(sdp: &str) -> bool {
    sdp.lines().any(|line| {
        let line = line.trim();
        line.strip_prefix("a=rtpmap:").is_some_and(|rest| {
            let upper = rest.to_ascii_uppercase();
            upper.contains(" PCMU/8000") || upper.contains(" PCMA/8000")
        }) || (line.starts_with("m=audio")
            && line
                .split_whitespace()
                .skip(3)
                .any(|pt| pt == "0" || pt == "8"))
    })
}

/// How long a peer that never connected is kept.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_is_found_by_name_or_static_payload_type() {
        assert!(has_g711(
            "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=rtpmap:0 PCMU/8000\r\n"
        ));
        assert!(has_g711("m=audio 9 UDP/TLS/RTP/SAVPF 8\r\n"));
        assert!(!has_g711(
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
        ));
    }
}
