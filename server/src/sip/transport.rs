//! SIP over UDP and TCP on one address (RFC 3261 §18). Datagrams and
//! stream frames are parsed here, with sipx-sip's size limits; what parses
//! goes to the edge with the peer it came from, and what the edge sends
//! goes back the way its peer came.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use bytes::Bytes;
use sipx_sip::{Limits, Message, Reliability, StreamParser, parse_datagram};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream, UdpSocket},
    sync::mpsc,
};

/// Where a message came from, and so where its answers go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    pub addr: SocketAddr,
    /// The TCP connection it came on; `None` for UDP.
    pub connection: Option<u64>,
}

impl Peer {
    pub fn udp(addr: SocketAddr) -> Self {
        Self {
            addr,
            connection: None,
        }
    }

    pub fn reliability(self) -> Reliability {
        if self.connection.is_some() {
            Reliability::Reliable
        } else {
            Reliability::Unreliable
        }
    }

    /// The transport token of a Via or a Contact's `transport` parameter.
    pub fn transport(self) -> &'static str {
        if self.connection.is_some() {
            "TCP"
        } else {
            "UDP"
        }
    }
}

/// A message that parsed, from `peer`.
pub struct Inbound {
    pub message: Message,
    pub peer: Peer,
}

/// The edge's side of the transports (cheap to clone).
#[derive(Clone)]
pub struct Transport {
    udp: Arc<UdpSocket>,
    connections: Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Bytes>>>>,
    local: SocketAddr,
}

impl Transport {
    /// Binds UDP and TCP on `addr` (the same port for both: with port 0,
    /// UDP picks it and TCP follows) and starts reading into `inbound`.
    pub async fn bind(addr: SocketAddr, inbound: mpsc::Sender<Inbound>) -> std::io::Result<Self> {
        let (udp, tcp) = bind_both(addr).await?;
        let udp = Arc::new(udp);
        let local = udp.local_addr()?;
        let transport = Self {
            udp: udp.clone(),
            connections: Arc::default(),
            local,
        };
        tokio::spawn(read_udp(udp, inbound.clone()));
        tokio::spawn(accept_tcp(tcp, transport.connections.clone(), inbound));
        Ok(transport)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Sends `message` to `peer`: on its TCP connection if it came on one,
    /// else as a datagram. A peer gone away is logged; the transactions
    /// time out as they would on a lossy network.
    pub fn send(&self, peer: Peer, message: &Message) {
        let bytes = message.to_bytes();
        match peer.connection {
            None => {
                if let Err(err) = self.udp.try_send_to(&bytes, peer.addr) {
                    tracing::debug!("SIP datagram to {} not sent: {err}", peer.addr);
                }
            }
            Some(id) => {
                let connections = self.connections.lock().unwrap_or_else(|p| p.into_inner());
                match connections.get(&id) {
                    Some(writer) if writer.send(bytes).is_ok() => {}
                    _ => tracing::debug!("SIP over TCP to {}: connection closed", peer.addr),
                }
            }
        }
    }
}

/// UDP and TCP on one port. With port 0 the port UDP got may be taken for
/// TCP (by a connection's ephemeral port): another is tried, a few times.
async fn bind_both(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    const ATTEMPTS: usize = 16;
    let mut attempt = 1;
    loop {
        let udp = UdpSocket::bind(addr).await?;
        match TcpListener::bind(udp.local_addr()?).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(err)
                if addr.port() == 0
                    && err.kind() == std::io::ErrorKind::AddrInUse
                    && attempt < ATTEMPTS =>
            {
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

async fn read_udp(socket: Arc<UdpSocket>, inbound: mpsc::Sender<Inbound>) {
    let limits = Limits::datagram();
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(err) => {
                // An ICMP error from an earlier send: nothing to read, go on.
                tracing::debug!("SIP UDP socket: {err}");
                continue;
            }
        };
        let data = &buf[..n];
        // RFC 5626 keep-alives (CRLF) and stray bytes are not messages.
        if data.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_datagram(Bytes::copy_from_slice(data), &limits) {
            Ok(message) => {
                let peer = Peer::udp(from);
                if inbound.send(Inbound { message, peer }).await.is_err() {
                    return;
                }
            }
            Err(err) => tracing::info!("malformed SIP datagram from {from} dropped: {err}"),
        }
    }
}

async fn accept_tcp(
    listener: TcpListener,
    connections: Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Bytes>>>>,
    inbound: mpsc::Sender<Inbound>,
) {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    loop {
        let (stream, from) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::debug!("SIP TCP accept: {err}");
                continue;
            }
        };
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let (writer, outbox) = mpsc::unbounded_channel();
        connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, writer);
        let peer = Peer {
            addr: from,
            connection: Some(id),
        };
        let connections = connections.clone();
        let inbound = inbound.clone();
        tokio::spawn(async move {
            serve_tcp(stream, peer, outbox, inbound).await;
            connections
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
        });
    }
}

/// Reads framed messages from one connection and writes what is sent to
/// it. A framing error (an oversized or garbled message) closes it: a
/// stream cannot find the next message after one it cannot frame.
async fn serve_tcp(
    stream: TcpStream,
    peer: Peer,
    mut outbox: mpsc::UnboundedReceiver<Bytes>,
    inbound: mpsc::Sender<Inbound>,
) {
    let (mut reader, mut writer) = stream.into_split();
    let mut parser = StreamParser::new(Limits::stream());
    let mut buf = vec![0u8; 16_384];
    loop {
        tokio::select! {
            read = reader.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                match parser.push(&buf[..n]) {
                    Ok(messages) => {
                        for message in messages {
                            if inbound.send(Inbound { message, peer }).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(err) => {
                        tracing::info!("malformed SIP over TCP from {}: {err}; closing", peer.addr);
                        return;
                    }
                }
            }
            out = outbox.recv() => match out {
                Some(bytes) => {
                    if writer.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                None => return,
            },
        }
    }
}
