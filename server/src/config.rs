//! Command line and environment configuration.

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use app::wire::native::IceServer;
use clap::{Args, Parser, Subcommand};

use crate::{
    media::MediaConfig,
    relay::{RelayConfig, ReplayLimits},
    security::{
        api_key::{ApiAccess, ApiKeyError},
        tokens::TokenPolicy,
    },
    sip::{SipConfig, Trunk},
    switch::SwitchConfig,
};

/// Every flag can also come from the environment variable shown in `--help`,
/// so containers and CI can configure the server without a wrapper script.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "server",
    version,
    about = "OpenCTI Call Control Panel server: panel, reference CTI adapter, event relay and call simulator"
)]
pub struct Cli {
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options of the server itself.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port and logs it).
    #[arg(long, env = "CCP_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Origin allowed to embed the panel, post messages to it and open its
    /// WebSocket (repeatable; in the environment, separate with commas).
    #[arg(
        long = "allowed-origin",
        env = "CCP_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// PEM certificate chain: serve HTTPS (browsers allow the microphone
    /// only in a secure context) and send HSTS. Needs --tls-key.
    #[arg(long, env = "CCP_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, env = "CCP_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Directory holding the built site (`pkg/` with the wasm, JS and CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// TOML file with agents, extensions, queues and reason codes, replacing
    /// the demo configuration (see the README for the format).
    #[arg(long, env = "CCP_CONFIG")]
    pub config: Option<PathBuf>,

    /// TOML file naming a Pega Call OpenCTI adapter the panel starts with,
    /// its scripts and its CTI link (docs/integrating.md).
    #[arg(long, env = "CCP_PEGA_CONFIG")]
    pub pega_config: Option<PathBuf>,

    /// Length of after-call work in seconds (0: none); overrides the file.
    #[arg(long, env = "CCP_WRAP_UP_SECONDS")]
    pub wrap_up_seconds: Option<u64>,

    /// A queue call that rings an agent this many seconds is offered to the
    /// next agent, and the agent goes Not ready (`Missed`); 0: no limit.
    /// Overrides the file (default 20).
    #[arg(long, env = "CCP_RING_TIMEOUT_SECONDS")]
    pub ring_timeout_seconds: Option<u64>,

    /// A session with no panel connected for this many seconds ends: the
    /// agent is logged out.
    #[arg(long, env = "CCP_SESSION_GRACE_SECONDS", default_value_t = 60)]
    pub session_grace_seconds: u64,

    /// A queue call answered within this many seconds counts toward the
    /// queue's service level (supervisor view, `/metrics`).
    #[arg(long, env = "CCP_SERVICE_LEVEL_SECONDS", default_value_t = 20)]
    pub service_level_seconds: u64,

    /// Where call records and sessions are kept: an SQLite file path or
    /// `sqlite://…` URL (created on first run), or a `postgres://…` URL.
    #[arg(long, env = "CCP_DATABASE", default_value = "ccp.sqlite")]
    pub database: String,

    /// The simulated far end answers outbound calls after this many
    /// milliseconds (default: only when told through the simulator API).
    #[arg(long, env = "CCP_AUTO_ANSWER_MS")]
    pub auto_answer_ms: Option<u64>,

    /// How often the server pings each panel socket, in milliseconds.
    #[arg(long, env = "CCP_HEARTBEAT_INTERVAL_MS", default_value_t = 4000)]
    pub heartbeat_interval_ms: u64,

    /// A panel socket silent for this many milliseconds is closed as dead.
    #[arg(long, env = "CCP_HEARTBEAT_TIMEOUT_MS", default_value_t = 10000)]
    pub heartbeat_timeout_ms: u64,

    /// A session token with no panel attached expires after this many
    /// seconds unused (a closed tab's token).
    #[arg(long, env = "CCP_TOKEN_IDLE_SECONDS", default_value_t = 900)]
    pub token_idle_seconds: u64,

    /// No session token resumes later than this many seconds after its
    /// login (a panel attached then keeps working until it disconnects).
    #[arg(long, env = "CCP_TOKEN_LIFETIME_SECONDS", default_value_t = 43_200)]
    pub token_lifetime_seconds: u64,

    /// Serve the simulator API on a listen address that is not loopback
    /// (it is on by default only on loopback); needs an API key.
    #[arg(long, env = "CCP_SIMULATOR")]
    pub simulator: bool,

    /// File whose first line is the API key that the simulator and history
    /// APIs, and relay clients that are not browsers, must send as
    /// `Authorization: Bearer <key>`. The key may instead be in the
    /// environment variable `CCP_API_KEY`.
    #[arg(long, env = "CCP_API_KEY_FILE")]
    pub api_key_file: Option<PathBuf>,

    /// Events kept per agent for replay after a reconnect.
    #[arg(long, env = "CCP_REPLAY_CAPACITY", default_value_t = 1024)]
    pub replay_capacity: usize,

    /// Bytes of events kept per agent for replay after a reconnect (the
    /// newest event is kept whatever its size).
    #[arg(long, env = "CCP_REPLAY_AGENT_BYTES", default_value_t = 256 * 1024)]
    pub replay_agent_bytes: usize,

    /// Bytes of events kept for replay over every agent: past it the
    /// server's oldest events go first, and a panel resuming past them gets
    /// a fresh snapshot.
    #[arg(long, env = "CCP_REPLAY_TOTAL_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub replay_total_bytes: usize,

    /// The media plane's UDP address (the softphones' audio). Default: an
    /// ephemeral port on the listen address's IP.
    #[arg(long, env = "CCP_MEDIA_ADDR")]
    pub media_addr: Option<SocketAddr>,

    /// The IP browsers reach the media socket at, when it is not the
    /// socket's own (behind NAT, or listening on 0.0.0.0).
    #[arg(long, env = "CCP_MEDIA_PUBLIC_IP")]
    pub media_public_ip: Option<std::net::IpAddr>,

    /// At most this many softphones' peer connections at once; more offers
    /// get an error.
    #[arg(long, env = "CCP_MEDIA_MAX_PEERS", default_value_t = 1000)]
    pub media_max_peers: usize,

    /// A STUN or TURN server the softphones use (`stun:HOST:PORT`,
    /// `turn:HOST:PORT?transport=udp`); repeat for more. Not needed on one
    /// machine or a LAN.
    #[arg(long = "ice-server", env = "CCP_ICE_SERVERS", value_delimiter = ',')]
    pub ice_servers: Vec<String>,

    /// The user name for the TURN servers of `--ice-server`.
    #[arg(long, env = "CCP_ICE_USERNAME")]
    pub ice_username: Option<String>,

    /// The credential for the TURN servers of `--ice-server`.
    #[arg(long, env = "CCP_ICE_CREDENTIAL")]
    pub ice_credential: Option<String>,

    /// Streams every answered call's audio to this AI endpoint
    /// (`ws://HOST:PORT/PATH`), in the Twilio Media Streams format; the
    /// endpoint may answer with conversation events. Off unless given.
    #[arg(long, env = "CCP_MEDIA_FORK_URL")]
    pub media_fork_url: Option<String>,

    /// Records every answered call with a customer on it, direct calls
    /// too; without it only queues with `record = true` are recorded.
    #[arg(long, env = "CCP_RECORD_ALL")]
    pub record_all: bool,

    /// Where recordings are written, one WAV file per call (default:
    /// `recordings/` beside the SQLite file, or in the working directory).
    #[arg(long, env = "CCP_RECORDINGS_DIR")]
    pub recordings_dir: Option<std::path::PathBuf>,

    /// Deletes recordings older than this many days, at start and then
    /// once a day (each sweep is in the supervisors' audit log). Kept
    /// forever unless given.
    #[arg(long, env = "CCP_RECORDING_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub recording_retention_days: Option<u32>,

    /// The SIP edge's address, UDP and TCP (`HOST:PORT`): trunk calls in,
    /// calls out, bridged to the agents' audio. Off unless given.
    #[arg(long, env = "CCP_SIP_ADDR")]
    pub sip_addr: Option<SocketAddr>,

    /// Calls to numbers that are neither extensions nor queues go out
    /// through this trunk (`sip:HOST:PORT`). Needs `--sip-addr`.
    #[arg(long, env = "CCP_SIP_TRUNK")]
    pub sip_trunk: Option<String>,

    /// The user name for the trunk's digest challenge.
    #[arg(long, env = "CCP_SIP_TRUNK_USERNAME", requires = "sip_trunk_password")]
    pub sip_trunk_username: Option<String>,

    /// The password for the trunk's digest challenge (better in the
    /// environment than on the command line).
    #[arg(long, env = "CCP_SIP_TRUNK_PASSWORD", hide_env_values = true)]
    pub sip_trunk_password: Option<String>,

    /// RFC 3261's T1 in milliseconds (tests shorten it; timers B and F are
    /// 64·T1).
    #[arg(long, default_value_t = 500, hide = true)]
    pub sip_t1_ms: u64,
}

/// Subcommands: without one, the server serves.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Drive a running server's call simulator (the far end of calls).
    Sim(crate::sim_cli::SimArgs),
    /// Read a password on standard input and print its Argon2id hash, for
    /// an agent's `password` in the configuration file.
    HashPassword,
    /// Read a desk phone's SIP password on standard input and print the
    /// digest HA1 (`MD5(extension:ccp:password)`) for its `ha1`.
    SipHa1 {
        /// The phone's extension (its SIP user name).
        extension: String,
    },
}

impl ServeArgs {
    /// The switch configuration: the file if given, else the demo, with
    /// command-line overrides.
    pub fn switch_config(&self) -> Result<SwitchConfig, String> {
        let mut config = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => SwitchConfig::demo(),
        };
        if let Some(seconds) = self.wrap_up_seconds {
            config.wrap_up_seconds = seconds;
        }
        if self.auto_answer_ms.is_some() {
            config.auto_answer_ms = self.auto_answer_ms;
        }
        if let Some(seconds) = self.ring_timeout_seconds {
            config.ring_timeout_seconds = seconds;
        }
        config.trunk = self.sip_trunk.is_some();
        config.record_all = self.record_all;
        if self.sip_addr.is_none() && !config.sip_phones.is_empty() {
            if self.config.is_some() {
                tracing::warn!(
                    "SIP phones are configured but the SIP edge is off (--sip-addr): \
                     their extensions work as softphones"
                );
            }
            config.sip_phones.clear();
        }
        config.validate()?;
        Ok(config)
    }

    /// The API key (file, else `CCP_API_KEY`) for a server on `listen`.
    pub fn api_access(&self, listen: SocketAddr) -> Result<ApiAccess, ApiKeyError> {
        ApiAccess::load(self.api_key_file.as_deref(), listen)
    }

    /// Whether to serve the simulator: on loopback always; elsewhere only
    /// when asked for with `--simulator` and protected by a key. Says why
    /// when it is off.
    pub fn simulator_enabled(&self, listen: SocketAddr, access: &ApiAccess) -> Result<(), String> {
        if listen.ip().is_loopback() {
            return Ok(());
        }
        match (self.simulator, access.has_key()) {
            (true, true) => Ok(()),
            (false, _) => Err(format!(
                "the simulator API is off: {listen} is not a loopback address; \
                 start with --simulator --api-key-file FILE to serve it there"
            )),
            (true, false) => Err(format!(
                "the simulator API is off: on {listen} (not loopback) it needs an API key; \
                 add --api-key-file FILE (or set CCP_API_KEY) to --simulator"
            )),
        }
    }

    /// Where recordings go: `--recordings-dir`, else `recordings/` beside
    /// the SQLite file, else (in memory, PostgreSQL) in the working
    /// directory.
    pub fn recordings_dir(&self) -> std::path::PathBuf {
        if let Some(dir) = &self.recordings_dir {
            return dir.clone();
        }
        let file = self
            .database
            .strip_prefix("sqlite://")
            .or_else(|| self.database.strip_prefix("sqlite:"))
            .unwrap_or(&self.database);
        let beside = !self.database.contains("://") || self.database.starts_with("sqlite://");
        match std::path::Path::new(file).parent() {
            Some(parent) if beside && !file.starts_with(':') => parent.join("recordings"),
            _ => "recordings".into(),
        }
    }

    /// The media plane's socket and addresses, for a server listening on
    /// `listen`.
    pub fn media_config(&self, listen: SocketAddr) -> MediaConfig {
        MediaConfig {
            addr: self
                .media_addr
                .unwrap_or_else(|| SocketAddr::new(listen.ip(), 0)),
            public_ip: self.media_public_ip,
            max_peers: self.media_max_peers,
        }
    }

    /// The SIP edge's configuration, if `--sip-addr` turns it on; the media
    /// plane's announced IP is where its RTP ports are.
    pub fn sip_config(
        &self,
        media_ip: IpAddr,
        phones: Vec<crate::switch::config::SipPhoneConfig>,
    ) -> Result<Option<SipConfig>, String> {
        let Some(addr) = self.sip_addr else {
            return match self.sip_trunk {
                Some(_) => Err("--sip-trunk needs --sip-addr (the SIP edge's address)".into()),
                None => Ok(None),
            };
        };
        let credentials = self
            .sip_trunk_username
            .clone()
            .zip(self.sip_trunk_password.clone());
        let trunk = self
            .sip_trunk
            .as_deref()
            .map(|uri| Trunk::parse(uri, credentials))
            .transpose()?;
        Ok(Some(SipConfig {
            addr,
            trunk,
            media_ip,
            t1: Duration::from_millis(self.sip_t1_ms.max(1)),
            phones,
        }))
    }

    /// The STUN/TURN servers of `--ice-server`, as browsers take them.
    fn ice_servers(&self) -> Vec<IceServer> {
        self.ice_servers
            .iter()
            .map(|url| {
                let turn = url.starts_with("turn:") || url.starts_with("turns:");
                IceServer {
                    urls: vec![url.clone()],
                    username: turn.then(|| self.ice_username.clone()).flatten(),
                    credential: turn.then(|| self.ice_credential.clone()).flatten(),
                }
            })
            .collect()
    }

    pub fn relay_config(&self) -> RelayConfig {
        RelayConfig {
            replay: ReplayLimits {
                events: self.replay_capacity,
                agent_bytes: self.replay_agent_bytes,
                total_bytes: self.replay_total_bytes,
            },
            heartbeat_interval: Duration::from_millis(self.heartbeat_interval_ms.max(100)),
            heartbeat_timeout: Duration::from_millis(self.heartbeat_timeout_ms.max(200)),
            session_grace: Duration::from_secs(self.session_grace_seconds),
            service_level_seconds: self.service_level_seconds,
            ice_servers: self.ice_servers(),
            tokens: TokenPolicy {
                idle: Duration::from_secs(self.token_idle_seconds),
                lifetime: Duration::from_secs(self.token_lifetime_seconds),
            },
            ..RelayConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_go_beside_the_sqlite_file_unless_told() {
        let dir = |flags: &[&str]| {
            let mut argv = vec!["server"];
            argv.extend_from_slice(flags);
            Cli::try_parse_from(argv).unwrap().serve.recordings_dir()
        };
        assert_eq!(dir(&[]), std::path::Path::new("recordings"));
        assert_eq!(
            dir(&["--database", "/var/lib/ccp/ccp.sqlite"]),
            std::path::Path::new("/var/lib/ccp/recordings")
        );
        assert_eq!(
            dir(&["--database", "sqlite:///srv/ccp.sqlite"]),
            std::path::Path::new("/srv/recordings")
        );
        assert_eq!(
            dir(&["--database", "sqlite::memory:"]),
            std::path::Path::new("recordings")
        );
        assert_eq!(
            dir(&["--database", "postgres://u:p@db/ccp"]),
            std::path::Path::new("recordings")
        );
        assert_eq!(
            dir(&[
                "--database",
                "/x/ccp.sqlite",
                "--recordings-dir",
                "/data/rec"
            ]),
            std::path::Path::new("/data/rec")
        );
        let config = |flags: &[&str]| {
            let mut argv = vec!["server"];
            argv.extend_from_slice(flags);
            Cli::try_parse_from(argv)
                .unwrap()
                .serve
                .switch_config()
                .unwrap()
        };
        assert!(!config(&[]).record_all);
        assert!(config(&["--record-all"]).record_all);
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let cli = Cli::try_parse_from(["server"]).unwrap();
        assert_eq!(cli.serve.addr.to_string(), "127.0.0.1:3000");
        assert!(cli.serve.allowed_origins.is_empty());
        // The SIP edge is off, and with it the demo's desk phone.
        assert!(cli.serve.sip_addr.is_none());
        let mut softphones_only = SwitchConfig::demo();
        softphones_only.sip_phones.clear();
        assert_eq!(cli.serve.switch_config().unwrap(), softphones_only);
        assert!(cli.command.is_none());
        let sip = Cli::try_parse_from(["server", "--sip-addr", "127.0.0.1:5060"]).unwrap();
        assert_eq!(sip.serve.switch_config().unwrap(), SwitchConfig::demo());
        let no_edge = Cli::try_parse_from(["server", "--sip-trunk", "sip:127.0.0.1:5070"]).unwrap();
        assert!(
            no_edge
                .serve
                .sip_config([127, 0, 0, 1].into(), vec![])
                .is_err()
        );
    }

    #[test]
    fn off_loopback_the_simulator_needs_the_flag_and_a_key_and_says_how() {
        let public: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let keyed = ApiAccess::new(Some("0123456789abcdef".into()), public).unwrap();
        let keyless = ApiAccess::new(None, public).unwrap();
        let parse = |flags: &[&str]| {
            let mut argv = vec!["server"];
            argv.extend_from_slice(flags);
            Cli::try_parse_from(argv).unwrap().serve
        };
        let why = parse(&[]).simulator_enabled(public, &keyless).unwrap_err();
        assert!(why.contains("--simulator --api-key-file"), "{why}");
        let why = parse(&["--simulator"])
            .simulator_enabled(public, &keyless)
            .unwrap_err();
        assert!(why.contains("--api-key-file"), "{why}");
        assert!(parse(&[]).simulator_enabled(public, &keyed).is_err());
        assert!(
            parse(&["--simulator"])
                .simulator_enabled(public, &keyed)
                .is_ok()
        );
        let local: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let open = ApiAccess::new(None, local).unwrap();
        assert!(parse(&[]).simulator_enabled(local, &open).is_ok());
    }

    #[test]
    fn allowed_origin_repeats() {
        let cli = Cli::try_parse_from([
            "server",
            "--addr",
            "0.0.0.0:8080",
            "--allowed-origin",
            "http://a.test",
            "--allowed-origin",
            "https://b.test",
        ])
        .unwrap();
        assert_eq!(
            cli.serve.allowed_origins,
            ["http://a.test", "https://b.test"]
        );
    }

    #[test]
    fn help_names_the_environment_variables() {
        let help = <Cli as clap::CommandFactory>::command()
            .render_long_help()
            .to_string();
        for var in [
            "CCP_ADDR",
            "CCP_ALLOWED_ORIGINS",
            "LEPTOS_SITE_ROOT",
            "CCP_CONFIG",
        ] {
            assert!(help.contains(var), "{var} missing from --help");
        }
    }

    #[test]
    fn config_file_round_trips() {
        let dir = std::env::temp_dir().join(format!("ccp-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("switch.toml");
        std::fs::write(&path, toml::to_string(&SwitchConfig::demo()).unwrap()).unwrap();
        let cli = Cli::try_parse_from([
            "server",
            "--config",
            path.to_str().unwrap(),
            "--wrap-up-seconds",
            "5",
        ])
        .unwrap();
        let config = cli.serve.switch_config().unwrap();
        assert_eq!(config.wrap_up_seconds, 5);
        assert_eq!(config.agents, SwitchConfig::demo().agents);
        std::fs::write(&path, "agents = 3").unwrap();
        assert!(cli.serve.switch_config().is_err());
    }
}
