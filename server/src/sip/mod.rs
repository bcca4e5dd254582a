//! The SIP edge (`--sip-addr`): the reference switch as a small PBX.
//! Trunk calls in (an INVITE to a queue or an extension), calls out
//! through `--sip-trunk`, G.711 audio bridged to the agents' browsers and
//! RFC 4733 DTMF. The switch stays pure: dialogs are translated to switch
//! calls here, as the relay does for WebSocket sessions.

mod caller;
pub mod data;
mod dialog;
mod edge;
mod inbound;
mod outbound;
mod phones;
pub mod registrar;
pub mod sdp;
pub mod status;
pub mod transport;

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use tokio::sync::mpsc;

use crate::{media::Media, relay::Hub};

/// How the edge listens and where it sends calls out.
#[derive(Debug, Clone)]
pub struct SipConfig {
    /// UDP and TCP (`--sip-addr`).
    pub addr: SocketAddr,
    pub trunk: Option<Trunk>,
    /// Where RTP ports are opened and announced (the media plane's address).
    pub media_ip: IpAddr,
    /// RFC 3261's T1 (500 ms): the retransmission and timeout timers
    /// follow from it (timer B, F = 64·T1).
    pub t1: Duration,
    /// The desk phones that may REGISTER.
    pub phones: Vec<crate::switch::config::SipPhoneConfig>,
}

/// The trunk calls out go through (`--sip-trunk sip:HOST:PORT`).
#[derive(Debug, Clone)]
pub struct Trunk {
    /// `host:port` as in the trunk's URI (the Request-URI's host part).
    pub host: String,
    pub addr: SocketAddr,
    /// Digest credentials, if the trunk challenges.
    pub credentials: Option<(String, String)>,
}

impl Trunk {
    /// Reads `sip:HOST:PORT` (the port defaults to 5060) and resolves it.
    pub fn parse(uri: &str, credentials: Option<(String, String)>) -> Result<Self, String> {
        let host = uri
            .strip_prefix("sip:")
            .ok_or_else(|| format!("--sip-trunk {uri}: expected sip:HOST:PORT"))?;
        let host = host.split(';').next().unwrap_or(host);
        if host.is_empty() || host.contains('@') {
            return Err(format!("--sip-trunk {uri}: expected sip:HOST:PORT"));
        }
        let with_port = if host
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            host.to_string()
        } else {
            format!("{host}:5060")
        };
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&with_port)
            .map_err(|e| format!("--sip-trunk {uri}: {e}"))?
            .next()
            .ok_or_else(|| format!("--sip-trunk {uri}: no address"))?;
        Ok(Self {
            host: with_port,
            addr,
            credentials,
        })
    }
}

/// Binds the edge and starts it; the switch's network signals go to it
/// from now on. Returns where it listens.
pub async fn start(config: SipConfig, hub: Hub, media: Media) -> std::io::Result<SocketAddr> {
    let (inbound, received) = mpsc::channel(1024);
    let transport = transport::Transport::bind(config.addr, inbound).await?;
    let local = transport.local_addr();
    let (signals, signalled) = mpsc::unbounded_channel();
    hub.attach_network(signals, local);
    let edge = edge::Edge::new(&config, hub, media, transport);
    tracing::info!(
        "SIP edge on udp and tcp {local}{}",
        config
            .trunk
            .as_ref()
            .map(|t| format!("; calls out through sip:{}", t.host))
            .unwrap_or_default()
    );
    tokio::spawn(edge.run(received, signalled));
    Ok(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trunk_uri_gives_its_address() {
        let trunk = Trunk::parse("sip:127.0.0.1:5070", None).unwrap();
        assert_eq!(trunk.addr, "127.0.0.1:5070".parse().unwrap());
        assert_eq!(
            Trunk::parse("sip:127.0.0.1", None).unwrap().addr.port(),
            5060
        );
        assert!(Trunk::parse("127.0.0.1:5060", None).is_err());
        assert!(Trunk::parse("sip:alice@127.0.0.1", None).is_err());
    }
}
