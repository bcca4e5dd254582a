//! SIP desk phones as extensions: digest registration, calls that ring
//! the registered phone, answered on the phone or (an auto-answer phone)
//! from the panel, audio on the phone's RTP leg, hang-up both ways, and a
//! call the agent places bringing the phone off-hook first.

use app::{
    opencti::ErrorCode,
    wire::native::{CstaRequest, DeskPhone, NativeEvent},
};
use serde_json::json;
use sipx_sip::{HeaderName, Message};

use crate::{
    common::{PATIENCE, Panel, TestServer, answer, hang_up, hold, ready, retrieve},
    sip_phone::{SipPhone, audio_port, header},
};

/// The demo with extension 2001 a phone answered by hand (password
/// `phone1`) and 2002 one that answers on request (`phone2`).
async fn server() -> TestServer {
    let mut config = server::switch::SwitchConfig::demo();
    config.sip_phones = vec![
        server::switch::config::SipPhoneConfig {
            extension: "2001".into(),
            ha1: server::sip::registrar::ha1("2001", "phone1"),
            auto_answer: false,
        },
        server::switch::config::SipPhoneConfig {
            extension: "2002".into(),
            ha1: server::sip::registrar::ha1("2002", "phone2"),
            auto_answer: true,
        },
    ];
    let dir = std::env::temp_dir().join(format!("ccp-phones-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.toml", rand::random::<u64>()));
    std::fs::write(&path, toml::to_string(&config).unwrap()).unwrap();
    TestServer::start(&[
        "--config",
        path.to_str().unwrap(),
        "--sip-addr",
        "127.0.0.1:0",
        "--wrap-up-seconds",
        "0",
    ])
    .await
}

async fn phone(server: &TestServer, extension: &str, password: &str) -> SipPhone {
    let phone = SipPhone::new(server.hub.sip_addr().unwrap()).await;
    assert_eq!(phone.register(extension, password).await, 200);
    phone
}

/// Waits (bounded) until the simulated caller hears something loud: the
/// phone's voice.
async fn caller_hears_the_phone(server: &TestServer, call_id: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let level = server
            .calls()
            .await
            .into_iter()
            .find(|c| c["callId"] == call_id)
            .and_then(|c| c["audio"]["level"].as_f64())
            .unwrap_or(-127.0);
        if level > -40.0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the caller hears the phone: {level}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Logs the agent in and checks the session says desk phone.
async fn agent_at_phone(server: &TestServer, agent: &str, auto_answer: bool) -> Panel {
    let mut panel = server.panel().await;
    let session = panel.login(agent).await.unwrap();
    assert_eq!(session.desk_phone, Some(DeskPhone { auto_answer }));
    panel
}

#[tokio::test]
async fn a_desk_phone_registers_only_with_its_password() {
    let server = server().await;
    let phone = SipPhone::new(server.hub.sip_addr().unwrap()).await;
    assert_eq!(phone.register("2001", "wrong").await, 403);
    assert_eq!(
        phone.register("2003", "phone1").await,
        404,
        "2003 is no desk phone"
    );
    assert_eq!(phone.register("2001", "phone1").await, 200);
    // An agent on an ordinary extension keeps the softphone.
    let mut plain = server.panel().await;
    assert_eq!(plain.login("1003").await.unwrap().desk_phone, None);
}

#[tokio::test]
async fn a_queue_call_rings_the_desk_phone_and_is_answered_on_it_with_audio_both_ways() {
    let server = server().await;
    let phone = phone(&server, "2001", "phone1").await;
    let mut agent = agent_at_phone(&server, "1001", false).await;
    agent.ok(ready()).await;
    let call_id = server.place_call("5000", json!({})).await;
    assert_eq!(agent.expect_ringing().await, call_id);
    let (invite, _) = phone.expect_request("INVITE").await;
    let message = Message::Request(invite.clone());
    assert!(
        header(&message, HeaderName::From).contains("+15551230001"),
        "the caller's number shows"
    );
    assert!(
        header(&message, HeaderName::CallInfo).is_empty(),
        "it rings: no auto-answer"
    );

    // This phone answers only by hand: the panel's Answer is refused.
    let refused = agent.request(answer(&call_id)).await.unwrap_err();
    assert_eq!(refused.err_code, ErrorCode::InvalidObjectState);
    assert!(
        refused.err_message.contains("pick it up"),
        "{}",
        refused.err_message
    );

    phone.respond(&invite, "180 Ringing").await;
    phone.respond(&invite, "200 OK").await;
    phone.expect_request("ACK").await;
    agent
        .expect(|e| matches!(e, NativeEvent::Established(c) if c.device == "2001"))
        .await;

    // The caller's prompt reaches the phone; the phone's voice the caller.
    let server_rtp = std::net::SocketAddr::new([127, 0, 0, 1].into(), audio_port(invite.body()));
    let packet = phone.receive_rtp().await;
    assert_eq!(packet.payload_type, 0);
    phone.send_audio(server_rtp, 50).await;
    caller_hears_the_phone(&server, &call_id).await;

    // Hold and retrieve happen in the switch: the phone's dialog stays.
    agent.ok(hold(&call_id)).await;
    agent.ok(retrieve(&call_id)).await;
    agent.ok(hang_up(&call_id)).await;
    let (bye, _) = phone.expect_request("BYE").await;
    assert_eq!(
        header(&Message::Request(bye), HeaderName::CallId),
        header(&message, HeaderName::CallId)
    );
}

#[tokio::test]
async fn the_panel_answers_an_auto_answer_phone_and_the_phone_hangs_up() {
    let server = server().await;
    let phone = phone(&server, "2002", "phone2").await;
    let mut agent = agent_at_phone(&server, "1002", true).await;
    agent.ok(ready()).await;
    let call_id = server.place_call("5000", json!({})).await;
    agent.expect_ringing().await;
    let (ringing, _) = phone.expect_request("INVITE").await;
    phone.respond(&ringing, "180 Ringing").await;

    agent.ok(answer(&call_id)).await;
    let (cancel, _) = phone.expect_request("CANCEL").await;
    phone.respond(&cancel, "200 OK").await;
    phone.respond(&ringing, "487 Request Terminated").await;
    phone.expect_request("ACK").await;
    let (invite, _) = phone.expect_request("INVITE").await;
    let message = Message::Request(invite.clone());
    assert!(
        header(&message, HeaderName::CallInfo).contains("answer-after=0"),
        "the second INVITE asks the phone to answer"
    );
    phone.respond(&invite, "200 OK").await;
    phone.expect_request("ACK").await;
    agent
        .expect(|e| matches!(e, NativeEvent::Established(c) if c.device == "2002"))
        .await;

    // The agent hangs up the handset.
    let to = {
        let mut to = header(&message, HeaderName::To);
        to.push_str(";tag=phone");
        to
    };
    let bye = format!(
        "BYE sip:ccp@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-phone-bye\r\n\
         Max-Forwards: 70\r\nFrom: {to}\r\nTo: {from}\r\nCall-ID: {call}\r\nCSeq: 1 BYE\r\n\
         Content-Length: 0\r\n\r\n",
        server = phone.server,
        me = phone.addr(),
        from = header(&message, HeaderName::From),
        call = header(&message, HeaderName::CallId),
    );
    phone.send(&bye).await;
    phone.expect_status(200).await;
    agent
        .expect(|e| matches!(e, NativeEvent::ConnectionCleared(c) if c.call.call_id == call_id && c.device == "2002"))
        .await;
}

#[tokio::test]
async fn a_call_the_agent_places_brings_the_desk_phone_off_hook_first() {
    let server = server().await;
    let phone = phone(&server, "2002", "phone2").await;
    let mut agent = agent_at_phone(&server, "1002", true).await;
    let call_id = agent
        .ok(CstaRequest::MakeCall {
            destination: "+15559990000".into(),
            user_data: None,
        })
        .await
        .unwrap();
    let (invite, _) = phone.expect_request("INVITE").await;
    let message = Message::Request(invite.clone());
    assert!(header(&message, HeaderName::CallInfo).contains("answer-after=0"));
    assert!(
        header(&message, HeaderName::From).contains("+15559990000"),
        "the phone shows the number dialled"
    );
    phone.respond(&invite, "200 OK").await;
    phone.expect_request("ACK").await;
    let (status, _) = server
        .post(&format!("/api/sim/calls/{call_id}/answer"), json!({}))
        .await;
    assert_eq!(status, 200);
    agent.expect_call_state(&call_id, "Established").await;
    agent.ok(hang_up(&call_id)).await;
    phone.expect_request("BYE").await;
}

/// baresip (Debian's) with the repository's desk-phone configuration,
/// pointed at `server`: it registers as 2005 and answers every call.
struct Baresip {
    child: tokio::process::Child,
    _dir: std::path::PathBuf,
}

impl Baresip {
    async fn start(server: &TestServer) -> Self {
        use tokio::io::AsyncBufReadExt;
        let source =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/sip/baresip");
        let dir = std::env::temp_dir().join(format!("ccp-baresip-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let sip = server.hub.sip_addr().unwrap();
        let accounts = std::fs::read_to_string(source.join("accounts"))
            .unwrap()
            .replace("127.0.0.1:5060", &sip.to_string());
        std::fs::write(dir.join("accounts"), accounts).unwrap();
        let config = std::fs::read_to_string(source.join("config"))
            .unwrap()
            .replace(
                "ctrl_tcp_listen\t\t127.0.0.1:4444",
                "ctrl_tcp_listen\t\t127.0.0.1:0",
            );
        std::fs::write(dir.join("config"), config).unwrap();
        let mut child = tokio::process::Command::new("baresip")
            .arg("-f")
            .arg(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("baresip (Debian) is installed: scripts/setup.sh");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let registered = tokio::time::timeout(PATIENCE, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("200 OK") && line.contains("2005@") {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(registered, Ok(true), "baresip registered as 2005");
        // Keep reading its output so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, _dir: dir }
    }
}

#[tokio::test]
async fn baresip_as_the_demo_desk_phone_takes_a_queue_call_with_audio() {
    let server = TestServer::start(&["--sip-addr", "127.0.0.1:0", "--wrap-up-seconds", "0"]).await;
    let mut phone = Baresip::start(&server).await;
    let mut agent = server.panel().await;
    let session = agent.login_with("1001", Some("2005"), None).await.unwrap();
    assert_eq!(session.desk_phone, Some(DeskPhone { auto_answer: true }));
    agent.ok(ready()).await;
    let call_id = server.place_call("5000", json!({})).await;
    // baresip answers at once (answermode=auto).
    agent
        .expect(|e| matches!(e, NativeEvent::Established(c) if c.device == "2005"))
        .await;
    caller_hears_the_phone(&server, &call_id).await;
    agent.ok(hang_up(&call_id)).await;
    agent
        .expect(|e| matches!(e, NativeEvent::ConnectionCleared(c) if c.call.call_id == call_id && c.device == "2005"))
        .await;
    assert!(
        phone.child.try_wait().unwrap().is_none(),
        "baresip took the BYE and runs on"
    );
}

#[tokio::test]
async fn a_desk_phone_dials_with_its_credentials_and_its_agent_makes_the_call() {
    let server = server().await;
    let phone = phone(&server, "2001", "phone1").await;
    let invite = |authorization: &str, branch: &str| {
        phone
            .invite("dial-1", "2001", "+15559990000", authorization)
            .replace(
                "branch=z9hG4bK-dial-1-1",
                &format!("branch=z9hG4bK-{branch}"),
            )
    };
    // Nobody logged in on 2001 yet, and no credentials: challenged first.
    phone.send(&invite("", "d1")).await;
    let challenge = phone.expect_status(401).await;
    phone
        .send(&phone.in_dialog(
            "ACK",
            "dial-1",
            &header(&Message::Response(challenge.clone()), HeaderName::To),
            1,
            "d1",
        ))
        .await;
    let value = header(&Message::Response(challenge), HeaderName::WwwAuthenticate);
    let challenge = sipx_sip::auth::Challenge::parse(value.as_bytes(), false).unwrap();
    let authorization = |password: &str| {
        let answer = sipx_sip::auth::respond(
            &challenge,
            &sipx_sip::auth::Credentials::new("2001", password),
            "INVITE",
            &format!("sip:+15559990000@{}", phone.server),
            1,
            "feed",
        );
        format!("Authorization: {answer}\r\n")
    };
    phone.send(&invite(&authorization("wrong"), "d2")).await;
    phone.expect_status(403).await;
    phone.send(&invite(&authorization("phone1"), "d3")).await;
    phone.expect_status(480).await;

    let mut agent = agent_at_phone(&server, "1001", false).await;
    phone.send(&invite(&authorization("phone1"), "d4")).await;
    let ok = phone.expect_status(200).await;
    assert!(String::from_utf8_lossy(ok.body()).contains("m=audio"));
    let originated = agent
        .expect(|e| matches!(e, NativeEvent::Originated(c) if c.device == "2001"))
        .await;
    let NativeEvent::Originated(call) = originated else {
        unreachable!()
    };
    assert_eq!(call.call.called_device, "+15559990000");
    let call_id = call.call.call_id;
    // The media plan changes while the far end rings (another agent logs
    // in): the phone's audio, up since its 200, stays.
    let _other = server.agent("1003").await;
    let (status, _) = server
        .post(&format!("/api/sim/calls/{call_id}/answer"), json!({}))
        .await;
    assert_eq!(status, 200);
    agent.expect_call_state(&call_id, "Established").await;
    let server_rtp = std::net::SocketAddr::new([127, 0, 0, 1].into(), audio_port(ok.body()));
    phone.send_audio(server_rtp, 50).await;
    caller_hears_the_phone(&server, &call_id).await;
    let to = header(&Message::Response(ok), HeaderName::To);
    phone
        .send(&phone.in_dialog("ACK", "dial-1", &to, 1, "d4-ack"))
        .await;
    phone
        .send(
            &phone
                .in_dialog("BYE", "dial-1", &to, 2, "d4-bye")
                .replace("+15551230001", "2001"),
        )
        .await;
    phone.expect_status(200).await;
    agent.expect_call_state(&call_id, "Disconnected").await;
}
