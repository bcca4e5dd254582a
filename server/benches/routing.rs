//! Routing decisions at contact-center scale, on the pure switch in
//! simulated time (no sockets, no clock: only the switch's own work is
//! timed).
//!
//! `--agents N` agents (default 10,000) each have three of `--skills S`
//! skills (default 50) at a proficiency of 1–5; there is one queue per
//! skill. Calls arrive at `--rate` calls per simulated second (default 200)
//! into a random queue for `--seconds` (default 60) after `--warm-up`
//! (default 180: the calls in progress reach their steady level); agents answer one second after the call rings and hang up
//! after `--handle` seconds on average (default 40: the agents are about
//! 80 % busy, so queues form and drain).
//!
//! Two runs of the same arrivals, one after the other:
//! - **skills**: queues require their skill; a third of them have
//!   `expand_after_seconds = 10`, and priorities vary;
//! - **listed** (the baseline, the routing of before skills existed): the
//!   same queues list their agents by name, with no skills.
//!
//! Printed: the switch's time per input that routes (a call arriving, an
//! agent freed by a hang-up, an expansion timer), p50/p99/max, and how long
//! calls waited (simulated), per run. One run:
//! `cargo bench -p server --bench routing -- --agents 10000 --rate 200`.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap},
    time::Instant,
};

use app::{opencti::UserData, wire::native::NativeEvent};
use rand::{Rng, SeedableRng, rngs::StdRng};
use server::switch::{
    Switch, Timer,
    config::{AgentConfig, DEMO_PASSWORD_HASH, QueueConfig, SwitchConfig},
};

mod support;
use support::{arg, percentile};

/// What the simulation does next, in simulated milliseconds.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Arrival,
    Answer { agent: String, call: String },
    HangUp { agent: String, call: String },
    Timer(usize),
}

struct Load {
    agents: usize,
    skills: usize,
    rate: f64,
    seconds: f64,
    warm_up: f64,
    handle: f64,
}

/// The agents' skills, the same for both runs: three distinct skills each.
fn skills_of(load: &Load, rng: &mut StdRng) -> Vec<BTreeMap<String, u8>> {
    (0..load.agents)
        .map(|_| {
            let mut skills = BTreeMap::new();
            while skills.len() < 3.min(load.skills) {
                skills.insert(
                    format!("skill{}", rng.random_range(0..load.skills)),
                    rng.random_range(1..=5),
                );
            }
            skills
        })
        .collect()
}

fn config(load: &Load, skills: &[BTreeMap<String, u8>], by_skill: bool) -> SwitchConfig {
    let agents: Vec<AgentConfig> = skills
        .iter()
        .enumerate()
        .map(|(n, skills)| AgentConfig {
            id: format!("3{n:05}"),
            password: DEMO_PASSWORD_HASH.into(),
            extension: format!("4{n:05}"),
            name: String::new(),
            telephony_mode: Default::default(),
            skills: if by_skill {
                skills.clone()
            } else {
                BTreeMap::new()
            },
        })
        .collect();
    let queues = (0..load.skills)
        .map(|s| {
            let skill = format!("skill{s}");
            let number = format!("6{s:04}");
            if by_skill {
                QueueConfig {
                    skills: vec![skill],
                    expand_after_seconds: (s % 3 == 0).then_some(10),
                    priority: (s % 4) as u8,
                    ..QueueConfig::served_by(&number, &number, &[])
                }
            } else {
                let members: Vec<String> = agents
                    .iter()
                    .zip(skills)
                    .filter(|(_, k)| k.contains_key(&skill))
                    .map(|(a, _)| a.id.clone())
                    .collect();
                QueueConfig::served_by(&number, &number, &members)
            }
        })
        .collect();
    SwitchConfig {
        extensions: agents.iter().map(|a| a.extension.clone()).collect(),
        agents,
        queues,
        flows: vec![],
        wrap_up_seconds: 0,
        supervisors: vec![],
        sip_phones: vec![],
        ..SwitchConfig::demo()
    }
}

/// The figures of one run.
struct Figures {
    routing_us: Vec<f64>,
    waited_ms: Vec<f64>,
    calls: usize,
}

fn run(load: &Load, config: SwitchConfig, seed: u64) -> Figures {
    config
        .validate()
        .expect("the benchmark's configuration is valid");
    let queues: Vec<String> = config.queues.iter().map(|q| q.number.clone()).collect();
    let ids: Vec<String> = config.agents.iter().map(|a| a.id.clone()).collect();
    let mut sw = Switch::new(config);
    let mut now = 1_000u64;
    sw.advance_to(now);
    for id in &ids {
        sw.login(id, None, None).expect("agents log in");
        sw.set_ready(id, None).expect("agents go Ready");
    }
    sw.take_output();

    let mut rng = StdRng::seed_from_u64(seed);
    let mut steps: BinaryHeap<Reverse<(u64, u64, Step)>> = BinaryHeap::new();
    let mut order = 0u64;
    let mut schedule = |steps: &mut BinaryHeap<_>, at: u64, step: Step| {
        order += 1;
        steps.push(Reverse((at, order, step)));
    };
    let mut timers: Vec<Option<Timer>> = Vec::new();
    let gap_ms = 1000.0 / load.rate;
    let warm_up = now + (load.warm_up * 1000.0) as u64;
    let end = warm_up + (load.seconds * 1000.0) as u64;
    schedule(&mut steps, now, Step::Arrival);

    let mut rung_at: BTreeMap<String, u64> = BTreeMap::new();
    let mut figures = Figures {
        routing_us: Vec::new(),
        waited_ms: Vec::new(),
        calls: 0,
    };
    let mut caller = 0u64;
    while let Some(Reverse((at, _, step))) = steps.pop() {
        if at > end {
            break;
        }
        now = at;
        sw.advance_to(now);
        let started = Instant::now();
        let routes = match step {
            Step::Arrival => {
                caller += 1;
                let queue = &queues[rng.random_range(0..queues.len())];
                let call = sw
                    .sim_place_call(&format!("+1555{caller:07}"), queue, UserData::new())
                    .expect("a queue takes calls");
                rung_at.insert(call, now);
                let next = now + (-gap_ms * rng.random::<f64>().max(1e-9).ln()) as u64;
                schedule(&mut steps, next, Step::Arrival);
                true
            }
            Step::Answer { agent, call } => {
                // The caller may be long gone; the agent may be too.
                let _ = sw.answer(&agent, &call);
                false
            }
            Step::HangUp { agent, call } => {
                let _ = sw.hang_up(&agent, &call);
                true
            }
            Step::Timer(n) => {
                let Some(timer) = timers[n].take() else {
                    continue;
                };
                let routes = matches!(timer, Timer::QueueWait { .. });
                sw.timer_due(timer);
                routes
            }
        };
        let took = started.elapsed().as_secs_f64() * 1e6;
        let measured = now >= warm_up;
        if routes && measured {
            figures.routing_us.push(took);
        }
        let out = sw.take_output();
        for delivery in out.deliveries {
            if let NativeEvent::Delivered(e) = delivery.event {
                let call = e.call.call_id.to_string();
                if let Some(queued) = rung_at.remove(&call)
                    && measured
                {
                    figures.waited_ms.push((now - queued) as f64);
                    figures.calls += 1;
                }
                let handle = (-load.handle * 1000.0 * rng.random::<f64>().max(1e-9).ln()) as u64;
                let agent = delivery.agent_id.to_string();
                schedule(
                    &mut steps,
                    now + 1_000,
                    Step::Answer {
                        agent: agent.clone(),
                        call: call.clone(),
                    },
                );
                schedule(
                    &mut steps,
                    now + 1_000 + handle,
                    Step::HangUp { agent, call },
                );
            }
        }
        for timer in out.timers {
            let at = timer.at();
            timers.push(Some(timer));
            schedule(&mut steps, at, Step::Timer(timers.len() - 1));
        }
    }
    println!(
        "  {} calls offered in the measured {} s; {} waiting at the end",
        figures.calls,
        load.seconds,
        rung_at.len()
    );
    figures
}

fn print(name: &str, figures: &Figures, baseline: Option<&Figures>) {
    let p = |v: &[f64], q| percentile(v, q);
    let r = &figures.routing_us;
    print!(
        "{name:>8}: routing input p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs ({} inputs); waited p50 {:.0} ms, p99 {:.0} ms",
        p(r, 0.5),
        p(r, 0.99),
        p(r, 1.0),
        r.len(),
        p(&figures.waited_ms, 0.5),
        p(&figures.waited_ms, 0.99),
    );
    if let Some(base) = baseline {
        print!(
            "; p99 {:.2}× the baseline's",
            p(r, 0.99) / p(&base.routing_us, 0.99)
        );
    }
    println!();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let load = Load {
        agents: arg(&args, "--agents", 10_000.0) as usize,
        skills: arg(&args, "--skills", 50.0) as usize,
        rate: arg(&args, "--rate", 200.0),
        seconds: arg(&args, "--seconds", 60.0),
        warm_up: arg(&args, "--warm-up", 180.0),
        handle: arg(&args, "--handle", 40.0),
    };
    println!(
        "routing: {} agents, {} skills, {} calls/s, {} s measured after {} s of warm-up, {} s handle time",
        load.agents, load.skills, load.rate, load.seconds, load.warm_up, load.handle
    );
    let skills = skills_of(&load, &mut StdRng::seed_from_u64(7));
    let listed = run(&load, config(&load, &skills, false), 11);
    print("listed", &listed, None);
    let skilled = run(&load, config(&load, &skills, true), 11);
    print("skills", &skilled, Some(&listed));
}
