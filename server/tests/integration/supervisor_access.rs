//! The supervisor's access and actions: sign-in, the role check on each
//! path an agent might try (page sign-in API, HTTP API, relay
//! subscription), the live feed, and force Not ready / force logout with
//! their audit log.

use app::{
    supervisor::{AgentActivity, Snapshot},
    wire::native::ServerFrame,
};
use serde_json::{Value, json};

use crate::common::*;

/// Signs in as a supervisor (or tries to): status and body.
async fn sign_in(server: &TestServer, user: &str, password: &str) -> (u16, Value) {
    server
        .post(
            "/api/supervisor/login",
            json!({"userId": user, "password": password}),
        )
        .await
}

async fn supervisor_token(server: &TestServer) -> String {
    let (status, body) = sign_in(server, "9001", "demo").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["supervisorId"], "9001");
    body["token"].as_str().unwrap().to_string()
}

/// A request with an optional bearer token: status and body.
async fn send(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = server.http().request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(server: &TestServer, path: &str, token: &str) -> (u16, Value) {
    send(server, reqwest::Method::GET, path, Some(token), None).await
}

async fn post(server: &TestServer, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    send(server, reqwest::Method::POST, path, Some(token), body).await
}

fn agent<'a>(snapshot: &'a Snapshot, id: &str) -> &'a app::supervisor::AgentRow {
    snapshot.agents.iter().find(|a| a.agent_id == id).unwrap()
}

#[tokio::test]
async fn an_agent_cannot_sign_in_as_a_supervisor() {
    let server = TestServer::start(&[]).await;
    let (status, body) = sign_in(&server, "1001", "demo").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["errCode"], "OPENCTI_UNAUTHORIZED");
    assert!(body.get("token").is_none());
    let (status, body) = sign_in(&server, "9001", "wrong").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errCode"], "OPENCTI_UNAUTHORIZED");
    let (status, _) = sign_in(&server, "9999", "demo").await;
    assert_eq!(status, 401);
    // A supervisor is no agent either: the panel's login refuses 9001.
    let mut panel = server.panel().await;
    let refused = panel.login("9001").await.unwrap_err();
    assert_eq!(refused.err_code.as_str(), "OPENCTI_UNAUTHORIZED");
}

#[tokio::test]
async fn an_agents_session_gets_403_from_every_supervisor_route() {
    let server = TestServer::start(&[]).await;
    let panel = server.agent("1001").await;
    let token = panel.token();
    let routes = [
        (reqwest::Method::GET, "/api/supervisor/snapshot", None),
        (reqwest::Method::GET, "/api/supervisor/audit", None),
        (
            reqwest::Method::POST,
            "/api/supervisor/actions",
            Some(json!({"agentId": "1002", "action": "forceLogout", "reason": "x"})),
        ),
        (reqwest::Method::POST, "/api/supervisor/logout", None),
    ];
    for (method, path, body) in routes {
        let (status, reply) = send(&server, method.clone(), path, Some(&token), body.clone()).await;
        assert_eq!(
            status, 403,
            "{method} {path} with an agent's token: {reply}"
        );
        assert_eq!(reply["errCode"], "OPENCTI_UNAUTHORIZED");
        assert!(reply.get("agents").is_none() && !reply.is_array());
        let (status, _) = send(&server, method.clone(), path, None, body.clone()).await;
        assert_eq!(status, 401, "{method} {path} with no token");
        let (status, _) = send(&server, method, path, Some("nope.nope"), body).await;
        assert_eq!(status, 401, "{path} with a made-up token");
    }
    // Nothing was done: agent 1002 was never touched, 1001 still in session.
    assert!(server.hub.snapshot("1001").is_some());
}

#[tokio::test]
async fn an_agents_session_gets_no_supervisor_feed() {
    let server = TestServer::start(&[]).await;
    let mut panel = server.agent("1001").await;
    let token = panel.token();
    let refused = panel.supervise(&token).await.unwrap_err();
    assert_eq!(refused.err_code.as_str(), "OPENCTI_UNAUTHORIZED");
    // Figures change (a call queues, the agent changes state): the agent's
    // socket gets its own events and never a supervisor frame.
    server.place_call("5000", json!({})).await;
    panel.ok(ready()).await;
    panel.expect_ringing().await;
    let frames = panel.frames_until_pong().await;
    assert!(
        !frames
            .iter()
            .any(|f| matches!(f, ServerFrame::Supervisor { .. })),
        "{frames:?}"
    );
    // A socket with no session at all is refused the same way.
    let mut anonymous = server.panel().await;
    assert!(anonymous.supervise("nope.nope").await.is_err());
    assert!(
        !anonymous
            .frames_until_pong()
            .await
            .iter()
            .any(|f| matches!(f, ServerFrame::Supervisor { .. }))
    );
}

#[tokio::test]
async fn the_feed_follows_logins_queues_and_answers() {
    let server = TestServer::start(&["--wrap-up-seconds", "0"]).await;
    let token = supervisor_token(&server).await;
    let mut watcher = server.panel().await;
    watcher.supervise(&token).await.unwrap();
    let first = watcher.expect_figures(|_| true).await;
    assert_eq!(first.agents.len(), 4);
    assert!(
        first
            .agents
            .iter()
            .all(|a| a.activity == AgentActivity::LoggedOut)
    );
    assert_eq!(first.service_level_seconds, 20);

    let mut a = server.agent("1001").await;
    watcher
        .expect_figures(|s| agent(s, "1001").activity == AgentActivity::NotReady)
        .await;
    let call = server.place_call("5000", json!({})).await;
    let queued = watcher.expect_figures(|s| s.queues[0].waiting == 1).await;
    assert!(queued.queues[0].oldest_since.is_some());
    a.ok(ready()).await;
    a.expect_ringing().await;
    a.ok(answer(&call)).await;
    let talking = watcher
        .expect_figures(|s| agent(s, "1001").activity == AgentActivity::OnCall)
        .await;
    assert_eq!(talking.queues[0].waiting, 0);
    assert_eq!(agent(&talking, "1001").call.as_ref().unwrap().party, CALLER);
    a.ok(hang_up(&call)).await;
    let after = watcher
        .expect_figures(|s| agent(s, "1001").handled == 1)
        .await;
    assert_eq!(after.queues[0].answered, 1);
    // The HTTP snapshot is the same figures.
    let (status, body) = get(&server, "/api/supervisor/snapshot", &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["queues"][0]["answered"], 1);

    // Signing out ends the feed and the token.
    let (status, _) = post(&server, "/api/supervisor/logout", &token, None).await;
    assert_eq!(status, 204);
    let (status, _) = get(&server, "/api/supervisor/snapshot", &token).await;
    assert_eq!(status, 401);
    a.ok(not_ready_on_break()).await;
    // The next figures are refused on the socket (an Error frame) instead
    // of sent; what came before them shows nothing after the sign-out.
    loop {
        match watcher.next_frame().await.expect("socket open") {
            ServerFrame::Error { error } => {
                assert_eq!(error.err_code.as_str(), "OPENCTI_UNAUTHORIZED");
                break;
            }
            ServerFrame::Supervisor { .. } => assert_ne!(
                agent(watcher.figures.as_ref().unwrap(), "1001").activity,
                AgentActivity::NotReady,
                "a signed-out supervisor's socket got figures"
            ),
            _ => {}
        }
    }
    assert!(
        !watcher
            .frames_until_pong()
            .await
            .iter()
            .any(|f| matches!(f, ServerFrame::Supervisor { .. }))
    );
}

/// Not ready on Break, the agents' own way.
fn not_ready_on_break() -> app::wire::native::CstaRequest {
    app::wire::native::CstaRequest::SetAgentState {
        state: app::wire::native::RequestedAgentState::NotReady,
        reason: Some("Break".into()),
        work_mode: None,
    }
}

#[tokio::test]
async fn forcing_an_agent_reaches_its_panel_and_is_audited() {
    let server = TestServer::start(&[]).await;
    let token = supervisor_token(&server).await;
    let mut a = server.agent("1001").await;
    a.ok(ready()).await;
    let mut b = server.agent("1002").await;
    let b_token = b.token();
    let act = |agent: &str, action: &str, reason: &str| json!({"agentId": agent, "action": action, "reason": reason});
    let order = |body: Value| post(&server, "/api/supervisor/actions", &token, Some(body));

    let (status, entry) = order(act("1001", "forceNotReady", "Coaching session")).await;
    assert_eq!(status, 200, "{entry}");
    assert_eq!(entry["supervisorId"], "9001");
    let info = a.expect_agent("AgentNotReady").await;
    assert_eq!(info.reason, "Coaching session");

    let (status, _) = order(act("1002", "forceLogout", "End of shift")).await;
    assert_eq!(status, 200);
    let info = b.expect_agent("AgentLoggedOff").await;
    assert_eq!(info.reason, "End of shift");
    // The forced-out session is over: its token resumes nothing.
    let mut again = server.panel().await;
    assert!(again.resume(&b_token, 0).await.is_err());

    // Refusals change nothing and are not audited.
    let (status, body) = order(act("1002", "forceNotReady", "x")).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["errCode"], "OPENCTI_AGENT_NOT_LOGGED_IN");
    let (status, body) = order(act("1001", "forceLogout", "  ")).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = order(act("1001", "forceLogout", &"x".repeat(101))).await;
    assert_eq!(status, 400);
    let (status, _) = order(json!({"agentId": "1001", "action": "explode", "reason": "x"})).await;
    assert_eq!(status, 400);
    assert!(
        server.hub.snapshot("1001").is_some(),
        "1001 still logged in"
    );

    let (status, log) = get(&server, "/api/supervisor/audit", &token).await;
    assert_eq!(status, 200);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["action"], "forceLogout");
    assert_eq!(log[0]["agentId"], "1002");
    assert_eq!(log[0]["reason"], "End of shift");
    assert_eq!(log[1]["action"], "forceNotReady");
    assert_eq!(log[1]["reason"], "Coaching session");
    assert!(log[0]["at"].as_u64().unwrap() >= log[1]["at"].as_u64().unwrap());
}

#[tokio::test]
async fn the_audit_log_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("ccp-audit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("audit.sqlite");
    let path = file.to_string_lossy().to_string();
    {
        let server = TestServer::start(&["--database", &path]).await;
        let token = supervisor_token(&server).await;
        let _a = server.agent("1003").await;
        let (status, _) = post(
            &server,
            "/api/supervisor/actions",
            &token,
            Some(json!({"agentId": "1003", "action": "forceNotReady", "reason": "Quality check"})),
        )
        .await;
        assert_eq!(status, 200);
        assert!(server.hub.recorder().flush(PATIENCE).await);
        server.stop();
    }
    let server = TestServer::start(&["--database", &path]).await;
    let log = server.hub.recorder().database().audit(10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].agent_id, "1003");
    assert_eq!(log[0].reason, "Quality check");
    std::fs::remove_dir_all(&dir).ok();
}
