//! A login storm: hundreds of concurrent logins with wrong passwords, each
//! from a loopback address of its own range (so no per-address lockout
//! turns them away before their check), while the demo agents log in with
//! the right one. The password checks are bounded: memory stays where it
//! was (before the bound, 300 such logins held 5.7 GB), every login gets an
//! answer at once (refused, or "busy, try again"), and the right passwords
//! get in, during the storm (retrying when told to) and after it at once.
//! `scripts/bench.sh logins` measures the same at 1,000 logins.

use std::{net::IpAddr, sync::Arc};

use app::opencti::ErrorCode;
use tokio::sync::Notify;

use crate::common::*;

const GUESSES: usize = 300;

/// The server's resident memory (this process: the server runs in it).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Four guesses per address: under the per-address limit of 20.
fn guesser_address(i: usize) -> IpAddr {
    IpAddr::from([127, 1, (i / 4 / 250) as u8, (i / 4 % 250 + 1) as u8])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_storm_is_bounded_and_right_passwords_still_get_in() {
    let server = Arc::new(TestServer::start(&[]).await);
    // One login first: the checkers' working memory is part of idle.
    server.agent("1004").await;
    let idle = rss_mib();

    let done = Arc::new(Notify::new());
    let sampler = tokio::spawn({
        let done = done.clone();
        async move {
            let mut peak = rss_mib();
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(5));
            loop {
                tokio::select! {
                    _ = tick.tick() => peak = peak.max(rss_mib()),
                    () = done.notified() => return peak,
                }
            }
        }
    });

    // Every guesser connects first, then all send their login together.
    let mut guessers = vec![];
    for i in 0..GUESSES {
        guessers.push(server.panel_from(guesser_address(i)).await);
    }
    let storm: Vec<_> = guessers
        .into_iter()
        .enumerate()
        .map(|(i, mut panel)| {
            tokio::spawn(async move {
                let answer = panel.login_as(&format!("x{i}"), "wrong", None, None).await;
                answer.err().map(|e| e.err_code)
            })
        })
        .collect();
    // The right passwords, retrying on "busy" as the panel's user would.
    let agents: Vec<_> = ["1001", "1002", "1003"]
        .into_iter()
        .map(|agent| {
            let server = server.clone();
            tokio::spawn(async move {
                let mut panel = server.panel().await;
                let mut busy = 0;
                loop {
                    match panel.login_as(agent, "demo", None, None).await {
                        Ok(_) => return busy,
                        Err(e) if e.err_code == ErrorCode::HttpError(503) => {
                            assert!(e.err_message.contains("try again"), "{e:?}");
                            busy += 1;
                            // Back off before retrying (not a wait for state).
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                        Err(e) => panic!("{agent}: {e:?}"),
                    }
                }
            })
        })
        .collect();

    let (mut refused, mut busy) = (0, 0);
    for guess in storm {
        match guess.await.unwrap() {
            Some(ErrorCode::Unauthorized) => refused += 1,
            Some(ErrorCode::HttpError(503)) => busy += 1,
            other => panic!("a wrong password was answered {other:?}"),
        }
    }
    for agent in agents {
        agent.await.unwrap();
    }
    done.notify_one();
    let peak = sampler.await.unwrap();
    eprintln!(
        "{GUESSES} wrong logins: {refused} refused after their check, {busy} told to retry; \
         RSS idle {idle:.0} MiB, peak {peak:.0} MiB"
    );
    assert!(busy > 0, "the storm never reached the bound");
    assert!(refused >= 2, "checks ran during the storm");
    // Unbounded, these checks held 19 MiB each (5.7 GB for 300).
    assert!(
        peak - idle < 200.0,
        "memory grew by {:.0} MiB during the storm",
        peak - idle
    );
    // After the storm a right password gets in at once, and the metric
    // counts the logins told to retry.
    server.agent("1002").await;
    let counted = server.metric("ccp_logins_refused_busy_total").await;
    assert!(counted >= Some(busy as f64), "{counted:?}");
}
