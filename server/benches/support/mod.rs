//! What the benchmarks share: a server process on a free port with a
//! configuration of theirs, its resident memory, cheap password hashes,
//! percentiles, panel sockets (from any loopback address) and arguments.

#![allow(dead_code)] // each bench uses its own part

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A server process, killed when dropped.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory now, in KiB.
    pub fn rss_kib(&self) -> Option<f64> {
        rss_kib(self.pid())
    }
}

pub fn rss_kib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A directory of this bench run's own, for configurations and databases.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Starts the server with `args` (plus a free `--addr`) and waits for
/// `/healthz`.
pub async fn start_server(args: &[String]) -> ServerProcess {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let server = ServerProcess {
        child: Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["--addr", &addr.to_string()])
            .args(args)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("the server starts"),
        addr,
    };
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if http
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await; // polling a starting process
    }
    panic!("the server did not come up");
}

/// `n` agents `a0`… on extensions 100000+i, all serving queue 5000, no
/// wrap-up, with a cheap password hash.
pub fn agents_config(n: usize) -> String {
    let mut toml = String::from("reason_codes = [\"Break\"]\nwrap_up_seconds = 0\nextensions = [");
    toml.push_str(
        &(0..n)
            .map(|i| format!("\"{}\"", 100_000 + i))
            .collect::<Vec<_>>()
            .join(","),
    );
    toml.push_str("]\n");
    let password = cheap_hash("demo");
    for i in 0..n {
        toml.push_str(&format!(
            "[[agents]]\nid = \"a{i}\"\npassword = \"{password}\"\nextension = \"{}\"\n",
            100_000 + i
        ));
    }
    toml.push_str("[[queues]]\nnumber = \"5000\"\nname = \"Load\"\nagents = [");
    toml.push_str(
        &(0..n)
            .map(|i| format!("\"a{i}\""))
            .collect::<Vec<_>>()
            .join(","),
    );
    toml.push_str("]\n");
    toml
}

/// An Argon2id hash at the lowest cost (8 KiB, one pass): benchmarks that
/// log in thousands of agents measure the relay, not the password check.
pub fn cheap_hash(password: &str) -> String {
    use argon2::{Algorithm, Argon2, Params, Version, password_hash::PasswordHasher};
    let params = Params::new(8, 1, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes())
        .expect("hashing works")
        .to_string()
}

/// A panel socket to `addr` from `source` (any loopback address).
pub async fn connect_from(addr: SocketAddr, source: IpAddr) -> Option<Socket> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(source, 0)).ok()?;
    let stream = socket.connect(addr).await.ok()?;
    let _ = stream.set_nodelay(true);
    tokio_tungstenite::client_async(format!("ws://{addr}/ws"), MaybeTlsStream::Plain(stream))
        .await
        .ok()
        .map(|(ws, _)| ws)
}

/// The `p` quantile (0–1) of `values`, NaN when empty.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The number after `--name`, or `default`.
pub fn arg(args: &[String], name: &str, default: f64) -> f64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The least-squares slope of `(x, y)` points.
pub fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    num / den
}
