//! Integration tests: the real server on port 0, real WebSocket panels and
//! the simulator's HTTP API. Every event received is converted to OpenCTI
//! events and validated against the JSON Schemas (see `common`).

use crate::common::*;
use app::{
    opencti::ErrorCode,
    wire::native::{
        ClientFrame, ConsultPurpose, CstaRequest, NativeEvent, RequestedAgentState, ServerFrame,
    },
};
use serde_json::json;

#[tokio::test]
async fn queue_call_answer_hold_retrieve_dtmf_then_consult_transfer() {
    let server = TestServer::start(&[]).await;
    // 1002 becomes Ready first, so it has been idle longest.
    let mut b = server.agent("1002").await;
    b.ok(ready()).await;
    let mut a = server.agent("1001").await;
    a.ok(ready()).await;

    let call = server.place_call("5000", json!({"account": "42"})).await;
    assert_eq!(b.expect_ringing().await, call);
    b.expect_call_state(&call, "Alerting").await;
    b.ok(answer(&call)).await;
    b.expect_call_state(&call, "Established").await;
    b.ok(hold(&call)).await;
    b.expect_call_state(&call, "Held").await;
    assert_eq!(
        server.parties(&call).await,
        [party(CALLER, "connected"), party("2002", "held")]
    );
    b.ok(retrieve(&call)).await;
    b.expect_call_state(&call, "Retrieved").await;
    b.ok(CstaRequest::GenerateDigits {
        call_id: call.clone(),
        digits: "1234#".into(),
    })
    .await;
    assert_eq!(server.calls().await[0]["digits"], "1234#");

    // Consult agent 1001, who answers; then complete the transfer.
    let consult = b
        .ok(CstaRequest::ConsultationCall {
            call_id: call.clone(),
            destination: "2001".into(),
            purpose: ConsultPurpose::Transfer,
            user_data: Some([("note".to_string(), "wants a refund".to_string())].into()),
        })
        .await
        .expect("consult call id");
    b.expect_call_state(&call, "Held").await;
    assert_eq!(a.expect_ringing().await, consult);
    a.ok(answer(&consult)).await;
    b.expect_call_state(&consult, "Established").await;
    b.ok(CstaRequest::TransferCall {
        original_call_id: call.clone(),
        consult_call_id: consult.clone(),
    })
    .await;

    // A now has the customer's call, under its original id, with the data.
    a.expect_call_state(&call, "Established").await;
    a.expect_call_state(&consult, "Disconnected").await;
    b.expect_call_state(&call, "Disconnected").await;
    b.expect_call_state(&consult, "Disconnected").await;
    b.expect_agent("AgentWorkingAfterCall").await;
    assert_eq!(
        server.parties(&call).await,
        [party(CALLER, "connected"), party("2001", "connected")]
    );
    let calls = server.calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0]["data"],
        json!({"account": "42", "note": "wants a refund"})
    );
    let info = a
        .opencti
        .iter()
        .find_map(|e| match e {
            app::opencti::events::OpenCtiEvent::CallInfoEvent(i) if i.call_id == call => {
                Some(i.clone())
            }
            _ => None,
        })
        .expect("A got the call's data");
    assert_eq!(info.user_data["note"], "wants a refund");
}

#[tokio::test]
async fn conference_of_three_with_one_dropped() {
    let server = TestServer::start(&[]).await;
    let mut a = server.agent("1001").await;
    let mut b = server.agent("1002").await;
    a.ok(ready()).await;
    let call = server.place_call("5001", json!({})).await;
    a.expect_ringing().await;
    a.ok(answer(&call)).await;
    let consult = a.ok(consult(&call, "2002")).await.unwrap();
    b.expect_ringing().await;
    b.ok(answer(&consult)).await;
    a.ok(CstaRequest::ConferenceCall {
        original_call_id: call.clone(),
        consult_call_id: consult.clone(),
    })
    .await;
    b.expect_call_state(&call, "Established").await;
    assert_eq!(
        server.parties(&call).await,
        [
            party(CALLER, "connected"),
            party("2001", "connected"),
            party("2002", "connected")
        ]
    );
    let parties = a.expect(|e| matches!(e, NativeEvent::Conferenced(_))).await;
    assert!(matches!(parties, NativeEvent::Conferenced(c) if c.call.parties.len() == 3));
    a.ok(CstaRequest::ClearConnection {
        call_id: call.clone(),
        device: Some("2002".into()),
    })
    .await;
    b.expect_call_state(&call, "Disconnected").await;
    assert_eq!(
        server.parties(&call).await,
        [party(CALLER, "connected"), party("2001", "connected")]
    );
}

#[tokio::test]
async fn blind_transfer_to_a_queue() {
    let server = TestServer::start(&[]).await;
    let mut a = server.agent("1001").await;
    let mut b = server.agent("1002").await;
    a.ok(ready()).await;
    let call = server.place_call("5000", json!({})).await;
    a.expect_ringing().await;
    a.ok(answer(&call)).await;
    a.ok(CstaRequest::SingleStepTransferCall {
        call_id: call.clone(),
        destination: "5001".into(),
        user_data: None,
    })
    .await;
    a.expect_call_state(&call, "Disconnected").await;
    assert_eq!(
        server.parties(&call).await,
        [party(CALLER, "connected"), party("5001", "queued")]
    );
    b.ok(ready()).await;
    assert_eq!(b.expect_ringing().await, call);
    assert_eq!(
        server.parties(&call).await,
        [party(CALLER, "connected"), party("2002", "alerting")]
    );
}

#[tokio::test]
async fn caller_abandons_while_ringing() {
    let server = TestServer::start(&[]).await;
    let mut a = server.agent("1001").await;
    a.ok(ready()).await;
    let call = server.place_call("5000", json!({})).await;
    a.expect_ringing().await;
    let (status, _) = server
        .post(&format!("/api/sim/calls/{call}/hangup"), json!({}))
        .await;
    assert_eq!(status, 200);
    a.expect_call_state(&call, "Abandoned").await;
    assert!(server.calls().await.is_empty());
}

#[tokio::test]
async fn wrap_up_ends_by_its_timer_or_by_finish_wrap_up() {
    let server = TestServer::start(&["--wrap-up-seconds", "1"]).await;
    let mut a = server.agent("1001").await;
    a.ok(ready()).await;
    let call = server.place_call("5000", json!({})).await;
    a.expect_ringing().await;
    a.ok(answer(&call)).await;
    a.ok(hang_up(&call)).await;
    let acw = a.expect_agent("AgentWorkingAfterCall").await;
    let ends = acw.wrap_up_ends_at.expect("ACW says when it ends");
    assert!(ends >= acw.since + 1000);
    // The timer brings the agent back to Ready.
    a.expect_agent("AgentReady").await;

    let call = server.place_call("5000", json!({})).await;
    a.expect_ringing().await;
    a.ok(answer(&call)).await;
    server
        .post(&format!("/api/sim/calls/{call}/hangup"), json!({}))
        .await;
    a.expect_agent("AgentWorkingAfterCall").await;
    let unknown = a
        .request(CstaRequest::CompleteWrapUp {
            disposition: Some("sale".into()),
            note: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        unknown.err_code,
        ErrorCode::BadRequest,
        "dispositions are configured"
    );
    a.ok(CstaRequest::CompleteWrapUp {
        disposition: Some("Sale".into()),
        note: Some("Wants the yearly plan".into()),
    })
    .await;
    // The disposition reaches the session as the call's own event.
    let recorded = a
        .expect(|e| matches!(e, NativeEvent::Disposition(d) if d.call_id == call))
        .await;
    let NativeEvent::Disposition(recorded) = recorded else {
        unreachable!()
    };
    assert_eq!(recorded.disposition, "Sale");
    a.expect_agent("AgentReady").await;
    let err = a
        .request(CstaRequest::CompleteWrapUp {
            disposition: None,
            note: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.err_code, ErrorCode::InvalidObjectState);
}

#[tokio::test]
async fn reconnect_mid_call_replays_exactly_the_missed_events() {
    let server = TestServer::start(&[]).await;
    let mut a = server.agent("1001").await;
    // A second tab of the same agent joins the session and sees everything.
    let mut witness = server.panel().await;
    witness.login("1001").await.unwrap();
    a.ok(ready()).await;
    let call = server.place_call("5000", json!({})).await;
    a.expect_ringing().await;
    a.ok(answer(&call)).await;
    a.expect_call_state(&call, "Established").await;
    let token = a.session.clone().unwrap().token;
    let dropped_at = a.last_seq();
    let before = a.events.clone();
    let session = a.session.clone();
    a.close().await;

    // Events while the panel is away.
    let mut other = server.agent("1002").await;
    other.ok(ready()).await;
    let second = server.place_call("5001", json!({})).await;
    assert_eq!(
        other.expect_ringing().await,
        second,
        "the other agent gets it"
    );
    let mut witness_seq = witness.last_seq();
    witness.ok(hold(&call)).await;
    witness.expect_call_state(&call, "Held").await;
    witness.ok(retrieve(&call)).await;
    witness.expect_call_state(&call, "Retrieved").await;
    witness_seq = witness_seq.max(witness.last_seq());

    // Back: exactly the events after `dropped_at`, once each.
    let mut back = server.panel().await;
    back.session = session;
    back.resume(&token, dropped_at).await.unwrap();
    while back.last_seq() < witness_seq {
        back.next_frame().await.expect("replay");
    }
    let replayed: Vec<_> = back.events.iter().map(|(s, e)| (*s, e.clone())).collect();
    let expected: Vec<_> = witness
        .events
        .iter()
        .filter(|(s, _)| *s > dropped_at)
        .cloned()
        .collect();
    assert_eq!(replayed, expected);
    assert!(!replayed.is_empty());
    assert_eq!(replayed[0].0, dropped_at + 1, "no gap");
    let mut all = before;
    all.extend(replayed);
    let seqs: Vec<u64> = all.iter().map(|(s, _)| *s).filter(|s| *s > 1).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "gapless and no duplicates: {seqs:?}"
    );
}

#[tokio::test]
async fn resume_past_the_replay_buffer_gets_a_snapshot() {
    let server = TestServer::start(&["--replay-capacity", "2"]).await;
    let mut a = server.agent("1001").await;
    let token = a.session.clone().unwrap().token;
    let seq = a.last_seq();
    for _ in 0..3 {
        a.ok(ready()).await;
        a.ok(CstaRequest::SetAgentState {
            state: RequestedAgentState::NotReady,
            reason: Some("Break".into()),
            work_mode: None,
        })
        .await;
    }
    let mut back = server.panel().await;
    back.session = a.session.clone();
    back.resume(&token, seq).await.unwrap();
    match back.expect(|_| true).await {
        NativeEvent::Snapshot(s) => assert_eq!(s.agent.reason, "Break"),
        other => panic!("expected a snapshot, got {other:?}"),
    }
    // An unknown token: the session has ended.
    let mut stranger = server.panel().await;
    assert_eq!(
        stranger.resume("nope", 0).await.unwrap_err().err_code,
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn a_repeated_request_id_is_answered_not_executed_again() {
    let server = TestServer::start(&[]).await;
    let mut a = server.agent("1001").await;
    let dial = CstaRequest::MakeCall {
        destination: "+15559990000".into(),
        user_data: None,
    };
    let first = a.request_with_id("same", dial.clone()).await.unwrap();
    let second = a.request_with_id("same", dial).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(server.calls().await.len(), 1);
    let originated = a
        .events
        .iter()
        .filter(|(_, e)| matches!(e, NativeEvent::Originated(_)))
        .count();
    a.assert_alive().await;
    assert_eq!(originated, 1);
}

#[tokio::test]
async fn second_login_of_an_agent_joins_its_session_or_is_refused_elsewhere() {
    let server = TestServer::start(&[]).await;
    let mut tab1 = server.agent("1001").await;
    let mut tab2 = server.panel().await;
    let s2 = tab2.login("1001").await.unwrap();
    // Each login has a token of its own.
    assert_ne!(s2.token, tab1.token());
    tab1.ok(ready()).await;
    tab2.expect_agent("AgentReady").await;
    let mut tab3 = server.panel().await;
    let err = tab3
        .login_with("1001", Some("2003"), None)
        .await
        .unwrap_err();
    assert_eq!(err.err_code, ErrorCode::AgentLoggedIn);
    let err = tab3
        .login_with("1002", Some("2001"), None)
        .await
        .unwrap_err();
    assert_eq!(err.err_code, ErrorCode::AgentLoggedIn);
    // Logging out ends the session for every tab.
    tab1.ok(CstaRequest::SetAgentState {
        state: RequestedAgentState::LoggedOff,
        reason: None,
        work_mode: None,
    })
    .await;
    tab2.expect_agent("AgentLoggedOff").await;
    let err = tab2.request(ready()).await.unwrap_err();
    assert_eq!(err.err_code, ErrorCode::AgentNotLoggedIn);
    // Every token of the session is dropped, not only the one that logged out.
    for token in [tab1.token(), s2.token] {
        let mut again = server.panel().await;
        let err = again.resume(&token, 0).await.unwrap_err();
        assert_eq!(err.err_code, ErrorCode::Unauthorized);
    }
}

#[tokio::test]
async fn a_resume_swaps_the_token_and_the_old_one_stops_working() {
    let server = TestServer::start(&[]).await;
    let first = server.agent("1001").await;
    let old = first.token();
    let last = first.last_seq();
    first.close().await;
    let mut back = server.panel().await;
    back.resume(&old, last).await.unwrap();
    let new = back.token();
    assert_ne!(new, old);
    // Replaying the old token (someone who saw it) gets nothing.
    let mut thief = server.panel().await;
    let err = thief.resume(&old, 0).await.unwrap_err();
    assert_eq!(err.err_code, ErrorCode::Unauthorized);
    // Only the new one resumes (and is swapped in turn).
    back.close().await;
    let mut again = server.panel().await;
    again.resume(&new, last).await.unwrap();
    assert_ne!(again.token(), new);
}

#[tokio::test]
async fn no_token_resumes_past_its_lifetime() {
    // A lifetime of 0 s: any resume comes too late. (Idle expiry, and a
    // socket that stays attached past the lifetime, are unit-tested in
    // `security::tokens`.)
    let server = TestServer::start(&["--token-lifetime-seconds", "0"]).await;
    let mut panel = server.agent("1001").await;
    let token = panel.token();
    // The lifetime is measured in milliseconds: let one pass for certain.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut again = server.panel().await;
    let err = again.resume(&token, 0).await.unwrap_err();
    assert_eq!(err.err_code, ErrorCode::Unauthorized);
    // The panel attached before is not cut off.
    panel.ok(ready()).await;
}

#[tokio::test]
async fn an_agent_controls_only_its_own_calls() {
    let server = TestServer::start(&[]).await;
    let mut a = server.agent("1001").await;
    let mut b = server.agent("1002").await;
    a.ok(ready()).await;
    let call = server.place_call("5000", json!({})).await;
    a.expect_ringing().await;
    for request in [
        answer(&call),
        hold(&call),
        hang_up(&call),
        answer("C424242"),
    ] {
        let err = b.request(request).await.unwrap_err();
        assert_eq!(err.err_code, ErrorCode::InvalidObjectState);
    }
    assert_eq!(
        server.parties(&call).await,
        [party(CALLER, "connected"), party("2001", "alerting")]
    );
    let err = a.request(hold(&call)).await.unwrap_err();
    assert_eq!(
        err.err_code,
        ErrorCode::InvalidObjectState,
        "hold a call that is not answered"
    );
}

#[tokio::test]
async fn telephony_mode_at_login() {
    let server = TestServer::start(&[]).await;
    let mut a = server.panel().await;
    let session = a.login_with("1001", None, Some("simple")).await.unwrap();
    assert_eq!(session.telephony_mode.as_str(), "simple");
    let snapshot = a.events.iter().find_map(|(_, e)| match e {
        NativeEvent::Snapshot(s) => Some(s.clone()),
        _ => None,
    });
    assert_eq!(snapshot.unwrap().agent.telephony_mode.as_str(), "simple");
    assert_eq!(
        a.request(ready()).await.unwrap_err().err_code,
        ErrorCode::NotSupported
    );
    let mut b = server.panel().await;
    assert_eq!(
        b.login_with("1002", None, Some("expert"))
            .await
            .unwrap_err()
            .err_code,
        ErrorCode::BadRequest
    );
}

#[tokio::test]
async fn bad_input_gets_clear_errors_and_the_connection_survives() {
    let server = TestServer::start(&[]).await;
    let mut bystander = server.agent("1002").await;
    let mut p = server.panel().await;

    // Before login.
    let err = p.request(ready()).await.unwrap_err();
    assert_eq!(err.err_code, ErrorCode::AgentNotLoggedIn);
    // Malformed JSON: an Error frame, and the socket still answers.
    p.send_text("{not json".into()).await;
    let Some(ServerFrame::Error { error }) = p.next_frame().await else {
        panic!()
    };
    assert_eq!(error.err_code, ErrorCode::BadRequest);
    p.assert_alive().await;
    // An unknown message type with an id: a Response to that id.
    p.send_text(r#"{"type":"Explode","id":"x1"}"#.into()).await;
    let Some(ServerFrame::Response {
        id,
        ok: false,
        error: Some(error),
        ..
    }) = p.next_frame().await
    else {
        panic!()
    };
    assert_eq!((id.as_str(), error.err_code), ("x1", ErrorCode::BadRequest));
    // An unknown request type.
    p.send_text(r#"{"type":"Request","id":"x2","request":{"type":"SelfDestruct"}}"#.into())
        .await;
    let Some(ServerFrame::Response { ok: false, .. }) = p.next_frame().await else {
        panic!()
    };
    // Wrong argument types.
    p.send_text(r#"{"type":"Request","id":"x3","request":{"type":"HoldCall","callId":7}}"#.into())
        .await;
    let Some(ServerFrame::Response { ok: false, .. }) = p.next_frame().await else {
        panic!()
    };
    // Bad credentials.
    let id = "x4".to_string();
    p.send_frame(&ClientFrame::Login {
        id,
        agent_id: "1001".into(),
        password: "guess".into(),
        extension: None,
        telephony_mode: None,
        implementation: None,
    })
    .await;
    let Some(ServerFrame::Response {
        ok: false,
        error: Some(error),
        ..
    }) = p.next_frame().await
    else {
        panic!()
    };
    assert_eq!(error.err_code, ErrorCode::Unauthorized);
    p.login("1001").await.unwrap();
    // Unknown call ids and invalid transitions change nothing.
    assert_eq!(
        p.request(hold("C9")).await.unwrap_err().err_code,
        ErrorCode::InvalidObjectState
    );
    let err = p
        .request(CstaRequest::MakeCall {
            destination: "call me".into(),
            user_data: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.err_code, ErrorCode::InvalidDestination);
    assert!(!err.err_message.is_empty());
    let err = p
        .request(CstaRequest::SetAgentState {
            state: RequestedAgentState::NotReady,
            reason: Some("Nap".into()),
            work_mode: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.err_code, ErrorCode::BadRequest);
    assert!(server.calls().await.is_empty());
    p.assert_alive().await;

    // A huge frame closes that socket only.
    let mut big = server.panel().await;
    big.send_text("x".repeat(app::wire::native::MAX_FRAME_BYTES + 1))
        .await;
    assert!(
        big.next_frame().await.is_none(),
        "oversized frame must close the socket"
    );
    bystander.assert_alive().await;
    p.assert_alive().await;
    bystander.ok(ready()).await;
}

#[tokio::test]
async fn websocket_origins_are_checked_against_the_allowlist() {
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue};
    let server = TestServer::start(&[]).await;
    let connect = |origin: &'static str| {
        let mut request = format!("ws://{}/ws", server.addr)
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("origin", HeaderValue::from_static(origin));
        tokio_tungstenite::connect_async(request)
    };
    assert!(connect("http://allowed.test").await.is_ok());
    let own: &'static str = Box::leak(format!("http://{}", server.addr).into_boxed_str());
    assert!(connect(own).await.is_ok());
    match connect("http://evil.test").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("expected 403, got {other:?}"),
    }
}

#[tokio::test]
async fn a_silent_peer_is_dropped_by_the_heartbeat() {
    let server = TestServer::start(&[
        "--heartbeat-interval-ms",
        "100",
        "--heartbeat-timeout-ms",
        "300",
    ])
    .await;
    let mut silent = server.agent("1001").await;
    // The peer goes silent: it neither reads nor answers pings. This pause
    // *is* the dead peer, not a wait for the server.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    // Frames queued before the close may come first; then the socket must
    // end (next_frame panics if it is still open after PATIENCE).
    while silent.next_frame().await.is_some() {}
    // The agent stays logged in: the panel can resume.
    let mut back = server.panel().await;
    back.session = silent.session.clone();
    back.resume(&silent.session.clone().unwrap().token, silent.last_seq())
        .await
        .unwrap();
}

#[tokio::test]
async fn simulator_api_contract() {
    let server = TestServer::start(&[]).await;
    let mut a = server.agent("1001").await;
    let (status, body) = server
        .post(
            "/api/sim/calls",
            json!({"from": "+15551230001", "to": "5000", "data": {"account": "42"}}),
        )
        .await;
    assert_eq!(status, 201);
    let call = body["callId"].as_str().unwrap().to_string();
    let calls = server.calls().await;
    assert_eq!(calls[0]["callId"], call);
    assert_eq!(
        calls[0]["parties"],
        json!([{"dn": "+15551230001", "state": "connected"}, {"dn": "5000", "state": "queued"}])
    );
    assert_eq!(calls[0]["data"], json!({"account": "42"}));
    assert_eq!(calls[0]["digits"], "");

    // Outbound call answered by the far end.
    let out = a
        .ok(CstaRequest::MakeCall {
            destination: "+15559990000".into(),
            user_data: None,
        })
        .await
        .unwrap();
    assert_eq!(
        server.parties(&out).await,
        [
            party("2001", "initiated"),
            party("+15559990000", "alerting")
        ]
    );
    let (status, _) = server
        .post(&format!("/api/sim/calls/{out}/answer"), json!({}))
        .await;
    assert_eq!(status, 200);
    a.expect_call_state(&out, "Established").await;

    // The caller presses keys: they join the call's digits; keys that are
    // not DTMF are refused and change nothing.
    let (status, _) = server
        .post(
            &format!("/api/sim/calls/{call}/dtmf"),
            json!({"digits": "12#"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = server
        .post(
            &format!("/api/sim/calls/{call}/dtmf"),
            json!({"digits": "9x"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errCode"], "OPENCTI_BAD_REQUEST");
    let listed = server.calls().await;
    let listed = listed.iter().find(|c| c["callId"] == call).unwrap();
    assert_eq!(listed["digits"], "12#");

    // Errors: unknown ids 404, malformed JSON 400, both with OpenCTI bodies.
    for path in [
        "/api/sim/calls/nope/hangup",
        "/api/sim/calls/nope/answer",
        "/api/sim/calls/nope/dtmf",
    ] {
        let (status, body) = server.post(path, json!({"digits": "1"})).await;
        assert_eq!(status, 404, "{path}");
        assert!(body["errCode"].as_str().unwrap().starts_with("OPENCTI_"));
        assert!(!body["errMessage"].as_str().unwrap().is_empty());
    }
    let (status, body) = server.post_raw("/api/sim/calls", "{\"from\":").await;
    assert_eq!(status, 400);
    assert_eq!(body["errCode"], "OPENCTI_BAD_REQUEST");
    let (status, body) = server
        .post("/api/sim/calls", json!({"from": "+1555", "to": "7777"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errCode"], "OPENCTI_CF_INVALID_DESTINATION");
    let (status, body) = server
        .post(&format!("/api/sim/calls/{call}/answer"), json!({}))
        .await;
    assert_eq!(status, 409, "nobody outside is ringing: {body}");

    // A direct call to a busy extension: the extension's party failed.
    let busy = server.place_call("2001", json!({})).await;
    assert_eq!(server.parties(&busy).await[1], party("2001", "failed"));
}

#[tokio::test]
async fn the_directory_reaches_the_panel_in_the_opencti_shape() {
    let server = TestServer::start(&[]).await;
    let mut a = server.agent("1001").await;
    a.ok(ready()).await;
    let _b = server.agent("1002").await;
    let call = server.place_call("5000", json!({})).await;
    a.expect_ringing().await;
    a.ok(answer(&call)).await;
    server.place_call("5001", json!({})).await;
    let Ok(Some(app::wire::native::ResponseValue::Directory(native))) =
        a.request(CstaRequest::GetDirectory).await
    else {
        panic!("GetDirectory answers with a directory")
    };
    let directory = app::wire::convert::directory(native);
    validate_against("Directory", &serde_json::to_value(&directory).unwrap());
    let agents: Vec<_> = directory
        .agents
        .iter()
        .map(|a| {
            (
                a.agent_id.as_str(),
                serde_json::to_value(a.agent_state).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        agents,
        [
            ("1001", json!("Busy")),
            ("1002", json!("NotReady")),
            ("1003", json!("Logout")),
            ("1004", json!("Logout"))
        ]
    );
    assert_eq!(
        serde_json::to_value(&directory.queues).unwrap(),
        json!([{"pyQueue": "5000", "pyName": "Sales", "pyCallsWaiting": 0},
               {"pyQueue": "5001", "pyName": "Support", "pyCallsWaiting": 1}])
    );
}
