//! The demo's main line (5100) end to end: the simulated caller hears the
//! menu through the media plane, presses keys through the simulator's
//! DTMF, and reaches the queue it chose, with the digits it entered as the
//! call's data at the agent.

use app::wire::native::NativeEvent;
use serde_json::{Value, json};

use crate::common::{PATIENCE, TestServer, answer, hang_up, party, ready};

async fn call(server: &TestServer, call_id: &str) -> Value {
    server
        .calls()
        .await
        .into_iter()
        .find(|c| c["callId"] == call_id)
        .unwrap_or(Value::Null)
}

/// Waits until the simulated caller of `call_id` hears something loud.
async fn hears_a_prompt(server: &TestServer, call_id: &str) {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let audio = call(server, call_id).await["audio"].clone();
        if audio["level"].as_f64().is_some_and(|l| l > -40.0) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no prompt heard: {audio}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn press(server: &TestServer, call_id: &str, digits: &str) {
    let (status, body) = server
        .post(
            &format!("/api/sim/calls/{call_id}/dtmf"),
            json!({"digits": digits}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_caller_hears_the_menu_presses_2_and_reaches_support() {
    let server = TestServer::start(&["--wrap-up-seconds", "0"]).await;
    let mut agent = server.agent("1001").await;
    agent.ok(ready()).await;
    let call_id = server.place_call("5100", json!({})).await;
    assert_eq!(
        server.parties(&call_id).await,
        [
            party("+15551230001", "connected"),
            party("5100", "connected")
        ],
        "the flow answers"
    );
    hears_a_prompt(&server, &call_id).await;
    press(&server, &call_id, "2").await;
    assert_eq!(agent.expect_ringing().await, call_id);
    assert_eq!(call(&server, &call_id).await["queue"], "5001");
}

#[tokio::test]
async fn the_account_number_a_caller_enters_reaches_the_answering_agent() {
    let server = TestServer::start(&["--wrap-up-seconds", "0"]).await;
    let mut agent = server.agent("1002").await;
    agent.ok(ready()).await;
    let call_id = server
        .place_call("5100", json!({"campaign": "winter"}))
        .await;
    // Typed ahead, over the prompts: 3 (account), then 4242 and hash.
    press(&server, &call_id, "3").await;
    press(&server, &call_id, "4242#").await;
    let delivered = agent
        .expect(|e| matches!(e, NativeEvent::Delivered(c) if c.call.call_id == call_id))
        .await;
    let NativeEvent::Delivered(event) = delivered else {
        unreachable!()
    };
    assert_eq!(
        event.call.data.get("account").map(String::as_str),
        Some("4242")
    );
    assert_eq!(
        event.call.data.get("campaign").map(String::as_str),
        Some("winter")
    );
    assert_eq!(event.call.queue.as_deref(), Some("5001"));

    // Its record keeps the way it came.
    agent.ok(answer(&call_id)).await;
    agent.ok(hang_up(&call_id)).await;
    let deadline = std::time::Instant::now() + PATIENCE;
    let record = loop {
        if let Some(r) = server
            .records()
            .await
            .into_iter()
            .find(|r| r["callId"] == call_id)
        {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no record of {call_id}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        record["flowPath"],
        json!([
            "flow 5100",
            "hours",
            "menu",
            "menu:3",
            "account",
            "account=4242",
            "support"
        ])
    );
    assert_eq!(record["queue"], "5001");
}

#[tokio::test]
async fn with_nobody_in_support_the_caller_hears_the_message_and_is_let_go() {
    let server = TestServer::start(&[]).await;
    let call_id = server.place_call("5100", json!({})).await;
    press(&server, &call_id, "2").await;
    // The closing message plays (some 4 s), then the flow hangs up.
    hears_a_prompt(&server, &call_id).await;
    let deadline = std::time::Instant::now() + 3 * PATIENCE;
    while !call(&server, &call_id).await.is_null() {
        assert!(std::time::Instant::now() < deadline, "the call is still up");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
