//! A thousand forced socket drops during steady traffic: 10 agents, a call
//! to every agent's extension every 100 ms, each agent's panel dropping its
//! socket (no close handshake) and resuming on a new one, a hundred times.
//! Every agent's events, as its dropping panel applied them, must equal the
//! server's — taken from a second tab of the same session that never drops
//! — with no gap and no duplicate.

use std::{sync::Arc, time::Duration};

use crate::common::*;
use app::wire::native::{CstaRequest, NativeEvent};
use tokio::sync::Notify;

const AGENTS: usize = 10;
const DROPS_PER_AGENT: usize = 100;

/// Ten agents `a0`…`a9` on extensions 3000…3009, no wrap-up.
fn config_file() -> std::path::PathBuf {
    let hash = cheap_hash("demo");
    let extensions: Vec<String> = (0..AGENTS).map(|i| format!("\"{}\"", 3000 + i)).collect();
    let mut toml = format!(
        "extensions = [{}]\nreason_codes = [\"Break\"]\nwrap_up_seconds = 0\nqueues = []\n",
        extensions.join(",")
    );
    for i in 0..AGENTS {
        toml.push_str(&format!(
            "[[agents]]\nid = \"a{i}\"\npassword = \"{hash}\"\nextension = \"{}\"\n",
            3000 + i
        ));
    }
    let dir = std::env::temp_dir().join(format!("ccp-drops-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("switch.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// Reads frames for at most `window`, recording events.
async fn read_for(panel: &mut Panel, window: Duration) {
    let _ = tokio::time::timeout(window, async {
        while panel.next_frame().await.is_some() {}
    })
    .await;
}

/// Events after `after`, snapshots left out.
fn events_after(panel: &Panel, after: u64) -> Vec<(u64, NativeEvent)> {
    panel
        .events
        .iter()
        .filter(|(seq, e)| *seq > after && !matches!(e, NativeEvent::Snapshot(_)))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_drops_lose_and_repeat_nothing() {
    let config = config_file();
    let server = Arc::new(TestServer::start(&["--config", config.to_str().unwrap()]).await);
    let stop = Arc::new(Notify::new());

    // Traffic: every 100 ms a call rings every agent's extension; the
    // previous round's callers hang up.
    let traffic = {
        let server = server.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut ringing: Vec<String> = vec![];
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let mut calls = 0;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = stop.notified() => break,
                }
                for call in ringing.drain(..) {
                    server.hub.sim_hang_up(&call).ok();
                }
                for i in 0..AGENTS {
                    let to = (3000 + i).to_string();
                    if let Ok(call) = server.hub.sim_place_call(CALLER, &to, Default::default()) {
                        ringing.push(call);
                        calls += 1;
                    }
                }
            }
            for call in ringing {
                server.hub.sim_hang_up(&call).ok();
            }
            calls
        })
    };

    let mut agents = vec![];
    for i in 0..AGENTS {
        let server = server.clone();
        agents.push(tokio::spawn(async move {
            let agent = format!("a{i}");
            let mut panel = server.panel().await;
            panel.login(&agent).await.unwrap();
            // The witness: a second tab of the session that never drops.
            let mut witness = server.panel().await;
            witness.login(&agent).await.unwrap();
            let from = witness.last_seq();
            let mut drops = 0;
            let mut replays = 0;
            for round in 0..DROPS_PER_AGENT {
                // The witness reads while the panel mostly does not: events
                // pile up unread in the panel's socket, and are lost with it.
                read_for(
                    &mut witness,
                    Duration::from_millis(10 + (round % 3) as u64 * 10),
                )
                .await;
                if round % 4 == 0 {
                    read_for(&mut panel, Duration::from_millis(5)).await;
                }
                // A forced drop: the socket goes without a close handshake.
                let token = panel.token();
                let last = panel.last_seq();
                let carried = std::mem::take(&mut panel.events);
                drop(panel);
                drops += 1;
                panel = server.panel().await;
                panel.events = carried;
                // Events the session had numbered that this panel had not
                // applied when it dropped: the resume must replay them.
                read_for(&mut witness, Duration::from_millis(1)).await;
                if witness.last_seq() > last {
                    replays += 1;
                }
                panel.resume(&token, last).await.unwrap();
            }
            (agent, panel, witness, from, drops, replays)
        }));
    }
    let mut finished = vec![];
    for agent in agents {
        finished.push(agent.await.unwrap());
    }
    stop.notify_one();
    let calls = traffic.await.unwrap();

    let mut total_drops = 0;
    let mut total_events = 0;
    let mut total_replays = 0;
    for (agent, mut panel, mut witness, from, drops, replays) in finished {
        total_drops += drops;
        total_replays += replays;
        // A request's events all arrive before its response: after these,
        // both sockets hold everything the server numbered so far.
        panel.ok(CstaRequest::GetDirectory).await;
        witness.ok(CstaRequest::GetDirectory).await;
        let applied = events_after(&panel, from);
        let truth = events_after(&witness, from);
        assert!(!truth.is_empty(), "{agent}: no traffic reached the session");
        assert_eq!(
            applied, truth,
            "{agent}: the dropping panel differs from the server"
        );
        // No gap, no duplicate: numbered one by one.
        for pair in applied.windows(2) {
            assert_eq!(
                pair[1].0,
                pair[0].0 + 1,
                "{agent}: gap or repeat after {}",
                pair[0].0
            );
        }
        // Only the login's snapshot: every resume was a replay.
        let snapshots = panel
            .events
            .iter()
            .filter(|(_, e)| matches!(e, NativeEvent::Snapshot(_)))
            .count();
        assert_eq!(snapshots, 1, "{agent}: a resume fell back to a snapshot");
        total_events += applied.len();
    }
    assert_eq!(total_drops, AGENTS * DROPS_PER_AGENT);
    assert!(calls > 0 && total_events > 0);
    assert!(total_replays > 0, "no resume had anything to replay");
    eprintln!(
        "{total_drops} drops ({total_replays} with events to replay), {calls} calls, \
         {total_events} events compared"
    );
}
