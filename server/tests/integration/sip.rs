//! The SIP edge against a scripted SIP party: trunk calls in (ringing,
//! answer, audio both ways, DTMF both ways, BYE, CANCEL), calls out through
//! a trunk (provisional answers, 2xx, refusals with causes, timer B,
//! digest), and bad input answered as RFC 3261 says while the edge goes on.

use app::wire::native::{Cause, CstaRequest, NativeEvent};
use serde_json::Value;
use sipx_rtp::{dtmf, packet::Packet};
use sipx_sip::{HeaderName, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    common::{PATIENCE, Panel, TestServer, answer, hang_up, hold, ready, retrieve},
    sip_phone::{SipPhone, audio_port, header, sdp},
};

const CALLER: &str = "+15551230001";

async fn sip_server(extra: &[&str]) -> TestServer {
    let mut flags = vec!["--sip-addr", "127.0.0.1:0", "--wrap-up-seconds", "0"];
    flags.extend_from_slice(extra);
    TestServer::start(&flags).await
}

async fn phone(server: &TestServer) -> SipPhone {
    SipPhone::new(server.hub.sip_addr().expect("the SIP edge is on")).await
}

/// Waits (bounded) until the call records hold one for `call_id`.
async fn record(server: &TestServer, call_id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let records = server.records().await;
        if let Some(r) = records.into_iter().find(|r| r["callId"] == call_id) {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no record of {call_id}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The simulator's view of `call_id` (None once it ended).
async fn sim_call(server: &TestServer, call_id: &str) -> Option<Value> {
    server
        .calls()
        .await
        .into_iter()
        .find(|c| c["callId"] == call_id)
}

async fn until_sim(server: &TestServer, call_id: &str, what: &str, check: impl Fn(&Value) -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let call = sim_call(server, call_id).await.unwrap_or(Value::Null);
        if check(&call) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: {call}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A ready agent and a trunk call to the queue ringing it; returns the
/// agent, the call id and the 180's To (with the edge's tag).
async fn ringing_call(
    server: &TestServer,
    phone: &SipPhone,
    sip_call: &str,
) -> (Panel, String, String) {
    let mut agent = server.agent("1001").await;
    agent.ok(ready()).await;
    phone
        .send(&phone.invite(sip_call, CALLER, "5000", "X-AccountId: 12345\r\n"))
        .await;
    let ringing = phone.expect_status(180).await;
    let to = header(&Message::Response(ringing), HeaderName::To);
    assert!(to.contains(";tag="), "the 180 carries the edge's tag: {to}");
    let call_id = agent.expect_ringing().await;
    (agent, call_id, to)
}

#[tokio::test]
async fn a_trunk_call_is_queued_answered_and_carries_audio_and_digits_both_ways() {
    let server = sip_server(&[]).await;
    let phone = phone(&server).await;
    let (mut agent, call_id, to) = ringing_call(&server, &phone, "in-1").await;
    let call = sim_call(&server, &call_id).await.unwrap();
    assert_eq!(call["from"], CALLER, "the From user is the ANI");
    assert_eq!(call["to"], "5000", "the Request-URI user is the DNIS");
    assert_eq!(
        call["data"]["AccountId"], "12345",
        "X- headers are attached data"
    );

    agent.ok(answer(&call_id)).await;
    let ok = phone.expect_status(200).await;
    let server_rtp = std::net::SocketAddr::new("127.0.0.1".parse().unwrap(), audio_port(ok.body()));
    phone
        .send(&phone.in_dialog("ACK", "in-1", &to, 1, "ack-1"))
        .await;

    // The caller's audio reaches the switch, and the switch's reaches it.
    phone.send_audio(server_rtp, 25).await;
    until_sim(&server, &call_id, "the caller's audio arrives", |c| {
        c["audio"]["received"].as_u64() > Some(0)
    })
    .await;
    let packet = phone.receive_rtp().await;
    assert_eq!(packet.payload_type, 0, "PCMU as offered");
    assert_eq!(packet.payload.len(), 160, "20 ms frames");

    // A key the caller presses becomes the call's digits.
    let first = dtmf::tone(dtmf::Digit::from_char('5').unwrap(), 3, 160);
    for (i, tone) in first.iter().enumerate() {
        let mut packet = Packet::new(101, 100 + i as u16, 99_000, 0x1234, tone.event.encode());
        packet.marker = i == 0;
        phone
            .rtp
            .send_to(&packet.encode(), server_rtp)
            .await
            .unwrap();
    }
    until_sim(&server, &call_id, "the caller's digit", |c| {
        c["digits"] == "5"
    })
    .await;

    // The agent's digits reach the caller as telephone-events.
    agent
        .ok(CstaRequest::GenerateDigits {
            call_id: call_id.clone(),
            digits: "9".into(),
        })
        .await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let event = loop {
        let packet = phone.receive_rtp().await;
        if packet.payload_type == 101 {
            break dtmf::Event::decode(&packet.payload).unwrap();
        }
        assert!(tokio::time::Instant::now() < deadline, "no telephone-event");
    };
    assert_eq!(event.digit.as_char(), '9');

    // The caller hangs up.
    phone
        .send(&phone.in_dialog("BYE", "in-1", &to, 2, "bye-1"))
        .await;
    phone.expect_status(200).await;
    agent
        .expect(|e| matches!(e, NativeEvent::ConnectionCleared(c) if c.call.call_id == call_id))
        .await;
    let record = record(&server, &call_id).await;
    assert_eq!(record["outcome"], "answered");
    assert_eq!(record["ani"], CALLER);
}

#[tokio::test]
async fn an_agent_who_hangs_up_sends_the_caller_a_bye() {
    let server = sip_server(&[]).await;
    let phone = phone(&server).await;
    let (mut agent, call_id, to) = ringing_call(&server, &phone, "in-2").await;
    agent.ok(answer(&call_id)).await;
    phone.expect_status(200).await;
    phone
        .send(&phone.in_dialog("ACK", "in-2", &to, 1, "ack-2"))
        .await;
    agent.ok(hang_up(&call_id)).await;
    let (bye, _) = phone.expect_request("BYE").await;
    assert_eq!(header(&Message::Request(bye), HeaderName::CallId), "in-2");
}

#[tokio::test]
async fn a_caller_who_hangs_up_while_queued_is_recorded_as_abandoned() {
    let server = sip_server(&[]).await;
    let phone = phone(&server).await;
    // Logged in but not ready: the queue is staffed, the call waits.
    let _agent = server.agent("1001").await;
    phone.send(&phone.invite("q-1", CALLER, "5000", "")).await;
    phone.expect_status(180).await;
    let call_id = server.calls().await[0]["callId"]
        .as_str()
        .unwrap()
        .to_string();
    let cancel = format!(
        "CANCEL sip:5000@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-q-1-1;rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:{CALLER}@carrier.test>;tag=caller-q-1\r\n\
         To: <sip:5000@{server}>\r\nCall-ID: q-1\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
        server = phone.server,
        me = phone.addr(),
    );
    phone.send(&cancel).await;
    let mut statuses = vec![];
    while statuses.len() < 2 {
        if let (Message::Response(r), _) = phone.receive().await {
            statuses.push(r.status.code());
        }
    }
    statuses.sort();
    assert_eq!(statuses, [200, 487], "200 to the CANCEL, 487 to the INVITE");
    assert_eq!(record(&server, &call_id).await["outcome"], "abandoned");
    assert!(server.calls().await.is_empty());
}

#[tokio::test]
async fn numbers_that_cannot_take_calls_are_refused_and_retransmissions_are_absorbed() {
    let server = sip_server(&[]).await;
    let phone = phone(&server).await;
    phone.send(&phone.invite("r-1", CALLER, "9999", "")).await;
    phone.expect_status(404).await;
    phone.send(&phone.invite("r-2", CALLER, "2001", "")).await;
    phone.expect_status(480).await;
    let mut busy = server.agent("1001").await;
    busy.ok(ready()).await;
    let internal = server.place_call("2001", serde_json::json!({})).await;
    busy.expect_ringing().await;
    busy.ok(answer(&internal)).await;
    phone.send(&phone.invite("r-3", CALLER, "2001", "")).await;
    phone.expect_status(486).await;
    let no_sdp = phone
        .invite("r-4", CALLER, "5000", "")
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .replace("Content-Type: application/sdp\r\n", "")
        .replace(
            &format!("Content-Length: {}", sdp(phone.rtp_addr()).len()),
            "Content-Length: 0",
        )
        + "\r\n\r\n";
    phone.send(&no_sdp).await;
    phone.expect_status(488).await;
    // An INVITE sent three times is one call.
    busy.ok(hang_up(&internal)).await;
    let invite = phone.invite("r-5", CALLER, "5000", "");
    for _ in 0..3 {
        phone.send(&invite).await;
    }
    phone.expect_status(180).await;
    let waiting: Vec<Value> = server.calls().await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
}

#[tokio::test]
async fn bad_requests_get_clear_answers_and_the_edge_goes_on() {
    let server = sip_server(&[]).await;
    let phone = phone(&server).await;
    let options = |branch: &str| {
        format!(
            "OPTIONS sip:ccp@{s} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-{branch}\r\n\
             Max-Forwards: 70\r\nFrom: <sip:probe@x>;tag=1\r\nTo: <sip:ccp@{s}>\r\n\
             Call-ID: {branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
            s = phone.server,
            me = phone.addr()
        )
    };
    phone.send(&options("o-1")).await;
    let ok = phone.expect_status(200).await;
    assert!(header(&Message::Response(ok), HeaderName::Allow).contains("INVITE"));

    phone.send(&options("o-2").replace("OPTIONS", "FROB")).await;
    phone.expect_status(501).await;
    phone
        .send(&options("o-3").replace("OPTIONS", "SUBSCRIBE"))
        .await;
    let not_allowed = phone.expect_status(405).await;
    assert!(!header(&Message::Response(not_allowed), HeaderName::Allow).is_empty());
    phone
        .send(&options("o-4").replace("Call-ID: o-4\r\n", ""))
        .await;
    phone.expect_status(400).await;
    phone
        .send("\u{0}\u{1}garbage that is not SIP\r\n\r\n")
        .await;
    phone
        .send(&phone.in_dialog("BYE", "nobody", "<sip:ccp@x>;tag=9", 2, "b-1"))
        .await;
    phone.expect_status(481).await;
    // Still serving, on UDP and on TCP.
    phone.send(&options("o-5")).await;
    phone.expect_status(200).await;

    let addr = server.hub.sip_addr().unwrap();
    let mut oversized = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = "INVITE sip:5000@ccp SIP/2.0\r\nContent-Length: 5000000\r\n\r\n";
    oversized.write_all(head.as_bytes()).await.unwrap();
    oversized.write_all(&vec![b'x'; 2_000_000]).await.ok();
    let mut rest = vec![];
    let closed = tokio::time::timeout(PATIENCE, oversized.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "an oversized message closes its connection");

    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = options("o-6").replace("SIP/2.0/UDP", "SIP/2.0/TCP");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(PATIENCE, tcp.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("SIP/2.0 200"), "{answer}");
}

/// A server whose calls out go to `phone` as the trunk.
async fn trunk_server(extra: &[&str]) -> (TestServer, SipPhone) {
    let trunk = SipPhone::new("127.0.0.1:9".parse().unwrap()).await;
    let uri = format!("sip:{}", trunk.addr());
    let mut flags = vec!["--sip-trunk", uri.as_str()];
    flags.extend_from_slice(extra);
    let server = sip_server(&flags).await;
    let mut trunk = trunk;
    trunk.server = server.hub.sip_addr().unwrap();
    (server, trunk)
}

fn make_call(number: &str) -> CstaRequest {
    CstaRequest::MakeCall {
        destination: number.into(),
        user_data: None,
    }
}

#[tokio::test]
async fn a_call_out_goes_through_the_trunk_rings_connects_holds_and_ends_with_a_bye() {
    let (server, trunk) = trunk_server(&[]).await;
    let mut agent = server.agent("1001").await;
    let call_id = agent.ok(make_call("+15559990000")).await.unwrap();
    let (invite, _) = trunk.expect_request("INVITE").await;
    assert_eq!(
        String::from_utf8_lossy(&invite.uri.to_bytes()),
        format!("sip:+15559990000@{}", trunk.addr())
    );
    assert!(String::from_utf8_lossy(invite.body()).contains("PCMU/8000"));
    let parties = server.parties(&call_id).await;
    assert!(
        parties.contains(&("+15559990000".into(), "initiated".into())),
        "{parties:?}"
    );

    trunk.respond(&invite, "180 Ringing").await;
    agent
        .expect(|e| matches!(e, NativeEvent::Delivered(c) if c.device == "+15559990000"))
        .await;
    trunk.respond(&invite, "200 OK").await;
    trunk.expect_request("ACK").await;
    agent
        .expect(|e| matches!(e, NativeEvent::Established(c) if c.device == "+15559990000"))
        .await;
    // Audio flows to the trunk's party.
    let packet = trunk.receive_rtp().await;
    assert_eq!(packet.payload_type, 0);

    agent.ok(hold(&call_id)).await;
    agent.ok(retrieve(&call_id)).await;
    agent.ok(hang_up(&call_id)).await;
    let (bye, _) = trunk.expect_request("BYE").await;
    assert_eq!(
        header(&Message::Request(bye), HeaderName::CallId),
        header(&Message::Request(invite), HeaderName::CallId)
    );
    assert_eq!(record(&server, &call_id).await["direction"], "outbound");
}

#[tokio::test]
async fn a_trunk_that_refuses_or_never_answers_fails_the_call_with_its_cause() {
    let (server, trunk) = trunk_server(&["--sip-t1-ms", "10"]).await;
    let mut agent = server.agent("1001").await;

    let busy = agent.ok(make_call("+15550000486")).await.unwrap();
    let (invite, _) = trunk.expect_request("INVITE").await;
    trunk.respond(&invite, "486 Busy Here").await;
    trunk.expect_request("ACK").await;
    let cleared = agent
        .expect(|e| matches!(e, NativeEvent::ConnectionCleared(c) if c.call.call_id == busy && c.device == "2001"))
        .await;
    match cleared {
        NativeEvent::ConnectionCleared(c) => assert_eq!(c.cause, Some(Cause::Busy)),
        _ => unreachable!(),
    }

    // Nobody answers at all: timer B (64·T1) gives up.
    let silent = agent.ok(make_call("+15550000000")).await.unwrap();
    trunk.expect_request("INVITE").await;
    let cleared = agent
        .expect(|e| matches!(e, NativeEvent::ConnectionCleared(c) if c.call.call_id == silent && c.device == "2001"))
        .await;
    match cleared {
        NativeEvent::ConnectionCleared(c) => assert_eq!(c.cause, Some(Cause::Unavailable)),
        _ => unreachable!(),
    }
    assert!(
        server.calls().await.is_empty(),
        "nothing is left of either call"
    );
}

#[tokio::test]
async fn a_trunk_that_challenges_gets_digest_credentials_once() {
    let (server, trunk) = trunk_server(&[
        "--sip-trunk-username",
        "ccp",
        "--sip-trunk-password",
        "secret",
    ])
    .await;
    let mut agent = server.agent("1001").await;
    let call_id = agent.ok(make_call("+15557770000")).await.unwrap();
    let (invite, _) = trunk.expect_request("INVITE").await;
    let message = Message::Request(invite.clone());
    let challenge = format!(
        "SIP/2.0 401 Unauthorized\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=t\r\nCall-ID: {}\r\n\
         CSeq: {}\r\nWWW-Authenticate: Digest realm=\"trunk\", nonce=\"abc123\", qop=\"auth\"\r\n\
         Content-Length: 0\r\n\r\n",
        header(&message, HeaderName::Via),
        header(&message, HeaderName::From),
        header(&message, HeaderName::To),
        header(&message, HeaderName::CallId),
        header(&message, HeaderName::CSeq),
    );
    trunk.send(&challenge).await;
    trunk.expect_request("ACK").await;
    let (again, _) = trunk.expect_request("INVITE").await;
    let again_message = Message::Request(again.clone());
    let authorization = header(&again_message, HeaderName::Authorization);
    assert!(authorization.starts_with("Digest "), "{authorization}");
    assert!(
        authorization.contains("username=\"ccp\""),
        "{authorization}"
    );
    assert!(authorization.contains("realm=\"trunk\""), "{authorization}");
    assert_eq!(header(&again_message, HeaderName::CSeq), "2 INVITE");
    trunk.respond(&again, "200 OK").await;
    trunk.expect_request("ACK").await;
    agent
        .expect(|e| matches!(e, NativeEvent::Established(c) if c.call.call_id == call_id))
        .await;
}
