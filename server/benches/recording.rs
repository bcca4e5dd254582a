//! Call recording's cost, in one run: the server's CPU per call with N
//! calls in talk, unrecorded (the baseline) and then recorded
//! (`--record-all`), the bytes a recorded minute takes, and the time from
//! an agent's Answer to the first recorded frame written.
//!
//! `cargo bench -p server --bench recording -- --calls 50 --seconds 20`
//! (`scripts/bench.sh recording`). It prints figures; it asserts nothing.

mod support;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::{agents_config, arg, percentile, scratch_dir, start_server};
use tokio_tungstenite::tungstenite::Message;

/// The server's CPU time so far (utime + stime, at Linux's 100 ticks/s).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command (which may hold spaces) and its ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// A metric's value from `/metrics`.
async fn metric(http: &reqwest::Client, addr: SocketAddr, name: &str) -> f64 {
    let text = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0.0)
}

/// An agent's socket, logged in and Ready.
struct Agent {
    socket: support::Socket,
    dn: String,
    /// Request ids are the session's own: the relay answers a repeated id
    /// with its first answer, without doing it again.
    requests: u64,
}

impl Agent {
    async fn ready(addr: SocketAddr, i: usize) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
            .await
            .expect("the relay");
        let mut agent = Self {
            socket,
            dn: format!("{}", 100_000 + i),
            requests: 0,
        };
        let login =
            json!({"type": "Login", "id": "l", "agentId": format!("a{i}"), "password": "demo"});
        agent.ask(login, "l").await;
        agent
            .request(json!({"type": "SetAgentState", "state": "Ready"}))
            .await;
        agent
    }

    /// Sends a request under a new id and waits for its answer.
    async fn request(&mut self, request: Value) {
        self.requests += 1;
        let id = format!("q{}", self.requests);
        self.ask(
            json!({"type": "Request", "id": id, "request": request}),
            &id,
        )
        .await;
    }

    async fn send(&mut self, frame: Value) {
        let _ = self
            .socket
            .send(Message::Text(frame.to_string().into()))
            .await;
    }

    /// Sends a frame and waits for its answer.
    async fn ask(&mut self, frame: Value, id: &str) {
        self.send(frame).await;
        self.until(|f| f["type"] == "Response" && f["id"] == id)
            .await;
    }

    async fn until(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        while let Some(Ok(message)) = self.socket.next().await {
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(&text).unwrap_or_default();
                if matches(&frame) {
                    return frame;
                }
            }
        }
        panic!("the socket closed");
    }

    /// Waits for a call to ring here; returns its id.
    async fn ringing(&mut self) -> String {
        let dn = self.dn.clone();
        let frame = self
            .until(|f| f["event"]["type"] == "Delivered" && f["event"]["device"] == dn.as_str())
            .await;
        frame["event"]["call"]["callId"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    async fn answer(&mut self, call_id: &str) {
        self.request(json!({"type": "AnswerCall", "callId": call_id}))
            .await;
    }

    /// Answers whatever rings here, and keeps reading (the relay's pings
    /// want their pongs) until the task is aborted.
    async fn serve(mut self, answered: Arc<AtomicUsize>) {
        loop {
            let call_id = self.ringing().await;
            self.answer(&call_id).await;
            answered.fetch_add(1, Ordering::Relaxed);
        }
    }

    async fn hang_up(&mut self, call_id: &str) {
        self.request(json!({"type": "ClearConnection", "callId": call_id}))
            .await;
    }
}

/// A simulated customer (number `n`) calls the queue.
async fn place_call(http: &reqwest::Client, addr: SocketAddr, n: usize) {
    let res = http
        .post(format!("http://{addr}/api/sim/calls"))
        .json(&json!({"from": format!("+1555{n:07}"), "to": "5000"}))
        .send()
        .await
        .expect("the simulator");
    assert!(res.status().is_success(), "the simulator refused a call");
}

struct Figures {
    /// Share of one core per call in talk.
    cpu_per_call: f64,
    /// Recording bytes written per call and minute.
    bytes_per_minute: f64,
    /// Answer → first recorded frame, ms (recorded runs only).
    first_frame_ms: Vec<f64>,
}

async fn run(calls: usize, seconds: f64, recorded: bool) -> Figures {
    let dir = scratch_dir(if recorded {
        "recording-on"
    } else {
        "recording-off"
    });
    let config = dir.join("switch.toml");
    std::fs::write(&config, agents_config(calls)).expect("config");
    let mut args: Vec<String> = [
        "--config",
        config.to_str().unwrap_or_default(),
        "--database",
        "sqlite::memory:",
        "--recordings-dir",
        dir.join("recordings").to_str().unwrap_or_default(),
    ]
    .map(String::from)
    .to_vec();
    if recorded {
        args.push("--record-all".into());
    }
    let server = start_server(&args).await;
    let http = reqwest::Client::new();
    // Answer → first frame, one call at a time on agent 0, alone.
    let mut first = Agent::ready(server.addr, 0).await;
    let mut first_frame_ms = vec![];
    if recorded {
        for n in 0..20 {
            place_call(&http, server.addr, n).await;
            let call_id = first.ringing().await;
            let before = metric(&http, server.addr, "ccp_recording_written_bytes_total").await;
            let answered = Instant::now();
            first.answer(&call_id).await;
            while metric(&http, server.addr, "ccp_recording_written_bytes_total").await <= before {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            first_frame_ms.push(answered.elapsed().as_secs_f64() * 1000.0);
            first.hang_up(&call_id).await;
        }
    }

    // Every agent on a call, then the steady state measured.
    let answered = Arc::new(AtomicUsize::new(0));
    let mut tasks = vec![tokio::spawn(first.serve(answered.clone()))];
    for i in 1..calls {
        let agent = Agent::ready(server.addr, i).await;
        tasks.push(tokio::spawn(agent.serve(answered.clone())));
    }
    for n in 0..calls {
        place_call(&http, server.addr, 100 + n).await;
    }
    while answered.load(Ordering::Relaxed) < calls {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (cpu0, bytes0, t0) = (
        cpu_seconds(server.pid()),
        metric(&http, server.addr, "ccp_recording_written_bytes_total").await,
        Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(server.pid()) - cpu0;
    let bytes = metric(&http, server.addr, "ccp_recording_written_bytes_total").await - bytes0;
    for task in tasks {
        task.abort();
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    Figures {
        cpu_per_call: cpu / elapsed / calls as f64,
        bytes_per_minute: bytes / elapsed * 60.0 / calls as f64,
        first_frame_ms,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let calls = arg(&args, "--calls", 50.0) as usize;
    let seconds = arg(&args, "--seconds", 20.0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        println!("recording: {calls} calls in talk for {seconds} s, unrecorded then recorded");
        let off = run(calls, seconds, false).await;
        let on = run(calls, seconds, true).await;
        println!(
            "  unrecorded: {:.3} % of a core per call (baseline)",
            off.cpu_per_call * 100.0
        );
        println!(
            "    recorded: {:.3} % of a core per call, {:.2}× the baseline",
            on.cpu_per_call * 100.0,
            on.cpu_per_call / off.cpu_per_call
        );
        println!(
            "  bytes per recorded minute: {:.0} (WAV 8 kHz 16-bit stereo: 1920000)",
            on.bytes_per_minute
        );
        println!(
            "  answer → first recorded frame: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} calls)",
            percentile(&on.first_frame_ms, 0.5),
            percentile(&on.first_frame_ms, 0.99),
            percentile(&on.first_frame_ms, 1.0),
            on.first_frame_ms.len()
        );
    });
}
