//! `server sim …` against a real server: the CLI places, lists, answers and
//! hangs up calls through the simulator's HTTP API.

use crate::common::*;
use server::sim_cli::{SimAction, SimArgs, run, run_to};

fn args(server: &TestServer, action: SimAction) -> SimArgs {
    SimArgs {
        url: server.url(""),
        api_key_file: None,
        action,
    }
}

#[tokio::test]
async fn the_cli_drives_the_simulator() {
    let server = TestServer::start(&[]).await;
    let action = SimAction::Call {
        to: "5001".into(),
        from: "+15557654321".into(),
        data: vec![("account".into(), "9".into())],
    };
    let mut printed = Vec::new();
    run_to(args(&server, action), &mut printed).await.unwrap();
    let calls = server.calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["from"], "+15557654321");
    assert_eq!(calls[0]["data"]["account"], "9");
    let call_id = calls[0]["callId"].as_str().unwrap().to_string();
    assert_eq!(
        String::from_utf8(printed).unwrap().trim(),
        call_id,
        "call prints the id"
    );
    let mut listed = Vec::new();
    run_to(args(&server, SimAction::List), &mut listed)
        .await
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&listed).expect("list prints JSON");
    assert_eq!(
        listed,
        serde_json::Value::Array(calls.clone()),
        "list prints the calls"
    );
    // Nobody outside is ringing: the server's refusal is the CLI's error.
    let err = run(args(
        &server,
        SimAction::Answer {
            call_id: call_id.clone(),
        },
    ))
    .await
    .unwrap_err();
    assert!(err.to_string().contains("409"), "{err}");
    run(args(
        &server,
        SimAction::Hangup {
            call_id: call_id.clone(),
        },
    ))
    .await
    .unwrap();
    assert!(server.calls().await.is_empty());
    let err = run(args(&server, SimAction::Hangup { call_id }))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
}
