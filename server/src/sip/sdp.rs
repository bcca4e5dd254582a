//! A SIP party's audio, negotiated: G.711 (PCMU or PCMA, as the party
//! prefers) and RFC 4733 telephone-events, on a UDP port of the call's own
//! (sipx-sdp does the offer/answer rules of RFC 3264).

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use sipx_sdp::{Capabilities, MediaDescription, SessionDescription};
use tokio::{net::UdpSocket, sync::mpsc};

use crate::media::{g711::Law, rtp::RtpLink};

/// Why a party's SDP cannot be used (the call is refused with 488).
#[derive(Debug, thiserror::Error)]
pub enum SdpError {
    #[error("the SDP cannot be read: {0}")]
    Unreadable(String),
    #[error("the SDP has no audio stream")]
    NoAudio,
    #[error("the SDP offers neither PCMU nor PCMA")]
    NoCommonCodec,
}

/// A call's RTP port, bound before its SDP is written.
pub struct LocalAudio {
    pub socket: Arc<UdpSocket>,
    pub addr: SocketAddr,
}

impl LocalAudio {
    /// Binds a fresh port on `ip` (inside the runtime, without waiting).
    pub fn bind(ip: IpAddr) -> std::io::Result<Self> {
        let socket = std::net::UdpSocket::bind(SocketAddr::new(ip, 0))?;
        socket.set_nonblocking(true)?;
        let socket = UdpSocket::from_std(socket)?;
        let addr = socket.local_addr()?;
        Ok(Self {
            socket: Arc::new(socket),
            addr,
        })
    }

    fn capabilities(&self, session: u64) -> Capabilities {
        let mut caps = Capabilities::g711(self.addr.ip(), self.addr.port());
        caps.session_id = session;
        caps.session_version = session;
        caps
    }

    /// Our offer (for a call through the trunk).
    pub fn offer(&self, session: u64) -> String {
        let caps = self.capabilities(session);
        let mut sdp = SessionDescription::new(caps.address, session, session);
        let mut audio = MediaDescription::audio(caps.audio_port, caps.audio_formats.clone());
        for (pt, map) in &caps.rtpmaps {
            audio
                .attributes
                .push(sipx_sdp::Attribute::valued("rtpmap", format!("{pt} {map}")));
        }
        audio
            .attributes
            .push(sipx_sdp::Attribute::valued("fmtp", "101 0-16"));
        audio.attributes.push(sipx_sdp::Attribute::flag("sendrecv"));
        sdp.media.push(audio);
        sdp.to_string_sdp()
    }

    /// Our answer to `offer`, and the link it agrees on.
    pub fn answer(
        self,
        offer: &str,
        session: u64,
        digits: mpsc::UnboundedSender<char>,
    ) -> Result<(String, RtpLink), SdpError> {
        let offer = parse(offer)?;
        let answer = sipx_sdp::answer(&offer, &self.capabilities(session));
        let link = self.link(&offer, &answer, digits)?;
        Ok((answer.to_string_sdp(), link))
    }

    /// The link agreed by our offer and the party's `answer`.
    pub fn accept(
        self,
        answer: &str,
        digits: mpsc::UnboundedSender<char>,
    ) -> Result<RtpLink, SdpError> {
        let answer = parse(answer)?;
        self.link(&answer, &answer, digits)
    }

    /// The link from the party's description (`theirs`: where it listens)
    /// and the agreed one (`agreed`: the codec order that counts).
    fn link(
        self,
        theirs: &SessionDescription,
        agreed: &SessionDescription,
        digits: mpsc::UnboundedSender<char>,
    ) -> Result<RtpLink, SdpError> {
        let (their_audio, agreed_audio) = theirs
            .media
            .iter()
            .zip(&agreed.media)
            .find(|(m, a)| m.media == "audio" && !m.is_rejected() && !a.is_rejected())
            .ok_or(SdpError::NoAudio)?;
        let ip = theirs.address_for(their_audio).ok_or(SdpError::NoAudio)?;
        let (payload_type, law) = agreed_audio
            .formats
            .iter()
            .find_map(|f| codec(agreed_audio, f))
            .ok_or(SdpError::NoCommonCodec)?;
        let dtmf_payload_type = agreed_audio.formats.iter().find_map(|f| {
            agreed_audio
                .rtpmap(f)
                .filter(|m| m.to_ascii_lowercase().starts_with("telephone-event/8000"))
                .and_then(|_| f.parse().ok())
        });
        Ok(RtpLink {
            socket: self.socket,
            remote: SocketAddr::new(ip, their_audio.port),
            law,
            payload_type,
            dtmf_payload_type,
            digits,
        })
    }
}

fn parse(text: &str) -> Result<SessionDescription, SdpError> {
    sipx_sdp::parse(text).map_err(|e| SdpError::Unreadable(e.to_string()))
}

/// A G.711 format of the stream: by its static number or its rtpmap.
fn codec(media: &MediaDescription, format: &str) -> Option<(u8, Law)> {
    let pt: u8 = format.parse().ok()?;
    let name = media
        .rtpmap(format)
        .map(|m| m.to_ascii_uppercase())
        .unwrap_or_else(|| match pt {
            0 => "PCMU/8000".into(),
            8 => "PCMA/8000".into(),
            _ => String::new(),
        });
    if name.starts_with("PCMU/8000") {
        Some((pt, Law::Mu))
    } else if name.starts_with("PCMA/8000") {
        Some((pt, Law::A))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
        m=audio 6000 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";

    #[tokio::test]
    async fn an_offer_is_answered_with_its_preferred_g711_and_telephone_events() {
        let local = LocalAudio::bind([127, 0, 0, 1].into()).unwrap();
        let port = local.addr.port();
        let (digits, _) = mpsc::unbounded_channel();
        let (answer, link) = local.answer(OFFER, 7, digits).unwrap();
        assert!(
            answer.contains(&format!("m=audio {port} RTP/AVP 8")),
            "{answer}"
        );
        assert_eq!(link.remote, "192.0.2.7:6000".parse().unwrap());
        assert_eq!((link.payload_type, link.law), (8, Law::A));
        assert_eq!(link.dtmf_payload_type, Some(101));
    }

    #[tokio::test]
    async fn an_offer_without_g711_is_refused() {
        let local = LocalAudio::bind([127, 0, 0, 1].into()).unwrap();
        let (digits, _) = mpsc::unbounded_channel();
        let g722 = "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n\
            m=audio 6000 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n";
        assert!(local.answer(g722, 1, digits).is_err());
    }

    #[tokio::test]
    async fn our_offer_reads_back_as_g711_with_dtmf() {
        let local = LocalAudio::bind([127, 0, 0, 1].into()).unwrap();
        let offer = local.offer(3);
        let parsed = sipx_sdp::parse(&offer).unwrap();
        assert_eq!(parsed.media[0].formats, ["0", "8", "101"]);
        let (digits, _) = mpsc::unbounded_channel();
        let link = local.accept(&offer, digits).unwrap();
        assert_eq!((link.payload_type, link.dtmf_payload_type), (0, Some(101)));
    }
}
