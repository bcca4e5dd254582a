//! Relay load generator (a benchmark, not a test): logs N agents in over N
//! WebSockets against a real server process, drives simulator traffic at a
//! steady rate with every agent answering and hanging up, and prints the
//! delivery latency (simulator call → `Delivered` at the agent's socket),
//! events per second, server memory per idle session and errors. In the same
//! run it measures a baseline — a bare axum WebSocket server (its own
//! process, `TCP_NODELAY`, one channel per socket) pushing frames of the same
//! size to the same number of sockets at the same rate — and prints our
//! figures as ratios to it.
//!
//! `scripts/bench.sh relay` runs it at 100, 1,000 and 10,000 agents; one run:
//! `cargo bench -p server --bench relay_load -- --agents 1000 --rate 200 --seconds 10`.

use std::{
    collections::HashMap,
    net::SocketAddr,
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{State, WebSocketUpgrade, ws::Message as AxumMessage},
    routing::get,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

mod support;
use support::{
    ServerProcess, agents_config, arg, free_port, percentile, rss_kib, scratch_dir, slope,
};

/// What one run is asked to do.
#[derive(Clone, Copy)]
struct Load {
    agents: usize,
    /// Calls per second the simulator places.
    rate: f64,
    seconds: f64,
    /// How long an agent talks before hanging up.
    talk: Duration,
    /// The server's bound on all replay buffers (`--replay-total-bytes`),
    /// when not its default: the soak sets one it reaches during warm-up,
    /// so that the buffers filling up is not taken for a leak.
    replay_total_bytes: Option<u64>,
}

/// What one run measured.
struct Figures {
    latencies_ms: Vec<f64>,
    events: u64,
    elapsed: Duration,
    errors: u64,
    undelivered: usize,
    rss_per_session_kib: Option<f64>,
    /// The server's RSS while the traffic ran: (seconds, KiB).
    rss_samples: Vec<(f64, f64)>,
    /// The replay buffers' figures from `/metrics` at the end of the run.
    replay: Vec<String>,
}

impl Figures {
    fn percentile(&self, p: f64) -> f64 {
        percentile(&self.latencies_ms, p)
    }

    fn events_per_second(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

fn now_ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

async fn start_server(agents: usize, replay_total_bytes: Option<u64>) -> ServerProcess {
    let dir = scratch_dir("relay-load");
    let path = dir.join(format!("agents-{agents}.toml"));
    std::fs::write(&path, agents_config(agents)).expect("config written");
    // Records go to a real SQLite file, as in production.
    let database = dir.join(format!("bench-{agents}.sqlite"));
    let mut args = vec![
        "--config".into(),
        path.display().to_string(),
        "--database".into(),
        database.display().to_string(),
    ];
    if let Some(bytes) = replay_total_bytes {
        args.extend(["--replay-total-bytes".into(), bytes.to_string()]);
    }
    support::start_server(&args).await
}

/// Shared by the agents of one run.
struct Shared {
    start: Instant,
    /// When each call was placed, and when it reached its agent.
    placed: Mutex<HashMap<String, f64>>,
    delivered: Mutex<HashMap<String, f64>>,
    events: AtomicU64,
    errors: AtomicU64,
    /// Every agent task, aborted at the end of the run (closing the sockets).
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// One agent: logs in, goes Ready, answers what rings and hangs up after
/// `talk`. Returns once logged in and Ready (the rest runs in a task).
async fn agent(addr: SocketAddr, i: usize, talk: Duration, shared: Arc<Shared>) -> bool {
    let Ok((socket, _)) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await else {
        shared.errors.fetch_add(1, Ordering::Relaxed);
        return false;
    };
    let (mut tx, mut rx) = socket.split();
    let dn = format!("{}", 100_000 + i);
    let send = |frame: Value| Message::Text(frame.to_string().into());
    let ready = json!({"type": "Request", "id": "r", "request": {"type": "SetAgentState", "state": "Ready"}});
    // Log in, again after a short back-off when the server says it is busy
    // checking other logins (as an agent told "try again" would), then Ready.
    let mut tries = 0;
    loop {
        tries += 1;
        let id = format!("l{tries}");
        let login =
            json!({"type": "Login", "id": id, "agentId": format!("a{i}"), "password": "demo"});
        if tx.send(send(login)).await.is_err() {
            return false;
        }
        let mut answer = Value::Null;
        while let Some(Ok(message)) = rx.next().await {
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(&text).unwrap_or_default();
                if frame["type"] == "Response" && frame["id"] == id.as_str() {
                    answer = frame;
                    break;
                }
            }
        }
        if answer["ok"] == true {
            break;
        }
        if answer["error"]["errCode"] != "OPENCTI_HTTP_ERROR_503" || tries > 200 {
            shared.errors.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await; // back-off
    }
    if tx.send(send(ready)).await.is_err() {
        return false;
    }
    // Wait for the answer to Ready.
    while let Some(Ok(message)) = rx.next().await {
        if let Message::Text(text) = message {
            let frame: Value = serde_json::from_str(&text).unwrap_or_default();
            if frame["type"] == "Response" && frame["id"] == "r" {
                if frame["ok"] != true {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                }
                break;
            }
        }
    }
    let (to_socket, mut outbox) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let tasks = shared.clone();
    let writer = tokio::spawn(async move {
        while let Some(frame) = outbox.recv().await {
            if tx.send(send(frame)).await.is_err() {
                break;
            }
        }
    });
    let reader = tokio::spawn(async move {
        let mut next = 0u64;
        while let Some(Ok(message)) = rx.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let frame: Value = serde_json::from_str(&text).unwrap_or_default();
            match frame["type"].as_str() {
                Some("Event") => {
                    shared.events.fetch_add(1, Ordering::Relaxed);
                    let event = &frame["event"];
                    if event["type"] == "Delivered" && event["device"] == dn.as_str() {
                        let call = event["call"]["callId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string();
                        shared
                            .delivered
                            .lock()
                            .unwrap()
                            .insert(call.clone(), now_ms(shared.start));
                        next += 1;
                        let answer = json!({"type": "Request", "id": format!("a{next}"),
                            "request": {"type": "AnswerCall", "callId": call}});
                        let _ = to_socket.send(answer);
                        let to_socket = to_socket.clone();
                        let id = format!("h{next}");
                        tokio::spawn(async move {
                            tokio::time::sleep(talk).await; // the agent talks
                            let hang_up = json!({"type": "Request", "id": id,
                                "request": {"type": "ClearConnection", "callId": call}});
                            let _ = to_socket.send(hang_up);
                        });
                    }
                }
                Some("Response") if frame["ok"] != true => {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            }
        }
    });
    tasks.tasks.lock().unwrap().extend([writer, reader]);
    true
}

async fn run_relay(load: Load) -> Figures {
    let server = start_server(load.agents, load.replay_total_bytes).await;
    let pid = server.child.id();
    let before = rss_kib(pid);
    let shared = Arc::new(Shared {
        start: Instant::now(),
        placed: Mutex::default(),
        delivered: Mutex::default(),
        events: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        tasks: Mutex::default(),
    });
    // Log the agents in, 200 at a time.
    for chunk in (0..load.agents).collect::<Vec<_>>().chunks(200) {
        let joins: Vec<_> = chunk
            .iter()
            .map(|&i| tokio::spawn(agent(server.addr, i, load.talk, shared.clone())))
            .collect();
        for join in joins {
            if !join.await.unwrap_or(false) {
                shared.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let after = rss_kib(pid);
    let rss_per_session_kib = before.zip(after).map(|(b, a)| (a - b) / load.agents as f64);
    shared.events.store(0, Ordering::Relaxed);

    // A simulator keeps a few connections, as a real one would: an
    // unbounded pool opened one per slow reply and kept it, until the
    // server's 10,000 sockets and the pool's met its file limit.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()
        .expect("an HTTP client");
    let calls = (load.rate * load.seconds).round() as usize;
    let interval = Duration::from_secs_f64(1.0 / load.rate);
    let mut ticker = tokio::time::interval(interval);
    let began = Instant::now();
    // The server's memory once a second while the traffic runs.
    let sampler = tokio::spawn(async move {
        let mut samples = vec![];
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            match rss_kib(pid) {
                Some(kib) => samples.push((began.elapsed().as_secs_f64(), kib)),
                None => return samples,
            }
            if began.elapsed().as_secs_f64() > load.seconds {
                return samples;
            }
        }
    });
    let mut posts = Vec::with_capacity(calls);
    for _ in 0..calls {
        ticker.tick().await;
        let http = http.clone();
        let shared = shared.clone();
        let url = format!("http://{}/api/sim/calls", server.addr);
        posts.push(tokio::spawn(async move {
            let t0 = now_ms(shared.start);
            let res = http
                .post(url)
                .json(&json!({"from": "+15550000000", "to": "5000"}))
                .send()
                .await;
            match res {
                Ok(r) if r.status().as_u16() == 201 => {
                    let body: Value = r.json().await.unwrap_or_default();
                    let id = body["callId"].as_str().unwrap_or_default().to_string();
                    shared.placed.lock().unwrap().insert(id, t0);
                }
                _ => {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for post in posts {
        let _ = post.await;
    }
    // Give the last calls up to 3 s to arrive (bounded wait on a condition).
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let done = {
            let placed = shared.placed.lock().unwrap();
            let delivered = shared.delivered.lock().unwrap();
            placed.keys().all(|id| delivered.contains_key(id))
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await; // polling shared counters
    }
    let elapsed = began.elapsed();
    let rss_samples = sampler.await.unwrap_or_default();
    let metrics = match http
        .get(format!("http://{}/metrics", server.addr))
        .send()
        .await
    {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let replay = metrics
        .lines()
        .filter(|l| l.starts_with("ccp_replay_buffer_"))
        .map(str::to_string)
        .collect();
    shared.tasks.lock().unwrap().iter().for_each(|t| t.abort());
    let placed = shared.placed.lock().unwrap();
    let delivered = shared.delivered.lock().unwrap();
    let latencies_ms: Vec<f64> = placed
        .iter()
        .filter_map(|(id, t0)| delivered.get(id).map(|t1| (t1 - t0).max(0.0)))
        .collect();
    Figures {
        undelivered: placed.len() - latencies_ms.len(),
        latencies_ms,
        events: shared.events.load(Ordering::Relaxed),
        elapsed,
        errors: shared.errors.load(Ordering::Relaxed),
        rss_per_session_kib,
        rss_samples,
        replay,
    }
}

fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// The baseline's sockets, by client index: each gets its frames directly.
type Sockets = Arc<Mutex<HashMap<usize, tokio::sync::mpsc::UnboundedSender<String>>>>;

/// The baseline server (run in its own process by [`run_baseline`]): a bare
/// axum WebSocket route, and `/start`, which pushes frames of `bytes` bytes
/// (a send timestamp, then padding) to one socket per event at `rate`.
async fn serve_baseline(addr: SocketAddr) {
    let sockets: Sockets = Arc::default();
    let app = Router::new()
        .route(
            "/ws",
            get(|State(sockets): State<Sockets>, ws: WebSocketUpgrade| async move {
                ws.on_upgrade(move |mut socket| async move {
                    // The client's first message is its index.
                    let Some(Ok(AxumMessage::Text(me))) = socket.recv().await else {
                        return;
                    };
                    let me: usize = me.parse().unwrap_or(usize::MAX);
                    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
                    sockets.lock().unwrap().insert(me, tx);
                    while let Some(frame) = rx.recv().await {
                        if socket.send(AxumMessage::Text(frame.into())).await.is_err() {
                            break;
                        }
                    }
                })
            }),
        )
        .route(
            "/start",
            get(
                |State(sockets): State<Sockets>,
                 axum::extract::Query(q): axum::extract::Query<HashMap<String, f64>>| async move {
                    let agents = q["agents"] as usize;
                    while sockets.lock().unwrap().len() < agents {
                        tokio::time::sleep(Duration::from_millis(10)).await; // polling a counter
                    }
                    let calls = (q["rate"] * q["seconds"]).round() as usize;
                    let mut ticker =
                        tokio::time::interval(Duration::from_secs_f64(1.0 / q["rate"]));
                    for n in 0..calls {
                        ticker.tick().await;
                        let stamp = format!("{:.3} ", epoch_ms());
                        let padding = "x".repeat((q["bytes"] as usize).saturating_sub(stamp.len()));
                        if let Some(socket) = sockets.lock().unwrap().get(&(n % agents)) {
                            let _ = socket.send(stamp + &padding);
                        }
                    }
                    calls.to_string()
                },
            ),
        )
        .with_state(sockets);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("baseline port");
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let _ = axum::serve(listener, app).await;
}

/// The baseline, measured like the relay: the same number of sockets and
/// events per second, frames of the same size, the server in its own process.
async fn run_baseline(load: Load, frame_bytes: usize) -> Figures {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let _server = ServerProcess {
        child: Command::new(std::env::current_exe().expect("this bench"))
            .args(["--serve-baseline", &addr.to_string()])
            .spawn()
            .expect("the baseline server starts"),
        addr,
    };
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let received = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..load.agents {
        let socket = loop {
            match tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await {
                Ok((socket, _)) => break socket,
                Err(_) if i == 0 => tokio::time::sleep(Duration::from_millis(50)).await, // starting
                Err(err) => panic!("baseline socket: {err}"),
            }
        };
        let (mut tx, mut rx) = socket.split();
        tx.send(Message::Text(i.to_string().into())).await.unwrap();
        let latencies = latencies.clone();
        let received = received.clone();
        tasks.push(tokio::spawn(async move {
            let _keep = tx;
            while let Some(Ok(Message::Text(text))) = rx.next().await {
                let sent: f64 = text[..text.find(' ').unwrap_or(0)].parse().unwrap_or(0.0);
                latencies.lock().unwrap().push(epoch_ms() - sent);
                received.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let began = Instant::now();
    let calls: usize = reqwest::get(format!(
        "http://{addr}/start?agents={}&rate={}&seconds={}&bytes={frame_bytes}",
        load.agents, load.rate, load.seconds
    ))
    .await
    .expect("baseline start")
    .text()
    .await
    .unwrap_or_default()
    .parse()
    .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(3);
    while received.load(Ordering::Relaxed) < calls as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await; // polling a counter
    }
    let elapsed = began.elapsed();
    tasks.iter().for_each(|t| t.abort());
    let latencies_ms = latencies.lock().unwrap().clone();
    Figures {
        undelivered: calls.saturating_sub(latencies_ms.len()),
        latencies_ms,
        events: received.load(Ordering::Relaxed),
        elapsed,
        errors: 0,
        rss_per_session_kib: None,
        rss_samples: vec![],
        replay: vec![],
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    if let Some(i) = args.iter().position(|a| a == "--serve-baseline") {
        let addr = args[i + 1].parse().expect("--serve-baseline HOST:PORT");
        runtime.block_on(serve_baseline(addr));
        return;
    }
    let load = Load {
        agents: arg(&args, "--agents", 1000.0) as usize,
        rate: arg(&args, "--rate", 200.0),
        seconds: arg(&args, "--seconds", 10.0),
        talk: Duration::from_secs_f64(arg(&args, "--talk", 2.0)),
        replay_total_bytes: Some(arg(&args, "--replay-total-bytes", 0.0) as u64).filter(|&b| b > 0),
    };
    runtime.block_on(async {
        println!(
            "relay load: {} agents, {} calls/s for {} s, talk {:?}",
            load.agents, load.rate, load.seconds, load.talk
        );
        let ours = run_relay(load).await;
        // A Delivered frame of this bench is about 600 bytes.
        let base = run_baseline(load, 600).await;
        let line = |name: &str, f: &Figures| {
            println!(
                "{name:>9}: delivery p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.0} events/s; {} undelivered; {} errors{}",
                f.percentile(0.5),
                f.percentile(0.99),
                f.percentile(1.0),
                f.events_per_second(),
                f.undelivered,
                f.errors,
                f.rss_per_session_kib
                    .map(|k| format!("; server RSS {k:.1} KiB per idle session"))
                    .unwrap_or_default()
            );
        };
        line("relay", &ours);
        // Memory over the run, after a warm-up of a fifth of it: flat means
        // no session, call or event leaves anything behind.
        let warm = ours.rss_samples.len() / 5;
        if let (Some(first), Some(last)) = (ours.rss_samples.get(warm), ours.rss_samples.last()) {
            let per_minute = slope(&ours.rss_samples[warm..]) * 60.0;
            println!(
                "  server RSS after warm-up: {:.1} MiB at {:.0} s, {:.1} MiB at {:.0} s; slope {per_minute:+.1} KiB/min ({:+.3} % of RSS per minute)",
                first.1 / 1024.0,
                first.0,
                last.1 / 1024.0,
                last.0,
                per_minute / last.1 * 100.0
            );
        }
        if !ours.replay.is_empty() {
            println!("  at the end: {}", ours.replay.join(", "));
        }
        line("baseline", &base);
        let delivered = |f: &Figures| f.latencies_ms.len() as f64 / f.elapsed.as_secs_f64();
        println!(
            "    ratio: deliveries/s {:.2}x baseline, p99 {:.2}x baseline",
            delivered(&ours) / delivered(&base),
            ours.percentile(0.99) / base.percentile(0.99)
        );
    });
}
