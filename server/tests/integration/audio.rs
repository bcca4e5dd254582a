//! The media plane end to end, with a Rust WebRTC peer in the browser's
//! place: signalling on the relay session, audio both ways with the
//! simulated customer, mute, hold, agent-to-agent consultation and
//! conference, and refusals that change nothing.

use app::{opencti::ErrorCode, wire::native::CstaRequest};
use serde_json::{Value, json};

use crate::{
    common::{Panel, TestServer, answer, consult, hold, ready, retrieve},
    media_client::{MediaClient, Offer},
};

/// The simulated far end's audio figures for `call_id`.
async fn far_end(server: &TestServer, call_id: &str) -> Value {
    server
        .calls()
        .await
        .into_iter()
        .find(|c| c["callId"] == call_id)
        .map(|c| c["audio"].clone())
        .unwrap_or(Value::Null)
}

/// Waits (up to 10 s) until the far end's figures pass `check`.
async fn far_end_until(
    server: &TestServer,
    call_id: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let audio = far_end(server, call_id).await;
        if check(&audio) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: still {audio}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Waits until the far end of `call_id` has heard a second more of
/// something loud: with every agent holding or muted, the hold tone.
async fn hears_the_hold_tone(server: &TestServer, call_id: &str) {
    let before = far_end(server, call_id).await["received"].as_u64().unwrap();
    far_end_until(server, call_id, "the hold tone", |a| {
        a["received"].as_u64() > Some(before + 50) && level(a) > -40.0
    })
    .await;
}

fn level(audio: &Value) -> f64 {
    audio["level"].as_f64().unwrap_or(f64::NAN)
}

/// An agent on a ringing queue call, with its softphone connected.
pub async fn agent_with_audio(server: &TestServer, agent: &str) -> (Panel, MediaClient, String) {
    let mut panel = server.agent(agent).await;
    panel.ok(ready()).await;
    let call_id = server.place_call("5000", json!({})).await;
    panel.expect_ringing().await;
    let offer = Offer::new().await;
    let answer = panel.offer(&call_id, &offer.sdp).await.unwrap();
    let client = offer.connect(&answer);
    client.until("ICE and DTLS", |h| h.connected).await;
    (panel, client, call_id)
}

#[tokio::test]
async fn an_answered_call_carries_audio_both_ways_and_mute_and_hold_change_it() {
    let server = TestServer::start(&["--wrap-up-seconds", "0"]).await;
    let (mut panel, client, call_id) = agent_with_audio(&server, "1001").await;
    // Ringing: nobody hears anybody yet.
    assert_eq!(far_end(&server, &call_id).await["received"], 0);
    assert_eq!(client.heard().packets, 0);

    panel.ok(answer(&call_id)).await;
    let heard = client
        .until("the customer's prompt", |h| {
            h.packets > 25 && h.level() > -40.0
        })
        .await;
    assert!(
        heard.level() < -3.0,
        "a prompt, not full scale: {}",
        heard.level()
    );
    far_end_until(&server, &call_id, "the agent's tone", |a| {
        a["received"].as_u64() > Some(25) && level(a) > -40.0 && a["sent"].as_u64() > Some(25)
    })
    .await;

    client.mute(true);
    far_end_until(&server, &call_id, "silence once muted", |a| {
        level(a) < -60.0
    })
    .await;
    client.mute(false);
    far_end_until(&server, &call_id, "the agent again", |a| level(a) > -40.0).await;

    // Hold: the customer hears the hold tone, the agent nothing.
    panel.ok(hold(&call_id)).await;
    client.mute(true);
    let at = client.heard().packets;
    hears_the_hold_tone(&server, &call_id).await;
    let stopped = client.heard().packets;
    assert!(
        stopped <= at + 5,
        "the holder still hears audio: {at} → {stopped}"
    );

    panel.ok(retrieve(&call_id)).await;
    client
        .until("the customer again", |h| h.packets > stopped + 25)
        .await;
    far_end_until(&server, &call_id, "silence from the muted agent", |a| {
        level(a) < -60.0
    })
    .await;
    server.stop();
}

#[tokio::test]
async fn agents_hear_each_other_in_a_consultation_and_everybody_in_a_conference() {
    let server = TestServer::start(&["--wrap-up-seconds", "0"]).await;
    let (mut a, client_a, call_id) = agent_with_audio(&server, "1001").await;
    a.ok(answer(&call_id)).await;
    let mut b = server.agent("1002").await;
    let consult_id = a.ok(consult(&call_id, "2002")).await.unwrap();
    b.expect_ringing().await;
    let offer = Offer::new().await;
    let answer_sdp = b.offer(&consult_id, &offer.sdp).await.unwrap();
    let client_b = offer.connect(&answer_sdp);
    client_b.until("B's link", |h| h.connected).await;
    b.ok(answer(&consult_id)).await;

    // A and B hear each other's tone; the customer hears the hold tone.
    client_b
        .until("A's voice at B", |h| h.packets > 25 && h.level() > -40.0)
        .await;
    client_a.mute(true);
    client_b
        .until("silence from A", |h| h.level() < -60.0)
        .await;
    client_a.mute(false);
    hears_the_hold_tone(&server, &call_id).await;

    // Conference: with both agents muted the customer hears silence and the
    // agents hear the customer; with only A speaking, B and the customer hear A.
    a.ok(CstaRequest::ConferenceCall {
        original_call_id: call_id.clone(),
        consult_call_id: consult_id.clone(),
    })
    .await;
    client_a.mute(true);
    client_b.mute(true);
    far_end_until(&server, &call_id, "silence from both agents", |a| {
        level(a) < -60.0
    })
    .await;
    client_a
        .until("the customer at A", |h| h.level() > -40.0)
        .await;
    client_b
        .until("the customer at B", |h| h.level() > -40.0)
        .await;
    client_a.mute(false);
    far_end_until(&server, &call_id, "A at the customer", |a| level(a) > -40.0).await;
    server.stop();
}

#[tokio::test]
async fn bad_offers_are_refused_and_change_nothing() {
    let server = TestServer::start(&[]).await;
    let offer = Offer::new().await;

    let mut stranger = server.panel().await;
    let err = stranger.offer("C1001", &offer.sdp).await.unwrap_err();
    assert_eq!(err.err_code, ErrorCode::AgentNotLoggedIn);

    let mut owner = server.agent("1001").await;
    owner.ok(ready()).await;
    let call_id = server.place_call("5000", json!({})).await;
    owner.expect_ringing().await;
    let mut other = server.agent("1002").await;

    // Somebody else's call, and a call that does not exist.
    for (panel, id) in [(&mut other, call_id.as_str()), (&mut owner, "C9999")] {
        let err = panel.offer(id, &offer.sdp).await.unwrap_err();
        assert_eq!(err.err_code, ErrorCode::InvalidObjectState, "{err}");
        assert!(err.err_message.contains("there is no call"), "{err}");
    }
    // Not SDP, no audio, no common codec.
    let opus_only = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
        a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n\
        a=setup:actpass\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n";
    for (sdp, says) in [
        ("hello", "unreadable SDP"),
        (opus_only, "no codec in common"),
    ] {
        let err = owner.offer(&call_id, sdp).await.unwrap_err();
        assert_eq!(err.err_code, ErrorCode::BadRequest, "{err}");
        assert!(err.err_message.contains(says), "{err}");
    }
    owner.assert_alive().await;
    other.assert_alive().await;
    // The call still rings, untouched; the simulator's far end is silent.
    let audio = far_end(&server, &call_id).await;
    assert_eq!(audio, json!({"sent": 0, "received": 0, "level": -127.0}));
    let calls = server.calls().await;
    assert_eq!(calls.len(), 1);
    owner.ok(answer(&call_id)).await;
    server.stop();
}

/// `ccp_media_peers` from `/metrics`.
async fn media_peers(server: &TestServer) -> u64 {
    server
        .metric("ccp_media_peers")
        .await
        .expect("ccp_media_peers in /metrics") as u64
}

#[tokio::test]
async fn a_softphone_that_goes_silent_is_dropped_and_the_call_goes_on() {
    let server = TestServer::start(&["--wrap-up-seconds", "0"]).await;
    let (mut panel, client, call_id) = agent_with_audio(&server, "1001").await;
    panel.ok(answer(&call_id)).await;
    client.until("the customer", |h| h.packets > 10).await;
    assert_eq!(media_peers(&server).await, 1);

    // The browser vanishes without a word: no more consent checks. The
    // server notices (ICE consent, 15 s) and lets the peer go; the call
    // stays up and the agent can still end it.
    drop(client);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    while media_peers(&server).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the silent peer is still counted"
        );
        // The panel's own link stays up meanwhile (it answers heartbeats).
        panel.assert_alive().await;
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        server
            .parties(&call_id)
            .await
            .contains(&crate::common::party("2001", "connected")),
        "the call survives its audio"
    );
    panel.ok(crate::common::hang_up(&call_id)).await;
    server.stop();
}

#[tokio::test]
async fn offers_beyond_the_media_capacity_get_an_error() {
    let server = TestServer::start(&["--media-max-peers", "1"]).await;
    let (_panel, _client, _call) = agent_with_audio(&server, "1001").await;
    let mut other = server.agent("1002").await;
    other.ok(ready()).await;
    let call_id = server.place_call("5000", json!({})).await;
    other.expect_ringing().await;
    let offer = Offer::new().await;
    let err = other.offer(&call_id, &offer.sdp).await.unwrap_err();
    assert_eq!(err.err_code, ErrorCode::HttpError(503), "{err}");
    assert!(err.err_message.contains("capacity"), "{err}");
    other.assert_alive().await;
    other.ok(answer(&call_id)).await;
    server.stop();
}
