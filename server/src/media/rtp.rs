//! A plain RTP leg (RFC 3550, G.711): the audio of a SIP party (a trunk's
//! caller, a desk phone) as an endpoint of the mixer, beside the browsers'
//! WebRTC peers. Each leg has its own UDP port, as its SDP says; a reader
//! task hands the engine what arrives. DTMF rides as RFC 4733
//! telephone-events both ways.

use std::{collections::VecDeque, net::SocketAddr, sync::Arc};

use bytes::Bytes;
use sipx_rtp::{
    dtmf::{self, Digit, TonePacket},
    packet::Packet,
};
use tokio::{
    net::UdpSocket,
    sync::{mpsc, oneshot},
};

use super::{
    AudioStats,
    g711::Law,
    plan::Endpoint,
    sound::{FRAME_SAMPLES, Frame, LevelMeter},
};

/// At most this much audio waits to be mixed (a late burst is cut to it,
/// so the delay stays bounded): 100 ms.
const MAX_BUFFERED_SAMPLES: usize = 5 * FRAME_SAMPLES;
/// Telephone-event packets per key press (20 ms each: 100 ms of tone).
const TONE_PACKETS: usize = 5;
/// Silent frames between two digits the leg sends.
const INTER_DIGIT_FRAMES: usize = 3;

/// What the SIP edge negotiated for one party's audio.
#[derive(Debug)]
pub struct RtpLink {
    /// The leg's own port, announced in its SDP.
    pub socket: Arc<UdpSocket>,
    /// Where the party wants its audio (its SDP's connection and port).
    pub remote: SocketAddr,
    pub law: Law,
    /// The negotiated payload types of the codec and of telephone-events.
    pub payload_type: u8,
    pub dtmf_payload_type: Option<u8>,
    /// The digits the party presses, as they complete.
    pub digits: mpsc::UnboundedSender<char>,
}

/// What a reader task hands the engine: a datagram for a leg.
pub struct Arrival {
    pub endpoint: Endpoint,
    pub from: SocketAddr,
    pub data: Bytes,
}

/// One leg as the engine holds it.
pub struct RtpLeg {
    link: RtpLink,
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    inbound: VecDeque<i16>,
    dtmf_in: dtmf::Receiver,
    /// Telephone-event packets still to send (`None` is a silent gap), and
    /// whether each starts its event.
    dtmf_out: VecDeque<Option<(TonePacket, bool)>>,
    /// The RTP timestamp of the event going out: all its packets carry it.
    event_start: u32,
    meter: LevelMeter,
    sent: u64,
    received: u64,
    /// Where the party's packets come from: the first source heard is the
    /// only one taken (and answered) from then on.
    latched: Option<SocketAddr>,
    /// Dropping it stops the reader task.
    _stop: oneshot::Sender<()>,
}

impl RtpLeg {
    /// Starts reading the link's socket into `arrivals` as `endpoint`.
    pub fn start(endpoint: Endpoint, link: RtpLink, arrivals: mpsc::Sender<Arrival>) -> Self {
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(read(link.socket.clone(), endpoint, arrivals, stopped));
        Self {
            link,
            ssrc: rand::random(),
            sequence: rand::random(),
            timestamp: rand::random(),
            inbound: VecDeque::new(),
            dtmf_in: dtmf::Receiver::new(),
            dtmf_out: VecDeque::new(),
            event_start: 0,
            meter: LevelMeter::default(),
            sent: 0,
            received: 0,
            latched: None,
            _stop: stop,
        }
    }

    /// A datagram from the party: audio to mix, or a key press. Anything
    /// else (RTCP, another codec, garbage) is dropped. The first source of
    /// the party's RTP becomes where it hears (symmetric RTP, for NAT);
    /// packets from any other source are dropped, so nobody else can speak
    /// into the call or take its audio.
    pub fn receive(&mut self, from: SocketAddr, data: &Bytes) {
        let Ok(packet) = Packet::decode(data) else {
            return;
        };
        match self.latched {
            Some(source) if source != from => return,
            Some(_) => {}
            None => {
                self.latched = Some(from);
                self.link.remote = from;
            }
        }
        if packet.payload_type == self.link.payload_type {
            let mut samples = Vec::with_capacity(packet.payload.len());
            self.link.law.decode(&packet.payload, &mut samples);
            self.inbound.extend(samples);
            let excess = self.inbound.len().saturating_sub(MAX_BUFFERED_SAMPLES);
            self.inbound.drain(..excess);
            self.dtmf_in.observe_non_event(packet.sequence);
        } else if Some(packet.payload_type) == self.link.dtmf_payload_type
            && let Some(event) = dtmf::Event::decode(&packet.payload)
        {
            let done = self
                .dtmf_in
                .push(packet.sequence, packet.timestamp, packet.marker, &event);
            for completed in done.into_iter().flatten() {
                let _ = self.link.digits.send(completed.digit.as_char());
            }
        }
    }

    /// The party's next 20 ms, if a whole frame arrived.
    pub fn take_frame(&mut self) -> Option<Frame> {
        if self.inbound.len() < FRAME_SAMPLES {
            return None;
        }
        let mut frame = [0; FRAME_SAMPLES];
        for (slot, sample) in frame.iter_mut().zip(self.inbound.drain(..FRAME_SAMPLES)) {
            *slot = sample;
        }
        self.received += 1;
        Some(frame)
    }

    /// Drops what arrived while nobody listens.
    pub fn discard_inbound(&mut self) {
        self.received += (self.inbound.len() / FRAME_SAMPLES) as u64;
        self.inbound.clear();
    }

    /// Queues `digits` as telephone-events; unknown characters are skipped
    /// (the switch checked them). Without a negotiated telephone-event
    /// payload type there is nothing to send them with.
    pub fn send_digits(&mut self, digits: &str) {
        if self.link.dtmf_payload_type.is_none() {
            tracing::info!("the SIP party negotiated no telephone-event: digits not sent");
            return;
        }
        for digit in digits.chars().filter_map(Digit::from_char) {
            let packets = dtmf::tone(digit, TONE_PACKETS, FRAME_SAMPLES as u16);
            for (i, packet) in packets.into_iter().enumerate() {
                self.dtmf_out.push_back(Some((packet, i == 0)));
            }
            for _ in 0..INTER_DIGIT_FRAMES {
                self.dtmf_out.push_back(None);
            }
        }
    }

    /// Sends the party its next 20 ms: a telephone-event packet while a key
    /// press is going out, else `frame` (silence when there is none, which
    /// keeps the party's clock and NAT binding going).
    pub fn write(&mut self, frame: Option<&Frame>) {
        let packet = match self.dtmf_out.pop_front() {
            Some(Some((tone, first))) => {
                if first {
                    self.event_start = self.timestamp;
                }
                let mut packet = Packet::new(
                    self.link.dtmf_payload_type.unwrap_or_default(),
                    self.sequence,
                    self.event_start.wrapping_add(tone.segment_offset),
                    self.ssrc,
                    tone.event.encode(),
                );
                packet.marker = first;
                packet
            }
            _ => {
                let mut payload = Vec::with_capacity(FRAME_SAMPLES);
                self.link
                    .law
                    .encode(frame.unwrap_or(&[0; FRAME_SAMPLES]), &mut payload);
                Packet::new(
                    self.link.payload_type,
                    self.sequence,
                    self.timestamp,
                    self.ssrc,
                    Bytes::from(payload),
                )
            }
        };
        self.meter.push(frame);
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(FRAME_SAMPLES as u32);
        self.sent += 1;
        if let Err(err) = self
            .link
            .socket
            .try_send_to(&packet.encode(), self.link.remote)
        {
            tracing::debug!("RTP to {} dropped: {err}", self.link.remote);
        }
    }

    /// What the leg sent and received (and how loud what it sent was).
    pub fn stats(&self) -> AudioStats {
        AudioStats {
            sent: self.sent,
            received: self.received,
            level: self.meter.dbfs(),
        }
    }
}

/// Reads the leg's socket until the leg is dropped. Errors (an ICMP port
/// unreachable reported on the socket, say) are logged and reading goes on.
async fn read(
    socket: Arc<UdpSocket>,
    endpoint: Endpoint,
    arrivals: mpsc::Sender<Arrival>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut buf = vec![0u8; 2048];
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    let arrival = Arrival {
                        endpoint: endpoint.clone(),
                        from,
                        data: Bytes::copy_from_slice(&buf[..n]),
                    };
                    if arrivals.try_send(arrival).is_err() {
                        tracing::debug!("media engine busy: an RTP packet dropped");
                    }
                }
                Err(err) => tracing::debug!("RTP socket: {err}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn leg() -> (RtpLeg, mpsc::UnboundedReceiver<char>) {
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let (digits, pressed) = mpsc::unbounded_channel();
        let (arrivals, _) = mpsc::channel(8);
        let link = RtpLink {
            socket,
            remote: "127.0.0.1:9".parse().unwrap(),
            law: Law::Mu,
            payload_type: 0,
            dtmf_payload_type: Some(101),
            digits,
        };
        let endpoint = Endpoint::FarEnd {
            call_id: "C1".into(),
            dn: "+1555".into(),
        };
        (RtpLeg::start(endpoint, link, arrivals), pressed)
    }

    fn audio(sequence: u16) -> Bytes {
        Packet::new(
            0,
            sequence,
            u32::from(sequence) * 160,
            7,
            Bytes::from(vec![0x80; 160]),
        )
        .encode()
    }

    #[tokio::test]
    async fn the_first_source_is_the_party_and_nobody_else_is_heard() {
        let (mut leg, _) = leg().await;
        let party: SocketAddr = "192.0.2.1:4000".parse().unwrap();
        let intruder: SocketAddr = "192.0.2.66:4000".parse().unwrap();
        leg.receive(party, &audio(1));
        leg.receive(intruder, &audio(2));
        assert!(leg.take_frame().is_some());
        assert!(
            leg.take_frame().is_none(),
            "the intruder's frame was dropped"
        );
        assert_eq!(leg.link.remote, party, "the party hears the switch");
    }

    #[tokio::test]
    async fn a_key_press_is_reported_once_and_late_audio_is_bounded() {
        let (mut leg, mut pressed) = leg().await;
        let party: SocketAddr = "192.0.2.1:4000".parse().unwrap();
        for (i, tone) in dtmf::tone(Digit::from_char('7').unwrap(), 3, 160)
            .into_iter()
            .enumerate()
        {
            let mut packet = Packet::new(101, 10 + i as u16, 5_000, 7, tone.event.encode());
            packet.marker = i == 0;
            leg.receive(party, &packet.encode());
        }
        assert_eq!(pressed.try_recv(), Ok('7'));
        assert!(pressed.try_recv().is_err(), "the end packets are one press");
        for n in 0..20 {
            leg.receive(party, &audio(100 + n));
        }
        let mut frames = 0;
        while leg.take_frame().is_some() {
            frames += 1;
        }
        assert_eq!(
            frames,
            MAX_BUFFERED_SAMPLES / FRAME_SAMPLES,
            "a burst is cut to 100 ms"
        );
    }

    #[tokio::test]
    async fn digits_go_out_as_telephone_events_in_place_of_audio() {
        let (mut leg, _) = leg().await;
        let listener = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        leg.link.remote = listener.local_addr().unwrap();
        // A new socket is writable once the runtime has seen it.
        leg.link.socket.writable().await.unwrap();
        leg.send_digits("4");
        let mut buf = [0u8; 512];
        let mut events = vec![];
        for _ in 0..(TONE_PACKETS + 3 + INTER_DIGIT_FRAMES + 1) {
            leg.write(None);
            let (n, _) = listener.recv_from(&mut buf).await.unwrap();
            let packet = Packet::decode(&Bytes::copy_from_slice(&buf[..n])).unwrap();
            events.push((packet.payload_type, packet.marker, packet.timestamp));
        }
        let tones: Vec<_> = events.iter().filter(|(pt, ..)| *pt == 101).collect();
        assert_eq!(tones.len(), TONE_PACKETS + 3, "5 packets and 3 end packets");
        assert!(tones[0].1, "the first is marked");
        assert!(
            tones.iter().all(|t| t.2 == tones[0].2),
            "one event, one timestamp"
        );
        assert_eq!(events.last().unwrap().0, 0, "then audio again");
    }
}
