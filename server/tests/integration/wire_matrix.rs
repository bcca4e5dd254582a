//! The Interface's requests × agent states × call states, sent over the
//! wire by a raw client (the switch has its own matrix; this one goes
//! through the relay): every refused request answers with an OpenCTI error
//! code and a message, and changes nothing — not the agent, not the calls,
//! and no event reaches the panel.

use crate::common::*;
use app::wire::native::CstaRequest;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq)]
enum AgentSetup {
    LoggedOut,
    NotReady,
    Ready,
    AfterCallWork,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CallSetup {
    NoCall,
    Alerting,
    Initiated,
    Connected,
    Held,
}

fn request(value: Value) -> CstaRequest {
    serde_json::from_value(value).unwrap()
}

/// Every request kind the Interface sends, on the call `c`.
fn requests(c: &str) -> Vec<(&'static str, CstaRequest)> {
    [
        ("ready", json!({"type": "SetAgentState", "state": "Ready"})),
        (
            "not ready",
            json!({"type": "SetAgentState", "state": "NotReady", "reason": "Break"}),
        ),
        (
            "log out",
            json!({"type": "SetAgentState", "state": "LoggedOff"}),
        ),
        (
            "finish wrap-up",
            json!({"type": "CompleteWrapUp", "disposition": "Sale"}),
        ),
        ("dial", json!({"type": "MakeCall", "destination": "2002"})),
        ("answer", json!({"type": "AnswerCall", "callId": c})),
        ("reject", json!({"type": "RejectCall", "callId": c})),
        ("hang up", json!({"type": "ClearConnection", "callId": c})),
        ("hold", json!({"type": "HoldCall", "callId": c})),
        ("retrieve", json!({"type": "RetrieveCall", "callId": c})),
        (
            "dtmf",
            json!({"type": "GenerateDigits", "callId": c, "digits": "5"}),
        ),
        (
            "consult",
            json!({"type": "ConsultationCall", "callId": c, "destination": "2002"}),
        ),
        (
            "blind transfer",
            json!({"type": "SingleStepTransferCall", "callId": c, "destination": "2002"}),
        ),
        (
            "complete transfer",
            json!({"type": "TransferCall", "originalCallId": c, "consultCallId": c}),
        ),
        (
            "complete conference",
            json!({"type": "ConferenceCall", "originalCallId": c, "consultCallId": c}),
        ),
        (
            "swap",
            json!({"type": "AlternateCall", "heldCallId": c, "activeCallId": c}),
        ),
        ("directory", json!({"type": "GetDirectory"})),
    ]
    .into_iter()
    .map(|(name, value)| (name, request(value)))
    .collect()
}

/// A server where agent 1001 (extension 2001) is in `agent` with a call in
/// `call`; returns the panel and the call id (an unknown one for none).
async fn setup(agent: AgentSetup, call: CallSetup) -> Option<(TestServer, Panel, String)> {
    let server = TestServer::start(&[]).await;
    let mut panel = server.panel().await;
    if agent == AgentSetup::LoggedOut {
        return (call == CallSetup::NoCall).then(|| (server, panel, "C9999".to_string()));
    }
    panel.login("1001").await.unwrap();
    let _witness = server.agent("1002").await;
    match agent {
        AgentSetup::Ready => {
            panel.ok(ready()).await;
        }
        AgentSetup::AfterCallWork => {
            let c = server.place_call("2001", json!({})).await;
            panel.expect_ringing().await;
            panel.ok(answer(&c)).await;
            panel.ok(hang_up(&c)).await;
        }
        _ => {}
    }
    let call_id = match call {
        CallSetup::NoCall => "C9999".to_string(),
        CallSetup::Initiated => panel
            .ok(request(
                json!({"type": "MakeCall", "destination": "+15559990000"}),
            ))
            .await
            .unwrap(),
        _ => {
            let c = server.place_call("2001", json!({})).await;
            panel.expect_ringing().await;
            if matches!(call, CallSetup::Connected | CallSetup::Held) {
                panel.ok(answer(&c)).await;
            }
            if call == CallSetup::Held {
                panel.ok(hold(&c)).await;
            }
            c
        }
    };
    Some((server, panel, call_id))
}

/// The simulator's calls without their audio figures (those move by
/// themselves, every 20 ms, while a call is connected).
async fn calls(server: &TestServer) -> Vec<Value> {
    let mut calls = server.calls().await;
    for call in &mut calls {
        if let Some(call) = call.as_object_mut() {
            call.remove("audio");
        }
    }
    calls
}

#[tokio::test]
async fn refused_requests_answer_an_error_and_change_nothing() {
    use AgentSetup::*;
    use CallSetup::*;
    let mut refused = 0;
    let mut accepted = 0;
    let mut refused_names = std::collections::BTreeSet::new();
    for agent in [LoggedOut, NotReady, Ready, AfterCallWork] {
        for call in [NoCall, Alerting, Initiated, Connected, Held] {
            for index in 0..requests("C").len() {
                let Some((server, mut panel, call_id)) = setup(agent, call).await else {
                    continue;
                };
                let (name, request) = requests(&call_id).swap_remove(index);
                let agent_before = server.hub.snapshot("1001");
                let calls_before = calls(&server).await;
                let events_before = panel.events.len();
                match panel.request(request).await {
                    Ok(_) => accepted += 1,
                    Err(err) => {
                        refused += 1;
                        refused_names.insert(name);
                        let case = format!("{name} with {agent:?} and {call:?}");
                        assert!(!err.err_message.trim().is_empty(), "{case}: {err:?}");
                        assert!(
                            serde_json::to_value(&err).unwrap()["errCode"]
                                .as_str()
                                .is_some_and(|c| c.starts_with("OPENCTI_")),
                            "{case}: {err:?}"
                        );
                        assert_eq!(panel.events.len(), events_before, "{case}: events sent");
                        assert_eq!(
                            server.hub.snapshot("1001"),
                            agent_before,
                            "{case}: agent changed"
                        );
                        assert_eq!(calls(&server).await, calls_before, "{case}: calls changed");
                        panel.assert_alive().await;
                    }
                }
            }
        }
    }
    // The matrix is not trivially one-sided: both kinds happened, and every
    // call control was refused somewhere.
    assert!(
        accepted > 20 && refused > 100,
        "accepted {accepted}, refused {refused}"
    );
    for name in [
        "answer", "reject", "hang up", "hold", "retrieve", "dtmf", "consult", "swap",
    ] {
        assert!(refused_names.contains(name), "{name} was never refused");
    }
}
