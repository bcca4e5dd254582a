//! A working day in compressed time: the hub on a manual clock (the
//! switch's clock is an input), agents answering queue calls, wrapping up,
//! going away from their panels for minutes and coming back. Every
//! simulated second the replay buffers must stay within their bounds, per
//! agent and in total, and every panel that comes back must get exactly the
//! events it missed, or a snapshot once the buffer no longer reaches back.
//!
//! At the end everyone logs out and the buffers must be empty: a long run
//! leaves nothing behind. The suite runs a short day (the short version of
//! the soak, too); `scripts/bench.sh soak` runs the 8-hour day with 1,000
//! agents (`an_eight_hour_day_at_scale`) and prints its figures.

use std::{net::IpAddr, time::Instant};

use app::wire::native::{CstaRequest, NativeEvent, ServerFrame};
use server::{
    records::{Database, Recorder},
    relay::{Attached, Clock, Hub, Presence, RelayConfig, ReplayLimits, Sequenced},
    switch::{Switch, SwitchConfig},
};
use tokio::sync::broadcast::{Receiver, error::TryRecvError};

use crate::common::{cheap_hash, ready};

/// What one day is asked to do.
#[derive(Clone, Copy)]
struct Day {
    agents: usize,
    hours: u64,
    /// Calls per agent per hour.
    calls_per_agent_hour: u64,
    limits: ReplayLimits,
}

/// What one day measured.
#[derive(Debug, Default)]
struct DayFigures {
    calls: u64,
    events: u64,
    resumes_replayed: u64,
    resumes_snapshot: u64,
    peak_total_bytes: usize,
    peak_agent_bytes: usize,
    evicted_for_total: u64,
    largest_event: usize,
}

/// Deterministic pseudo-random numbers (xorshift): the same day every run.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

struct Agent {
    id: String,
    device: String,
    token: String,
    /// The live feed while the panel is connected, and its hold on the
    /// session (as a socket has).
    feed: Option<Receiver<Sequenced>>,
    presence: Option<Presence>,
    last_seq: u64,
    back_at: u64,
    /// Answered calls and when the agent hangs them up.
    talking: Vec<(String, u64)>,
    requests: u64,
}

impl Agent {
    /// Applies a backlog: a snapshot resets the count, replayed events must
    /// follow on one by one.
    fn apply_backlog(&mut self, backlog: &[Sequenced]) -> bool {
        let snapshot = matches!(
            backlog.first().map(|e| &e.1),
            Some(NativeEvent::Snapshot(_))
        );
        for event in backlog {
            if !snapshot {
                assert_eq!(event.0, self.last_seq + 1, "{}: gap in a replay", self.id);
            }
            self.last_seq = event.0;
        }
        snapshot
    }

    fn request(&mut self, hub: &Hub, request: CstaRequest) -> ServerFrame {
        self.requests += 1;
        hub.request(&self.token, &format!("r{}", self.requests), &request)
    }
}

fn config(agents: usize) -> SwitchConfig {
    let hash = cheap_hash("demo");
    let mut toml = String::from("reason_codes = [\"Break\"]\nwrap_up_seconds = 30\nextensions = [");
    let extensions: Vec<String> = (0..agents)
        .map(|i| format!("\"{}\"", 100_000 + i))
        .collect();
    toml.push_str(&extensions.join(","));
    toml.push_str("]\n");
    for i in 0..agents {
        toml.push_str(&format!(
            "[[agents]]\nid = \"d{i}\"\npassword = \"{hash}\"\nextension = \"{}\"\n",
            100_000 + i
        ));
    }
    let members: Vec<String> = (0..agents).map(|i| format!("\"d{i}\"")).collect();
    toml.push_str(&format!(
        "[[queues]]\nnumber = \"5000\"\nname = \"Day\"\nagents = [{}]\n",
        members.join(",")
    ));
    toml::from_str(&toml).expect("a valid day configuration")
}

async fn run(day: Day) -> DayFigures {
    let start_ms = 1_780_000_000_000; // a morning in 2026
    let clock = Clock::manual(start_ms);
    let db = Database::open("sqlite::memory:").await.unwrap();
    let hub = Hub::new(
        Switch::new(config(day.agents)),
        RelayConfig {
            replay: day.limits,
            // Sessions outlive long absences: the buffers' worst case.
            session_grace: std::time::Duration::from_secs(4 * 3600),
            clock: clock.clone(),
            ..RelayConfig::default()
        },
        Recorder::start(db),
    );
    let client: Option<IpAddr> = Some([127, 0, 0, 1].into());
    let mut agents = vec![];
    for i in 0..day.agents {
        let id = format!("d{i}");
        let Attached {
            session,
            backlog,
            feed,
        } = hub.login(&id, "demo", None, None, client).await.unwrap();
        let mut agent = Agent {
            device: session.extension.clone(),
            id,
            presence: Some(hub.present(&session.token)),
            token: session.token,
            feed: Some(feed),
            last_seq: 0,
            back_at: 0,
            talking: vec![],
            requests: 0,
        };
        agent.apply_backlog(&backlog);
        agent.request(&hub, ready());
        agents.push(agent);
    }

    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let mut figures = DayFigures::default();
    let calls_per_hour = day.calls_per_agent_hour * day.agents as u64;
    let mut owed_calls = 0u64;
    for second in 0..day.hours * 3600 {
        let now = start_ms + second * 1000;
        hub.advance_clock(now);
        // Calls arrive evenly over the hour.
        owed_calls += calls_per_hour;
        while owed_calls >= 3600 {
            owed_calls -= 3600;
            let caller = format!("+1555{:07}", dice.below(10_000_000));
            if hub
                .sim_place_call(&caller, "5000", Default::default())
                .is_ok()
            {
                figures.calls += 1;
            }
        }
        for agent in &mut agents {
            // A panel comes back: exactly what it missed, or a snapshot.
            if agent.feed.is_none() && now >= agent.back_at {
                let attached = hub.resume(&agent.token, agent.last_seq).unwrap();
                agent.token = attached.session.token;
                agent.presence = Some(hub.present(&agent.token));
                if agent.apply_backlog(&attached.backlog) {
                    figures.resumes_snapshot += 1;
                } else {
                    figures.resumes_replayed += 1;
                }
                agent.feed = Some(attached.feed);
                agent.request(&hub, ready());
            }
            let Some(mut feed) = agent.feed.take() else {
                continue;
            };
            let mut delivered = vec![];
            loop {
                match feed.try_recv() {
                    Ok(event) => {
                        assert_eq!(event.0, agent.last_seq + 1, "{}: gap live", agent.id);
                        agent.last_seq = event.0;
                        figures.events += 1;
                        figures.largest_event = figures
                            .largest_event
                            .max(serde_json::to_string(&event.1).unwrap().len());
                        if let NativeEvent::Delivered(e) = &event.1
                            && e.device == agent.device
                        {
                            delivered.push(e.call.call_id.clone());
                        }
                    }
                    Err(TryRecvError::Lagged(_)) => {
                        let attached = hub.catch_up(&agent.token, agent.last_seq).unwrap();
                        agent.apply_backlog(&attached.backlog);
                        feed = attached.feed;
                    }
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
            agent.feed = Some(feed);
            for call_id in delivered {
                let answer = CstaRequest::AnswerCall {
                    call_id: call_id.clone(),
                };
                agent.request(&hub, answer);
                agent
                    .talking
                    .push((call_id, now + 30_000 + dice.below(210) * 1000));
            }
            let due: Vec<String> = agent
                .talking
                .iter()
                .filter(|(_, at)| *at <= now)
                .map(|(call, _)| call.clone())
                .collect();
            agent.talking.retain(|(_, at)| *at > now);
            for call_id in due {
                let hang_up = CstaRequest::ClearConnection {
                    call_id,
                    device: None,
                };
                agent.request(&hub, hang_up);
            }
            // Now and then a panel goes away (a laptop lid, a network drop)
            // for up to ten minutes, between calls.
            if agent.talking.is_empty() && dice.below(2 * 3600) == 0 {
                agent.feed = None;
                agent.presence = None;
                agent.back_at = now + (60 + dice.below(540)) * 1000;
            }
        }
        let replay = hub.replay_figures();
        // The newest event is kept whatever its size: one event of slack.
        let slack = figures.largest_event + 64;
        assert!(
            replay.bytes <= day.limits.total_bytes + slack,
            "at {second} s the buffers hold {} B, over the total {}",
            replay.bytes,
            day.limits.total_bytes
        );
        assert!(
            replay.largest_agent_bytes <= day.limits.agent_bytes + slack,
            "at {second} s an agent's buffer holds {} B, over {}",
            replay.largest_agent_bytes,
            day.limits.agent_bytes
        );
        figures.peak_total_bytes = figures.peak_total_bytes.max(replay.bytes);
        figures.peak_agent_bytes = figures.peak_agent_bytes.max(replay.largest_agent_bytes);
        figures.evicted_for_total = replay.evicted_for_total;
    }
    // The end of the day: the last callers hang up, wrap-up ends, everyone
    // logs out, and nothing is left behind.
    for call in hub.sim_calls() {
        let _ = hub.sim_hang_up(&call.call_id);
    }
    hub.advance_clock(start_ms + day.hours * 3_600_000 + 120_000);
    for agent in &mut agents {
        agent.presence = None;
        let logout = CstaRequest::SetAgentState {
            state: app::wire::native::RequestedAgentState::LoggedOff,
            reason: None,
            work_mode: None,
        };
        agent.request(&hub, logout);
    }
    let left = hub.replay_figures();
    assert_eq!(
        (left.events, left.bytes),
        (0, 0),
        "buffers left after logout: {left:?}"
    );
    figures
}

fn report(day: &Day, figures: &DayFigures, took: std::time::Duration) {
    eprintln!(
        "day: {} agents, {} h in {:.1} s: {} calls, {} events; resumes {} replayed, {} by snapshot; \
         replay buffers peak {} B of {} B total, {} B of {} B per agent; {} events evicted for the total",
        day.agents,
        day.hours,
        took.as_secs_f64(),
        figures.calls,
        figures.events,
        figures.resumes_replayed,
        figures.resumes_snapshot,
        figures.peak_total_bytes,
        day.limits.total_bytes,
        figures.peak_agent_bytes,
        day.limits.agent_bytes,
        figures.evicted_for_total
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_day_keeps_the_replay_buffers_within_their_bounds() {
    // Tight bounds, so both are reached: an agent's buffer fills its 2 KiB
    // within a few calls, and 40 such buffers would hold more than the
    // 48 KiB of the total.
    let day = Day {
        agents: 40,
        hours: 2,
        calls_per_agent_hour: 12,
        limits: ReplayLimits {
            events: 1024,
            agent_bytes: 2 * 1024,
            total_bytes: 48 * 1024,
        },
    };
    let began = Instant::now();
    let figures = run(day).await;
    report(&day, &figures, began.elapsed());
    assert!(figures.calls > 500 && figures.events > 3_000, "{figures:?}");
    assert!(
        figures.peak_total_bytes > 40 * 1024,
        "the total was never approached: {figures:?}"
    );
    assert!(
        figures.peak_agent_bytes > 1536,
        "no agent's buffer filled up: {figures:?}"
    );
    assert!(
        figures.evicted_for_total > 0,
        "the total never had to evict: {figures:?}"
    );
    assert!(
        figures.resumes_replayed > 0 && figures.resumes_snapshot > 0,
        "both kinds of resume: {figures:?}"
    );
}

/// `scripts/bench.sh soak`: 1,000 agents for 8 hours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run by scripts/bench.sh soak"]
async fn an_eight_hour_day_at_scale() {
    let day = Day {
        agents: 1000,
        hours: 8,
        calls_per_agent_hour: 10,
        limits: ReplayLimits {
            total_bytes: 32 * 1024 * 1024,
            ..ReplayLimits::default()
        },
    };
    let began = Instant::now();
    let figures = run(day).await;
    report(&day, &figures, began.elapsed());
}
