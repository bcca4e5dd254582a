//! The SIP edge against SIPp (Debian's `sip-tester`) running the
//! scenario files of `end2end/sip/`: software nobody here wrote, playing
//! a trunk's caller and a trunk.

use std::{path::PathBuf, process::Stdio, time::Duration};

use app::wire::native::CstaRequest;
use tokio::process::{Child, Command};

use crate::common::{PATIENCE, Panel, TestServer, answer, hang_up, hold, ready, retrieve};

/// A port free now on loopback (for SIPp's own signalling and media).
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../end2end/sip")
        .join(name)
}

/// Starts SIPp with `scenario` and `args`; it runs one call.
fn sipp(name: &str, args: &[String]) -> Child {
    let mut command = Command::new("sipp");
    command.arg("-sf").arg(scenario(name));
    run_sipp(command, args)
}

/// A directory of its own for a SIPp run, where `pcap/` holds the
/// recordings Debian's sip-tester ships (audio, and a telephone-event for
/// every key).
fn with_recordings(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ccp-sipp-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let recordings = dir.join("pcap");
    if !recordings.exists() {
        std::os::unix::fs::symlink("/usr/share/sip-tester", &recordings).unwrap();
    }
    dir
}

/// Starts one of SIPp's own built-in scenarios (`-sn`), unchanged (the
/// built-in `uac_pcap` plays `pcap/g711a.pcap` and `pcap/dtmf_2833_1.pcap`).
fn sipp_builtin(name: &str, args: &[String]) -> Child {
    let mut command = Command::new("sipp");
    command
        .arg("-sn")
        .arg(name)
        .current_dir(with_recordings(name));
    run_sipp(command, args)
}

/// Starts `scenario` where it can play the key presses of `pcap/`.
fn sipp_pressing_keys(name: &str, args: &[String]) -> Child {
    let mut command = Command::new("sipp");
    command
        .arg("-sf")
        .arg(scenario(name))
        .current_dir(with_recordings(name));
    run_sipp(command, args)
}

fn run_sipp(mut command: Command, args: &[String]) -> Child {
    command
        .args(["-i", "127.0.0.1", "-mi", "127.0.0.1", "-m", "1", "-nostdin"])
        .args(["-timeout", "30s", "-timeout_error"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("sipp (Debian sip-tester) is installed: scripts/setup.sh")
}

/// Waits for SIPp to finish its call; its exit status says whether the
/// scenario ran as written.
async fn finished(child: Child) {
    let output = tokio::time::timeout(Duration::from_secs(40), child.wait_with_output())
        .await
        .expect("SIPp finished")
        .unwrap();
    assert!(
        output.status.success(),
        "SIPp's scenario failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Waits until a UDP port is bound (SIPp listening as a trunk).
async fn bound(port: u16) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "SIPp never listened on {port}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Audio from the SIP party has reached the switch on `call_id`.
async fn audio_arrives(server: &TestServer, call_id: &str, what: &str) {
    wait_for(what, async || {
        server
            .calls()
            .await
            .iter()
            .any(|c| c["callId"] == call_id && c["audio"]["received"].as_u64() > Some(10))
    })
    .await;
}

/// The call ringing the agent comes from `caller`, for the simulator's
/// view and in the OpenCTI events the panel gets (`pyANI`).
async fn ringing_from(server: &TestServer, agent: &mut Panel, caller: &str) -> String {
    let call_id = agent.expect_ringing().await;
    let calls = server.calls().await;
    let call = calls.iter().find(|c| c["callId"] == call_id).unwrap();
    assert_eq!(call["from"], caller);
    assert!(
        agent
            .opencti
            .iter()
            .map(|e| serde_json::to_value(e).unwrap())
            .any(|e| e["pyCallId"] == call_id.as_str() && e["pyANI"] == caller),
        "the panel is told the caller ID as received"
    );
    call_id
}

async fn sip_server(extra: &[&str]) -> TestServer {
    let mut flags = vec!["--sip-addr", "127.0.0.1:0", "--wrap-up-seconds", "0"];
    flags.extend_from_slice(extra);
    TestServer::start(&flags).await
}

fn target(server: &TestServer) -> String {
    server.hub.sip_addr().unwrap().to_string()
}

#[tokio::test]
async fn sipp_calls_a_queue_an_agent_answers_and_audio_goes_both_ways() {
    let server = sip_server(&[]).await;
    let mut agent = server.agent("1001").await;
    agent.ok(ready()).await;
    let media = free_udp_port();
    let caller = sipp(
        "inbound-queue.xml",
        &[
            "-s".into(),
            "5000".into(),
            target(&server),
            "-p".into(),
            free_udp_port().to_string(),
            "-mp".into(),
            media.to_string(),
            "-rtp_echo".into(),
        ],
    );
    let call_id = agent.expect_ringing().await;
    let call = server
        .calls()
        .await
        .into_iter()
        .find(|c| c["callId"] == call_id)
        .unwrap();
    assert_eq!(call["from"], "+15551230001");
    assert_eq!(call["data"]["AccountId"], "12345");
    agent.ok(answer(&call_id)).await;
    // SIPp echoes what the switch sends it: audio arriving back from its
    // media port went there and back.
    audio_arrives(&server, &call_id, "the switch's audio comes back from SIPp").await;
    agent.ok(hang_up(&call_id)).await;
    finished(caller).await;
}

#[tokio::test]
async fn sipps_stock_uac_pcap_caller_is_answered_and_keeps_its_caller_id() {
    // `From: sipp <sip:sipp@…>`: no telephone number, a customer all the same.
    let server = sip_server(&[]).await;
    let mut agent = server.agent("1001").await;
    agent.ok(ready()).await;
    let caller = sipp_builtin(
        "uac_pcap",
        &[
            "-s".into(),
            "5000".into(),
            target(&server),
            "-p".into(),
            free_udp_port().to_string(),
            "-mp".into(),
            free_udp_port().to_string(),
        ],
    );
    let call_id = ringing_from(&server, &mut agent, "sipp").await;
    agent.ok(answer(&call_id)).await;
    // SIPp plays its G.711 A-law recording into the call, then hangs up.
    audio_arrives(
        &server,
        &call_id,
        "SIPp's recorded audio reaches the switch",
    )
    .await;
    finished(caller).await;
    wait_for(
        "the call is recorded with the caller ID received",
        async || {
            let records = server.records().await;
            records.first().is_some_and(|r| {
                r["callId"] == call_id && r["ani"] == "sipp" && r["outcome"] == "answered"
            })
        },
    )
    .await;
}

#[tokio::test]
async fn a_caller_who_withholds_their_number_is_answered_as_anonymous() {
    let server = sip_server(&[]).await;
    let mut agent = server.agent("1001").await;
    agent.ok(ready()).await;
    let caller = sipp(
        "anonymous-caller.xml",
        &[
            "-s".into(),
            "5000".into(),
            target(&server),
            "-p".into(),
            free_udp_port().to_string(),
        ],
    );
    let call_id = ringing_from(&server, &mut agent, "anonymous").await;
    // Privacy: id — the asserted number is not shown to anyone.
    let calls = server.calls().await;
    assert!(!serde_json::to_string(&calls).unwrap().contains("7654321"));
    agent.ok(answer(&call_id)).await;
    agent.ok(hang_up(&call_id)).await;
    finished(caller).await;
    wait_for("the call is recorded as anonymous", async || {
        let records = server.records().await;
        records
            .first()
            .is_some_and(|r| r["callId"] == call_id && r["ani"] == "anonymous")
    })
    .await;
}

#[tokio::test]
async fn a_sipp_caller_who_hangs_up_while_queued_is_abandoned() {
    let server = sip_server(&[]).await;
    // Logged in, not ready: the queue is staffed and the call waits.
    let _agent = server.agent("1001").await;
    let caller = sipp(
        "queued-hangup.xml",
        &[
            "-s".into(),
            "5000".into(),
            target(&server),
            "-p".into(),
            free_udp_port().to_string(),
        ],
    );
    finished(caller).await;
    wait_for("the call is recorded as abandoned", async || {
        let records = server.records().await;
        records.first().is_some_and(|r| r["outcome"] == "abandoned")
    })
    .await;
}

#[tokio::test]
async fn a_call_out_through_a_sipp_trunk_is_answered_held_retrieved_and_hung_up() {
    let port = free_udp_port();
    let trunk = sipp(
        "trunk-answer.xml",
        &[
            "-p".into(),
            port.to_string(),
            "-mp".into(),
            free_udp_port().to_string(),
            "-rtp_echo".into(),
        ],
    );
    bound(port).await;
    let uri = format!("sip:127.0.0.1:{port}");
    let server = sip_server(&["--sip-trunk", &uri]).await;
    let mut agent = server.agent("1001").await;
    let call_id = agent
        .ok(CstaRequest::MakeCall {
            destination: "+15559990000".into(),
            user_data: None,
        })
        .await
        .unwrap();
    agent.expect_call_state(&call_id, "Established").await;
    wait_for("the trunk's echo of our audio", async || {
        server
            .calls()
            .await
            .iter()
            .any(|c| c["callId"] == call_id && c["audio"]["received"].as_u64() > Some(10))
    })
    .await;
    agent.ok(hold(&call_id)).await;
    agent.expect_call_state(&call_id, "Held").await;
    agent.ok(retrieve(&call_id)).await;
    agent.expect_call_state(&call_id, "Retrieved").await;
    agent.ok(hang_up(&call_id)).await;
    finished(trunk).await;
}

/// A trunk caller to the demo's main line (5100) pressing keys as RFC 4733
/// telephone-events: the agent who gets the call sees where it came from.
async fn caller_through_the_main_line(scenario: &str) -> (TestServer, Panel, String, Child) {
    let server = sip_server(&[]).await;
    let mut agent = server.agent("1001").await;
    agent.ok(ready()).await;
    let caller = sipp_pressing_keys(
        scenario,
        &[
            "-s".into(),
            "5100".into(),
            target(&server),
            "-p".into(),
            free_udp_port().to_string(),
            "-mp".into(),
            free_udp_port().to_string(),
        ],
    );
    let call_id = agent.expect_ringing().await;
    (server, agent, call_id, caller)
}

#[tokio::test]
async fn a_sipp_caller_who_presses_2_reaches_the_support_queue() {
    let (server, mut agent, call_id, caller) =
        caller_through_the_main_line("ivr-press-2.xml").await;
    let call = server
        .calls()
        .await
        .into_iter()
        .find(|c| c["callId"] == call_id)
        .unwrap();
    assert_eq!(call["queue"], "5001");
    assert_eq!(call["digits"], "2");
    agent.ok(answer(&call_id)).await;
    agent.ok(hang_up(&call_id)).await;
    finished(caller).await;
}

#[tokio::test]
async fn a_sipp_caller_enters_an_account_number_that_the_agent_is_shown() {
    let (server, mut agent, call_id, caller) =
        caller_through_the_main_line("ivr-account.xml").await;
    let call = server
        .calls()
        .await
        .into_iter()
        .find(|c| c["callId"] == call_id)
        .unwrap();
    assert_eq!(call["queue"], "5001");
    assert_eq!(call["data"]["account"], "579", "digits {}", call["digits"]);
    agent.ok(answer(&call_id)).await;
    agent.ok(hang_up(&call_id)).await;
    finished(caller).await;
}
