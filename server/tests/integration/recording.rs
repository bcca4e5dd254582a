//! Call recording end to end: a softphone (the Rust WebRTC peer, sending a
//! tone) answers a simulated customer (speaking the demo's prompt); the
//! recording's left channel carries the customer, its right the agent.

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use app::{
    opencti::events::RecordingState,
    wire::native::{CstaRequest, NativeEvent},
};
use serde_json::{Value, json};

use crate::{
    audio::agent_with_audio,
    common::{Panel, TestServer, answer, hang_up},
};

/// What a recording holds so far: seconds the header counts, and the
/// loudest sample of each channel.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Heard {
    /// Samples per channel the header counts.
    samples: u32,
    seconds: f64,
    customer_peak: u16,
    agent_peak: u16,
}

fn heard(path: &Path) -> Option<Heard> {
    heard_from(path, 0)
}

/// What a recording holds from sample `from` (per channel) on.
fn heard_from(path: &Path, from: u32) -> Option<Heard> {
    let mut reader = hound::WavReader::open(path).ok()?;
    let spec = reader.spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 8_000, 16)
    );
    let seconds = f64::from(reader.duration()) / 8_000.0;
    let samples: Vec<i16> = reader
        .samples::<i16>()
        .map_while(Result::ok)
        .skip(from as usize * 2)
        .collect();
    let peak = |channel: usize| {
        samples
            .chunks(2)
            .filter_map(|s| s.get(channel))
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap_or(0)
    };
    Some(Heard {
        samples: reader.duration(),
        seconds,
        customer_peak: peak(0),
        agent_peak: peak(1),
    })
}

/// The one file in `dir`, once the writer has made it.
fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// Waits (up to 15 s) until `check` holds for the recording in `dir`.
async fn until(dir: &Path, what: &str, check: impl Fn(&Heard) -> bool) -> Heard {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = files(dir).first().and_then(|p| heard(p));
        if let Some(h) = now.filter(|h| check(h)) {
            return h;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the recording holds {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_recorded_call_has_the_customer_left_and_the_agent_right_written_as_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&[
        "--wrap-up-seconds",
        "0",
        "--record-all",
        "--recordings-dir",
        dir.path().to_str().unwrap(),
    ])
    .await;
    let (mut panel, client, call_id) = agent_with_audio(&server, "1001").await;
    // Ringing: nothing is recorded before the answer.
    assert!(files(dir.path()).is_empty());
    panel.ok(answer(&call_id)).await;
    // Both voices reach the file while the call goes on (the header is
    // brought up to date every second).
    let during = until(dir.path(), "both sides while talking", |h| {
        h.seconds >= 1.0 && h.customer_peak > 1_000 && h.agent_peak > 1_000
    })
    .await;
    assert_eq!(server.metric("ccp_recordings").await, Some(1.0));
    panel.ok(hang_up(&call_id)).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.metric("ccp_recordings").await != Some(0.0) {
        assert!(Instant::now() < deadline, "the recording never closed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let paths = files(dir.path());
    assert_eq!(paths.len(), 1, "one file per call: {paths:?}");
    let name = paths[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with(&format!("{call_id}-")) && name.ends_with(".wav"),
        "{name}"
    );
    let last = heard(&paths[0]).unwrap();
    assert!(last.seconds >= during.seconds, "{during:?} then {last:?}");
    let bytes = server
        .metric("ccp_recording_written_bytes_total")
        .await
        .unwrap();
    assert_eq!(
        bytes,
        f64::from(last.samples) * 4.0,
        "every byte written is counted"
    );
    assert_eq!(
        server.metric("ccp_recording_frames_dropped_total").await,
        Some(0.0)
    );
    drop(client);
    server.stop();
}

#[tokio::test]
async fn calls_are_not_recorded_unless_their_queue_or_the_server_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&[
        "--wrap-up-seconds",
        "0",
        "--recordings-dir",
        dir.path().to_str().unwrap(),
    ])
    .await;
    let (mut panel, client, call_id) = agent_with_audio(&server, "1001").await;
    panel.ok(answer(&call_id)).await;
    client
        .until("the customer's prompt", |h| h.packets > 50)
        .await;
    assert_eq!(server.metric("ccp_recordings").await, Some(0.0));
    panel.ok(hang_up(&call_id)).await;
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
    drop(client);
    server.stop();
}

/// Sends a recording control and waits for the panel to hear of it.
async fn set_recording(panel: &mut Panel, request: CstaRequest, state: RecordingState) {
    panel.ok(request).await;
    panel
        .expect(
            |e| matches!(e, NativeEvent::RecordingChanged(e) if e.call.recording == Some(state)),
        )
        .await;
}

/// Waits until the file holds `seconds` more than `after` samples, then
/// returns what its last part (past the first 1.5 s after `after`) holds.
async fn tail_after(dir: &Path, after: u32, what: &str) -> Heard {
    let wanted = after + 3 * 8_000;
    until(dir, what, |h| h.samples >= wanted).await;
    heard_from(&files(dir)[0], after + 12_000).unwrap()
}

#[tokio::test]
async fn a_paused_span_is_silence_listed_in_the_record_and_the_file_is_served_by_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&[
        "--wrap-up-seconds",
        "0",
        "--record-all",
        "--recordings-dir",
        dir.path().to_str().unwrap(),
    ])
    .await;
    let (mut panel, client, call_id) = agent_with_audio(&server, "1001").await;
    // Nothing to pause while it rings.
    let refused = panel
        .request(CstaRequest::PauseRecording {
            call_id: call_id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused.err_code.to_string(),
        "OPENCTI_CF_INVALID_OBJECT_STATE"
    );
    panel.ok(answer(&call_id)).await;
    panel
        .expect(|e| {
            matches!(e, NativeEvent::RecordingChanged(e)
                if e.call.recording == Some(RecordingState::Active))
        })
        .await;
    until(dir.path(), "both sides while talking", |h| {
        h.customer_peak > 1_000 && h.agent_peak > 1_000
    })
    .await;

    let pause = CstaRequest::PauseRecording {
        call_id: call_id.clone(),
    };
    set_recording(&mut panel, pause.clone(), RecordingState::Paused).await;
    let refused = panel.request(pause).await.unwrap_err();
    assert_eq!(refused.err_code.to_string(), "OPENCTI_IN_SAME_STATE");
    let paused_at = heard(&files(dir.path())[0]).unwrap().samples;
    let paused = tail_after(dir.path(), paused_at, "three seconds paused").await;
    assert_eq!(
        (paused.customer_peak, paused.agent_peak),
        (0, 0),
        "a paused span is silence on both channels"
    );

    let resume = CstaRequest::ResumeRecording {
        call_id: call_id.clone(),
    };
    set_recording(&mut panel, resume, RecordingState::Active).await;
    let resumed_at = heard(&files(dir.path())[0]).unwrap().samples;
    let resumed = tail_after(dir.path(), resumed_at, "three seconds resumed").await;
    assert!(
        resumed.customer_peak > 1_000 && resumed.agent_peak > 1_000,
        "both voices again: {resumed:?}"
    );
    panel.ok(hang_up(&call_id)).await;

    // The record lists the recording once its file closed.
    let deadline = Instant::now() + Duration::from_secs(10);
    let record = loop {
        let record = server
            .records()
            .await
            .into_iter()
            .find(|r| r["callId"] == call_id);
        if let Some(r) = record.filter(|r| r["recording"]["bytes"].as_u64() > Some(0)) {
            break r;
        }
        assert!(Instant::now() < deadline, "no recording in the record");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let path = &files(dir.path())[0];
    let bytes = std::fs::read(path).unwrap();
    let whole = heard(path).unwrap();
    let recording = &record["recording"];
    assert_eq!(recording["bytes"], bytes.len() as u64);
    assert_eq!(recording["durationSeconds"].as_f64(), Some(whole.seconds));
    assert_eq!(recording["pausedSpans"].as_array().unwrap().len(), 1);
    let span = &recording["pausedSpans"][0];
    assert!(span["from"].as_str() < span["to"].as_str(), "{span}");
    let url = recording["url"].as_str().unwrap();
    assert_eq!(url, format!("/api/calls/{call_id}/recording"));

    // Whole, then a range (as an audio element seeks).
    let res = server.http().get(server.url(url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "audio/wav");
    assert_eq!(res.headers()["accept-ranges"], "bytes");
    assert_eq!(res.bytes().await.unwrap(), bytes);
    let res = server
        .http()
        .get(server.url(url))
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 1000-1999/{}", bytes.len()).as_str()
    );
    assert_eq!(res.bytes().await.unwrap(), bytes[1000..2000]);

    // An agent's token is refused, a supervisor's accepted.
    let agent_token = panel.token();
    for path in [url.to_string(), "/api/calls".into()] {
        let res = server
            .http()
            .get(server.url(&path))
            .bearer_auth(&agent_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errCode"], "OPENCTI_UNAUTHORIZED");
    }
    let (status, session) = server
        .post(
            "/api/supervisor/login",
            json!({"userId": "9001", "password": "demo"}),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let res = server
        .http()
        .get(server.url(url))
        .bearer_auth(session["token"].as_str().unwrap())
        .header("range", "bytes=0-43")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap(), bytes[..44]);
    drop(client);
    server.stop();
}

#[tokio::test]
async fn recordings_need_the_api_key_or_a_supervisor_where_a_key_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("api.key");
    std::fs::write(&key, "recording-key-0123456789\n").unwrap();
    let server = TestServer::start(&["--api-key-file", key.to_str().unwrap()]).await;
    let url = server.url("/api/calls/C1/recording");
    let status = |req: reqwest::RequestBuilder| async move { req.send().await.unwrap().status() };
    assert_eq!(status(server.http().get(&url)).await, 401);
    assert_eq!(
        status(server.http().get(&url).bearer_auth("not-the-key")).await,
        401
    );
    // Past the check, the call has no recording.
    assert_eq!(
        status(
            server
                .http()
                .get(&url)
                .bearer_auth("recording-key-0123456789")
        )
        .await,
        404
    );
    let (_, session) = server
        .post(
            "/api/supervisor/login",
            json!({"userId": "9001", "password": "demo"}),
        )
        .await;
    assert_eq!(
        status(
            server
                .http()
                .get(&url)
                .bearer_auth(session["token"].as_str().unwrap())
        )
        .await,
        404
    );
    server.stop();
}

#[tokio::test]
async fn a_recorded_queue_says_its_notice_to_the_caller_before_an_agent_rings() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("switch.toml");
    std::fs::write(
        &config,
        r#"
extensions = ["2001"]
reason_codes = ["Break"]
dispositions = ["Sale"]
wrap_up_seconds = 0

[[agents]]
id = "1001"
password = "$argon2id$v=19$m=19456,t=2,p=1$oPKSXh9cHFvp4pLadTHLUQ$oSwID3fIZvTeDv4TiNH2eExQF86oKlpp7AUoPpRPBbo"
extension = "2001"

[[queues]]
number = "5000"
name = "Sales"
agents = ["1001"]
record = true
record_notice = "This call is recorded for quality and training."
"#,
    )
    .unwrap();
    let server = TestServer::start(&[
        "--config",
        config.to_str().unwrap(),
        "--recordings-dir",
        dir.path().join("recordings").to_str().unwrap(),
    ])
    .await;
    let mut agent = server.agent("1001").await;
    agent.ok(crate::common::ready()).await;
    let call_id = server.place_call("5000", json!({})).await;
    assert_eq!(agent.expect_ringing().await, call_id);
    // By the time the agent rings, the caller has heard the whole notice
    // (some three seconds of speech; nothing before it: a queued caller
    // hears nothing else).
    let audio = server
        .calls()
        .await
        .into_iter()
        .find(|c| c["callId"] == call_id)
        .unwrap()["audio"]
        .clone();
    let received = audio["received"].as_u64().unwrap();
    assert!(received >= 100, "the notice reached the caller: {audio}");
    server.stop();
}

#[tokio::test]
async fn every_recorded_call_of_an_agent_gets_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&[
        "--wrap-up-seconds",
        "0",
        "--record-all",
        "--recordings-dir",
        dir.path().to_str().unwrap(),
    ])
    .await;
    let mut panel = server.agent("1001").await;
    panel.ok(crate::common::ready()).await;
    for n in 1..=3 {
        // Queue calls, hung up as soon as their recording has a frame.
        let (status, body) = server
            .post(
                "/api/sim/calls",
                json!({"from": format!("+1555000000{n}"), "to": "5000"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let call_id = body["callId"].as_str().unwrap().to_string();
        assert_eq!(panel.expect_ringing().await, call_id);
        let before = server
            .metric("ccp_recording_written_bytes_total")
            .await
            .unwrap_or(0.0);
        panel.ok(answer(&call_id)).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while files(dir.path()).len() < n
            || server
                .metric("ccp_recording_written_bytes_total")
                .await
                .unwrap_or(0.0)
                <= before
        {
            assert!(Instant::now() < deadline, "call {n} is not recorded");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panel.ok(hang_up(&call_id)).await;
    }
    server.stop();
}
