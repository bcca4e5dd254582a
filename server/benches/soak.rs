//! Long runs against a real server process (benchmarks: they print figures;
//! the suite has a short version of each, see BENCHMARKS.md).
//!
//! - `logins`: a login storm. `--logins N` concurrent logins, a tenth of them
//!   the demo agents' right password (retrying when told "busy"), the rest
//!   wrong ones, four per loopback address so that no address lockout turns
//!   them away before their check. Prints the server's RSS (idle, peak,
//!   after), the answers, login throughput and p99, and as a baseline the
//!   raw Argon2id verifications per second of this machine, measured in the
//!   same run.
//! - `drops`: `--agents N` agents, each with a panel that is cut (no close
//!   handshake) and resumes `--cuts-per-agent` times, and a second tab that
//!   never drops, while the simulator rings the agents' extensions at
//!   `--rate` calls per second. Every panel's events must equal its
//!   never-dropping tab's: the run fails loudly otherwise.
//!
//! `scripts/bench.sh logins` and `scripts/bench.sh soak` run them; one run:
//! `cargo bench -p server --bench soak -- logins --logins 1000`.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use app::wire::native::{ClientFrame, CstaRequest, ResponseValue, ServerFrame};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

mod support;
use support::{Socket, agents_config, arg, connect_from, percentile, scratch_dir, start_server};

fn frame(frame: &ClientFrame) -> Message {
    Message::Text(serde_json::to_string(frame).expect("frames encode").into())
}

fn login_frame(id: &str, agent: &str, password: &str) -> Message {
    frame(&ClientFrame::Login {
        id: id.into(),
        agent_id: agent.into(),
        password: password.into(),
        extension: None,
        telephony_mode: None,
        implementation: Some("soak".into()),
    })
}

/// Reads until the response to `id` (events on the way go to `events`).
async fn response(
    ws: &mut Socket,
    id: &str,
    events: &mut Vec<(u64, String)>,
) -> Option<Result<Option<ResponseValue>, String>> {
    while let Some(Ok(message)) = ws.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        match serde_json::from_str::<ServerFrame>(&text).ok()? {
            ServerFrame::Event { seq, event } => {
                events.push((seq, serde_json::to_string(&event).unwrap_or_default()))
            }
            ServerFrame::Response {
                id: rid,
                ok,
                value,
                error,
            } if rid == id => {
                return Some(if ok {
                    Ok(value)
                } else {
                    Err(error.map(|e| e.err_code.to_string()).unwrap_or_default())
                });
            }
            _ => {}
        }
    }
    None
}

// ---------------------------------------------------------------- logins

/// How one storm login ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    In,
    Refused,
    Busy,
    Lost,
}

fn guesser_address(i: usize) -> IpAddr {
    IpAddr::from([127, 2, (i / 4 / 250) as u8, (i / 4 % 250 + 1) as u8])
}

/// Raw Argon2id verifications per second with one thread per core: the
/// machine's ceiling for password checks, measured in the same run.
fn argon2_ceiling() -> f64 {
    let hash = server::security::credentials::hash_password("demo").expect("hash");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = 20;
    let began = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut memory = Vec::new();
                for _ in 0..per_thread {
                    server::security::credentials::verify_in(Some(&hash), "demo", &mut memory);
                }
            });
        }
    });
    (threads * per_thread) as f64 / began.elapsed().as_secs_f64()
}

async fn logins(args: &[String]) {
    let total = arg(args, "--logins", 1000.0) as usize;
    let ceiling = argon2_ceiling();
    let server = start_server(&["--database".into(), "sqlite::memory:".into()]).await;
    let addr = server.addr;
    // One login first: the checkers' working memory is part of idle.
    let mut warm = connect_from(addr, [127, 0, 0, 1].into())
        .await
        .expect("socket");
    warm.send(login_frame("w", "1004", "demo")).await.unwrap();
    let warmed = response(&mut warm, "w", &mut vec![]).await;
    assert!(matches!(warmed, Some(Ok(_))), "warm-up login: {warmed:?}");
    let idle = server.rss_kib().unwrap_or(0.0);

    // Every client connects first; then all send their login together.
    let mut sockets = Vec::with_capacity(total);
    for i in 0..total {
        let right = i % 10 == 0;
        let source = if right {
            IpAddr::from([127, 0, 0, 1])
        } else {
            guesser_address(i)
        };
        sockets.push((i, right, connect_from(addr, source).await));
    }
    let peak = Arc::new(AtomicU64::new(idle as u64));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, sampling, pid) = (peak.clone(), sampling.clone(), server.pid());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                if let Some(rss) = support::rss_kib(pid) {
                    peak.fetch_max(rss as u64, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(5)).await; // sampling
            }
        })
    };
    let began = Instant::now();
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|(i, right, socket)| {
            tokio::spawn(async move {
                let Some(mut ws) = socket else {
                    return (right, Outcome::Lost, 0.0, 0u32);
                };
                let agent = if right {
                    format!("100{}", 1 + i / 10 % 4)
                } else {
                    format!("x{i}")
                };
                let password = if right { "demo" } else { "wrong" };
                let t0 = Instant::now();
                let mut tries = 0;
                loop {
                    tries += 1;
                    let id = format!("l{tries}");
                    if ws.send(login_frame(&id, &agent, password)).await.is_err() {
                        return (right, Outcome::Lost, 0.0, tries);
                    }
                    let outcome = match response(&mut ws, &id, &mut vec![]).await {
                        Some(Ok(_)) => Outcome::In,
                        Some(Err(code)) if code == "OPENCTI_HTTP_ERROR_503" => Outcome::Busy,
                        Some(Err(_)) => Outcome::Refused,
                        None => Outcome::Lost,
                    };
                    // A right password retries until it gets in, as a user
                    // told "try again" would (after a short back-off).
                    if right && outcome == Outcome::Busy && t0.elapsed() < Duration::from_secs(60) {
                        tokio::time::sleep(Duration::from_millis(50)).await; // back-off
                        continue;
                    }
                    let ms = t0.elapsed().as_secs_f64() * 1000.0;
                    return (right, outcome, ms, tries);
                }
            })
        })
        .collect();
    let mut answers = vec![];
    for task in tasks {
        answers.push(task.await.expect("a login task"));
    }
    let storm = began.elapsed();
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.await;
    let during_peak = peak.load(Ordering::Relaxed) as f64;

    // After the storm: right passwords get in at once.
    let mut after_ms = vec![];
    for n in 0..20 {
        let mut ws = connect_from(addr, [127, 0, 0, 1].into())
            .await
            .expect("socket");
        let t0 = Instant::now();
        let id = format!("a{n}");
        ws.send(login_frame(&id, &format!("100{}", 1 + n % 4), "demo"))
            .await
            .unwrap();
        let answer = response(&mut ws, &id, &mut vec![]).await;
        assert!(matches!(answer, Some(Ok(_))), "after the storm: {answer:?}");
        after_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let after = server.rss_kib().unwrap_or(0.0);

    let count = |right: bool, outcome: Outcome| {
        answers
            .iter()
            .filter(|a| a.0 == right && a.1 == outcome)
            .count()
    };
    let first_answers: Vec<f64> = answers
        .iter()
        .filter(|a| !a.0 && a.1 != Outcome::Lost)
        .map(|a| a.2)
        .collect();
    let checked = count(false, Outcome::Refused) + count(true, Outcome::In);
    let right_ms: Vec<f64> = answers
        .iter()
        .filter(|a| a.0 && a.1 == Outcome::In)
        .map(|a| a.2)
        .collect();
    let right_tries: Vec<f64> = answers.iter().filter(|a| a.0).map(|a| a.3 as f64).collect();
    let mib = |kib: f64| kib / 1024.0;
    println!("login storm: {total} concurrent logins, one in ten with the right password");
    println!(
        "  server RSS: idle {:.1} MiB, peak during the storm {:.1} MiB (+{:.1}), after {:.1} MiB",
        mib(idle),
        mib(during_peak),
        mib(during_peak - idle),
        mib(after)
    );
    println!(
        "  wrong passwords: {} refused after their check, {} told to retry, {} lost; answer p50 {:.1} ms, p99 {:.1} ms",
        count(false, Outcome::Refused),
        count(false, Outcome::Busy),
        count(false, Outcome::Lost),
        percentile(&first_answers, 0.5),
        percentile(&first_answers, 0.99)
    );
    println!(
        "  right passwords: {} of {} in during the storm (tries p50 {:.0}, max {:.0}); time to get in p50 {:.0} ms, p99 {:.0} ms",
        count(true, Outcome::In),
        answers.iter().filter(|a| a.0).count(),
        percentile(&right_tries, 0.5),
        percentile(&right_tries, 1.0),
        percentile(&right_ms, 0.5),
        percentile(&right_ms, 0.99)
    );
    println!(
        "  after the storm: 20 of 20 right logins in at once, p50 {:.1} ms, p99 {:.1} ms",
        percentile(&after_ms, 0.5),
        percentile(&after_ms, 0.99)
    );
    let throughput = checked as f64 / storm.as_secs_f64();
    println!(
        "  login throughput: {throughput:.1} checked logins/s over {:.2} s; baseline (raw Argon2id, all cores) {ceiling:.1}/s: {:.2}x",
        storm.as_secs_f64(),
        throughput / ceiling
    );
}

// ---------------------------------------------------------------- drops

/// One panel socket of an agent, recording its events.
struct Tab {
    ws: Socket,
    token: String,
    events: Vec<(u64, String)>,
    requests: u64,
}

impl Tab {
    async fn login(addr: SocketAddr, agent: &str) -> Tab {
        let mut ws = connect_from(addr, [127, 0, 0, 1].into())
            .await
            .expect("socket");
        ws.send(login_frame("l", agent, "demo")).await.unwrap();
        let mut events = vec![];
        let Some(Ok(Some(ResponseValue::Session(session)))) =
            response(&mut ws, "l", &mut events).await
        else {
            panic!("{agent} could not log in");
        };
        // The session's snapshot follows the response.
        while !events
            .iter()
            .any(|(_, e)| e.contains("\"type\":\"Snapshot\""))
        {
            let Some(Ok(Message::Text(text))) = ws.next().await else {
                panic!("{agent}: no snapshot after the login");
            };
            if let Ok(ServerFrame::Event { seq, event }) = serde_json::from_str(&text) {
                events.push((seq, serde_json::to_string(&event).unwrap_or_default()));
            }
        }
        Tab {
            ws,
            token: session.token,
            events,
            requests: 0,
        }
    }

    fn last_seq(&self) -> u64 {
        self.events.last().map_or(0, |e| e.0)
    }

    /// Reads for at most `window`, recording events.
    async fn read_for(&mut self, window: Duration) {
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if let Message::Text(text) = message
                && let Ok(ServerFrame::Event { seq, event }) = serde_json::from_str(&text)
            {
                self.events
                    .push((seq, serde_json::to_string(&event).unwrap_or_default()));
            }
        }
    }

    /// A request whose answer comes after every event before it.
    async fn sync(&mut self) {
        self.requests += 1;
        let id = format!("s{}", self.requests);
        let request = frame(&ClientFrame::Request {
            id: id.clone(),
            request: CstaRequest::GetDirectory,
        });
        self.ws.send(request).await.unwrap();
        response(&mut self.ws, &id, &mut self.events).await;
    }

    /// Cuts the socket (no close handshake) and resumes on a new one.
    async fn cut_and_resume(self, addr: SocketAddr) -> Tab {
        let Tab {
            ws,
            token,
            mut events,
            requests,
        } = self;
        drop(ws);
        let last_seq = events.last().map_or(0, |e| e.0);
        let mut ws = connect_from(addr, [127, 0, 0, 1].into())
            .await
            .expect("socket");
        let resume = frame(&ClientFrame::Resume {
            id: "r".into(),
            token,
            last_seq,
        });
        ws.send(resume).await.unwrap();
        let answer = response(&mut ws, "r", &mut events).await;
        let Some(Ok(Some(ResponseValue::Session(session)))) = answer else {
            panic!("resume refused: {answer:?}");
        };
        Tab {
            ws,
            token: session.token,
            events,
            requests,
        }
    }
}

async fn drops(args: &[String]) {
    let agents = arg(args, "--agents", 1000.0) as usize;
    let cuts_per_agent = arg(args, "--cuts-per-agent", 10.0) as usize;
    let rate = arg(args, "--rate", 200.0);
    let dir = scratch_dir("soak-drops");
    let config = dir.join("agents.toml");
    std::fs::write(&config, agents_config(agents)).expect("config written");
    let server = start_server(&[
        "--config".into(),
        config.display().to_string(),
        "--database".into(),
        "sqlite::memory:".into(),
    ])
    .await;
    let addr = server.addr;
    let idle = server.rss_kib().unwrap_or(0.0);
    println!(
        "socket cuts: {agents} agents, {cuts_per_agent} cuts each, {rate} calls/s to their extensions"
    );

    // Log every agent in twice: the panel that drops and a tab that does not.
    let mut pairs = vec![];
    for i in 0..agents {
        let agent = format!("a{i}");
        let panel = Tab::login(addr, &agent).await;
        let witness = Tab::login(addr, &agent).await;
        let from = witness.last_seq();
        pairs.push((agent, panel, witness, from));
    }
    let logged_in = server.rss_kib().unwrap_or(0.0);

    // Traffic: calls ring the extensions in turn; each caller hangs up a
    // second later.
    let running = Arc::new(AtomicBool::new(true));
    let placed = Arc::new(AtomicU64::new(0));
    let traffic = {
        let (running, placed) = (running.clone(), placed.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            let mut n = 0usize;
            let ringing: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
            while running.load(Ordering::Relaxed) {
                tick.tick().await;
                let to = (100_000 + n % agents).to_string();
                n += 1;
                let (client, calls, placed) = (http.clone(), ringing.clone(), placed.clone());
                tokio::spawn(async move {
                    let res = client
                        .post(format!("http://{addr}/api/sim/calls"))
                        .json(&json!({"from": "+15550000000", "to": to}))
                        .send()
                        .await;
                    if let Ok(res) = res
                        && res.status() == 201
                        && let Ok(body) = res.json::<serde_json::Value>().await
                        && let Some(id) = body["callId"].as_str()
                    {
                        placed.fetch_add(1, Ordering::Relaxed);
                        calls.lock().unwrap().push((Instant::now(), id.to_string()));
                    }
                });
                let due: Vec<String> = {
                    let mut ringing = ringing.lock().unwrap();
                    let cut =
                        ringing.partition_point(|(at, _)| at.elapsed() > Duration::from_secs(1));
                    ringing.drain(..cut).map(|(_, id)| id).collect()
                };
                for id in due {
                    let http = http.clone();
                    tokio::spawn(async move {
                        let _ = http
                            .post(format!("http://{addr}/api/sim/calls/{id}/hangup"))
                            .send()
                            .await;
                    });
                }
            }
        })
    };

    let began = Instant::now();
    let cuts = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = pairs
        .into_iter()
        .enumerate()
        .map(|(i, (agent, mut panel, mut witness, from))| {
            let (cuts, running) = (cuts.clone(), running.clone());
            tokio::spawn(async move {
                // The never-dropping tab reads all along.
                let witness_reads = tokio::spawn(async move {
                    while running.load(Ordering::Relaxed) {
                        witness.read_for(Duration::from_millis(100)).await;
                    }
                    witness
                });
                for round in 0..cuts_per_agent {
                    // The panel reads a while, then is cut mid-stream:
                    // events pile up unread in its socket and are lost.
                    let ms = 500 + ((i * 7 + round * 13) % 10) as u64 * 250;
                    panel.read_for(Duration::from_millis(ms)).await;
                    panel = panel.cut_and_resume(addr).await;
                    cuts.fetch_add(1, Ordering::Relaxed);
                }
                (agent, panel, witness_reads, from)
            })
        })
        .collect();
    let mut finished = vec![];
    for task in tasks {
        finished.push(task.await.expect("an agent task"));
    }
    running.store(false, Ordering::Relaxed);
    let _ = traffic.await;
    let elapsed = began.elapsed();
    let busy = server.rss_kib().unwrap_or(0.0);

    let mut compared = 0usize;
    let mut snapshots = 0usize;
    let mut differing = vec![];
    for (agent, mut panel, witness_reads, from) in finished {
        let mut witness = witness_reads.await.expect("the witness");
        // A request's events all arrive before its response: after these,
        // both sockets hold everything the server numbered so far.
        panel.sync().await;
        witness.sync().await;
        let after = |tab: &Tab| -> Vec<(u64, String)> {
            tab.events
                .iter()
                .filter(|(seq, e)| *seq > from && !e.contains("\"type\":\"Snapshot\""))
                .cloned()
                .collect()
        };
        let (applied, truth) = (after(&panel), after(&witness));
        snapshots += panel
            .events
            .iter()
            .skip(1)
            .filter(|(_, e)| e.contains("\"type\":\"Snapshot\""))
            .count();
        if applied != truth || truth.is_empty() {
            differing.push(agent);
        }
        compared += applied.len();
    }
    println!(
        "  {} cuts in {:.1} s ({:.0} cuts/s) with {} calls placed; {} events compared, {} resumes fell back to a snapshot",
        cuts.load(Ordering::Relaxed),
        elapsed.as_secs_f64(),
        cuts.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        placed.load(Ordering::Relaxed),
        compared,
        snapshots
    );
    println!(
        "  server RSS: idle {:.1} MiB, {} sessions ×2 tabs {:.1} MiB, after the cuts {:.1} MiB",
        idle / 1024.0,
        agents,
        logged_in / 1024.0,
        busy / 1024.0
    );
    if differing.is_empty() {
        println!("  every panel's events equal the server's: no gap, no repeat");
    } else {
        println!(
            "  FAILED: {} agents' panels differ from the server: {:?}",
            differing.len(),
            &differing[..differing.len().min(10)]
        );
        std::process::exit(1);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mode = args
        .iter()
        .skip(1)
        .find(|a| !a.starts_with('-') && a.parse::<f64>().is_err())
        .cloned()
        .unwrap_or_default();
    runtime.block_on(async {
        match mode.as_str() {
            "logins" => logins(&args).await,
            "drops" => drops(&args).await,
            _ => eprintln!("usage: soak logins [--logins N] | drops [--agents N] [--cuts-per-agent N] [--rate R]"),
        }
    });
}
