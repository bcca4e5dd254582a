//! A scripted SIP party over UDP for the tests: it sends hand-written
//! messages (as a trunk or a carrier would), reads what the edge answers
//! with sipx-sip, and sends and receives G.711 RTP on its own port.

use std::net::SocketAddr;

use bytes::Bytes;
use sipx_rtp::packet::Packet;
use sipx_sip::{HeaderName, Limits, Message, Request, Response, parse_datagram};
use tokio::net::UdpSocket;

use crate::common::PATIENCE;

pub struct SipPhone {
    pub socket: UdpSocket,
    pub server: SocketAddr,
    pub rtp: UdpSocket,
}

/// An SDP offer or answer for G.711 µ-law and telephone-events at `rtp`.
pub fn sdp(rtp: SocketAddr) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n",
        ip = rtp.ip(),
        port = rtp.port()
    )
}

pub fn header(message: &Message, name: HeaderName) -> String {
    message
        .headers()
        .value(&name)
        .map(|v| String::from_utf8_lossy(&v).trim().to_string())
        .unwrap_or_default()
}

/// The port of an SDP body's audio stream.
pub fn audio_port(body: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(body);
    text.lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split(' ').next())
        .and_then(|p| p.parse().ok())
        .expect("an audio stream in the SDP")
}

impl SipPhone {
    pub async fn new(server: SocketAddr) -> Self {
        Self {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            server,
            rtp: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    pub fn rtp_addr(&self) -> SocketAddr {
        self.rtp.local_addr().unwrap()
    }

    pub async fn send(&self, text: &str) {
        self.send_to(text, self.server).await;
    }

    pub async fn send_to(&self, text: &str, to: SocketAddr) {
        self.socket.send_to(text.as_bytes(), to).await.unwrap();
    }

    /// The next message the edge sends, and where from.
    pub async fn receive(&self) -> (Message, SocketAddr) {
        let mut buf = vec![0u8; 65_536];
        let (n, from) = tokio::time::timeout(PATIENCE, self.socket.recv_from(&mut buf))
            .await
            .expect("no SIP message from the edge in time")
            .unwrap();
        let message = parse_datagram(Bytes::copy_from_slice(&buf[..n]), &Limits::datagram())
            .expect("the edge sends well-formed SIP");
        (message, from)
    }

    /// Waits for a response with `status`, skipping provisional ones
    /// before it.
    pub async fn expect_status(&self, status: u16) -> Response {
        loop {
            match self.receive().await.0 {
                Message::Response(r) if r.status.code() == status => return r,
                Message::Response(r) if r.status.is_provisional() => {}
                other => panic!("expected {status}, got {other:?}"),
            }
        }
    }

    /// Waits for a request with `method` (answering nothing before it).
    pub async fn expect_request(&self, method: &str) -> (Request, SocketAddr) {
        loop {
            match self.receive().await {
                (Message::Request(r), from) if r.method.as_bytes() == method.as_bytes() => {
                    return (r, from);
                }
                (Message::Request(r), _)
                    if r.method.as_bytes() == b"ACK" || r.method.as_bytes() == b"BYE" =>
                {
                    panic!(
                        "expected {method}, got {}",
                        String::from_utf8_lossy(r.method.as_bytes())
                    )
                }
                _ => {}
            }
        }
    }

    /// An INVITE from `from` to `to` with our SDP (`extra` headers end in CRLF).
    pub fn invite(&self, call_id: &str, from: &str, to: &str, extra: &str) -> String {
        let body = sdp(self.rtp_addr());
        format!(
            "INVITE sip:{to}@{server} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {me};branch=z9hG4bK-{call_id}-1;rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{from}@carrier.test>;tag=caller-{call_id}\r\n\
             To: <sip:{to}@{server}>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\
             Contact: <sip:{from}@{me}>\r\n{extra}Content-Type: application/sdp\r\n\
             Content-Length: {len}\r\n\r\n{body}",
            server = self.server,
            me = self.addr(),
            len = body.len(),
        )
    }

    /// A request in the dialog of `invite_to` (the INVITE's To with the
    /// edge's tag).
    pub fn in_dialog(
        &self,
        method: &str,
        call_id: &str,
        to: &str,
        cseq: u32,
        branch: &str,
    ) -> String {
        format!(
            "{method} sip:ccp@{server} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {me};branch=z9hG4bK-{branch}\r\nMax-Forwards: 70\r\n\
             From: <sip:+15551230001@carrier.test>;tag=caller-{call_id}\r\nTo: {to}\r\n\
             Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n",
            server = self.server,
            me = self.addr(),
        )
    }

    /// Sends `count` 20 ms µ-law frames of a loud square wave to `to`.
    pub async fn send_audio(&self, to: SocketAddr, count: u16) {
        for i in 0..count {
            let payload: Vec<u8> = (0..160)
                .map(|n| if n % 20 < 10 { 0x80 } else { 0x00 })
                .collect();
            let packet = Packet::new(0, i, u32::from(i) * 160, 0x1234, Bytes::from(payload));
            self.rtp.send_to(&packet.encode(), to).await.unwrap();
        }
    }

    /// The next RTP packet from the edge.
    pub async fn receive_rtp(&self) -> Packet {
        let mut buf = vec![0u8; 2048];
        let (n, _) = tokio::time::timeout(PATIENCE, self.rtp.recv_from(&mut buf))
            .await
            .expect("no RTP from the edge in time")
            .unwrap();
        Packet::decode(&Bytes::copy_from_slice(&buf[..n])).expect("RTP")
    }
}

impl SipPhone {
    /// Answers `request` with `status` ("200 OK"…), our tag on To, and for
    /// a 2xx to an INVITE our SDP.
    pub async fn respond(&self, request: &Request, status: &str) {
        let message = Message::Request(request.clone());
        let mut to = header(&message, HeaderName::To);
        if !to.contains(";tag=") {
            to.push_str(";tag=phone");
        }
        let invite = request.method.as_bytes() == b"INVITE";
        let body = if invite && status.starts_with('2') {
            sdp(self.rtp_addr())
        } else {
            String::new()
        };
        let content_type = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        };
        let text = format!(
            "SIP/2.0 {status}\r\nVia: {via}\r\nFrom: {from}\r\nTo: {to}\r\nCall-ID: {call}\r\n\
             CSeq: {cseq}\r\nContact: <sip:phone@{me}>\r\n{content_type}Content-Length: {len}\r\n\r\n{body}",
            via = header(&message, HeaderName::Via),
            from = header(&message, HeaderName::From),
            call = header(&message, HeaderName::CallId),
            cseq = header(&message, HeaderName::CSeq),
            me = self.addr(),
            len = body.len(),
        );
        self.send(&text).await;
    }

    /// Registers as `extension` with `password`: the challenge, then the
    /// digest answer. Returns the final status.
    pub async fn register(&self, extension: &str, password: &str) -> u16 {
        let attempt: u64 = rand::random();
        let register = |cseq: u32, authorization: &str| {
            format!(
                "REGISTER sip:{server} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-reg-{extension}-{attempt}-{cseq}\r\n\
                 Max-Forwards: 70\r\nFrom: <sip:{extension}@{server}>;tag=reg-{extension}\r\n\
                 To: <sip:{extension}@{server}>\r\nCall-ID: reg-{extension}@{me}\r\nCSeq: {cseq} REGISTER\r\n\
                 Contact: <sip:{extension}@{me}>\r\nExpires: 600\r\n{authorization}Content-Length: 0\r\n\r\n",
                server = self.server,
                me = self.addr(),
            )
        };
        self.send(&register(1, "")).await;
        let challenge = loop {
            match self.receive().await.0 {
                Message::Response(r) if r.status.code() == 401 => break r,
                Message::Response(r) => return r.status.code(),
                _ => {}
            }
        };
        let value = header(&Message::Response(challenge), HeaderName::WwwAuthenticate);
        let challenge =
            sipx_sip::auth::Challenge::parse(value.as_bytes(), false).expect("a digest challenge");
        let uri = format!("sip:{}", self.server);
        let answer = sipx_sip::auth::respond(
            &challenge,
            &sipx_sip::auth::Credentials::new(extension, password),
            "REGISTER",
            &uri,
            1,
            "c0ffee",
        );
        self.send(&register(2, &format!("Authorization: {answer}\r\n")))
            .await;
        loop {
            if let Message::Response(r) = self.receive().await.0 {
                return r.status.code();
            }
        }
    }
}
