//! DESIGN.md §10 "Security", from outside: who may use the simulator, the
//! history API and the relay from where; cross-site writes; failed logins
//! and their limits; the headers of every page; the per-socket limits.

use crate::common::*;
use app::opencti::ErrorCode;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{
    Message,
    client::IntoClientRequest,
    http::{HeaderValue, StatusCode},
    protocol::frame::coding::CloseCode,
};

const KEY: &str = "test-key-0123456789abcdef";

/// A key file for `--api-key-file`, removed with the test's temp dir.
fn key_file() -> String {
    let dir =
        std::env::temp_dir().join(format!("ccp-key-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("api.key");
    std::fs::write(&path, format!("{KEY}\n")).unwrap();
    path.to_string_lossy().into_owned()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

async fn status(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

fn place_body() -> Value {
    json!({"from": CALLER, "to": "5000"})
}

#[tokio::test]
async fn off_loopback_without_a_key_the_simulator_is_not_served() {
    let server = TestServer::start_public(&[]).await;
    let http = server.http();
    assert_eq!(status(http.get(server.url("/api/sim/calls"))).await, 404);
    assert_eq!(
        status(http.post(server.url("/api/sim/calls")).json(&place_body())).await,
        404
    );
    // `--simulator` alone is not enough: it needs a key.
    let server = TestServer::start_public(&["--simulator"]).await;
    assert_eq!(
        status(server.http().get(server.url("/api/sim/calls"))).await,
        404
    );
    // The history API needs the key too, and there is none.
    assert_eq!(
        status(server.http().get(server.url("/api/calls"))).await,
        401
    );
    // The panel itself is served.
    assert_eq!(status(server.http().get(server.url("/"))).await, 200);
}

#[tokio::test]
async fn off_loopback_the_simulator_and_history_need_the_key() {
    let file = key_file();
    let server = TestServer::start_public(&["--simulator", "--api-key-file", &file]).await;
    let http = server.http();
    for (auth, expected) in [
        (None, 401),
        (Some("Bearer wrong-key-0123456789".to_string()), 401),
        (Some(format!("Basic {KEY}")), 401),
        (Some(format!("Bearer {KEY}")), 201),
    ] {
        let mut request = http.post(server.url("/api/sim/calls")).json(&place_body());
        if let Some(auth) = &auth {
            request = request.header("authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), expected, "{auth:?}");
        if expected == 401 {
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errCode"], "OPENCTI_UNAUTHORIZED");
        }
    }
    assert_eq!(status(http.get(server.url("/api/calls"))).await, 401);
    assert_eq!(status(http.get(server.url("/api/calls.csv"))).await, 401);
    assert_eq!(status(http.get(server.url("/metrics"))).await, 401);
    assert_eq!(
        status(http.get(server.url("/api/calls")).bearer_auth(KEY)).await,
        200
    );
    assert_eq!(
        status(http.get(server.url("/metrics")).bearer_auth(KEY)).await,
        200
    );
    assert_eq!(
        status(http.get(server.url("/api/sim/calls")).bearer_auth(KEY)).await,
        200
    );
}

#[tokio::test]
async fn on_loopback_a_configured_key_is_needed_too() {
    let file = key_file();
    let server = TestServer::start(&["--api-key-file", &file]).await;
    let http = server.http();
    assert_eq!(status(http.get(server.url("/api/sim/calls"))).await, 401);
    assert_eq!(status(http.get(server.url("/api/calls"))).await, 401);
    assert_eq!(status(http.get(server.url("/metrics"))).await, 401);
    assert_eq!(
        status(http.get(server.url("/api/sim/calls")).bearer_auth(KEY)).await,
        200
    );
    // Without a key on loopback, both are open (the other tests rely on it).
    let open = TestServer::start(&[]).await;
    assert_eq!(status(open.http().get(open.url("/api/calls"))).await, 200);
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    let server = TestServer::start(&[]).await;
    let mut agent = server.agent("1001").await;
    let call_id = server.place_call("2001", json!({})).await;
    agent.expect_ringing().await;
    let http = server.http();
    let own = format!("http://{}", server.addr);
    // A form post from another site, with or without its Origin.
    for (origin, content_type, body) in [
        (
            Some("http://evil.test"),
            "application/x-www-form-urlencoded",
            "",
        ),
        (Some("http://evil.test"), "text/plain", "{}"),
        (Some("null"), "application/json", "{}"),
        (None, "application/x-www-form-urlencoded", "a=b"),
        (None, "multipart/form-data; boundary=x", "--x--"),
        (Some(own.as_str()), "text/plain", "{}"),
    ] {
        let mut request = http
            .post(server.url(&format!("/api/sim/calls/{call_id}/hangup")))
            .header("content-type", content_type)
            .body(body);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        assert_eq!(status(request).await, 403, "{origin:?} {content_type}");
    }
    // A JSON post from another site is refused too (a browser would need a
    // preflight for it, which is never granted).
    let request = http
        .post(server.url("/api/sim/calls"))
        .header("origin", "http://evil.test")
        .json(&place_body());
    assert_eq!(status(request).await, 403);
    // A place-call body that is not JSON: 403.
    let request = http
        .post(server.url("/api/sim/calls"))
        .header("content-type", "text/plain")
        .body(place_body().to_string());
    assert_eq!(status(request).await, 403);
    let request = http.post(server.url("/api/sim/calls"));
    assert_eq!(status(request).await, 403);
    // Nothing happened to the call.
    assert_eq!(
        server.parties(&call_id).await,
        [party(CALLER, "connected"), party("2001", "alerting")]
    );
    // The server's own origin, the allowlist and non-browser clients may.
    for origin in [Some(own.as_str()), Some("http://allowed.test"), None] {
        let mut request = http.post(server.url("/api/sim/calls")).json(&place_body());
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        assert_eq!(status(request).await, 201, "{origin:?}");
    }
    let request = http
        .post(server.url(&format!("/api/sim/calls/{call_id}/hangup")))
        .header("origin", own.as_str());
    assert_eq!(status(request).await, 200);
}

#[tokio::test]
async fn relay_clients_without_an_origin_need_loopback_or_the_key() {
    let file = key_file();
    let server = TestServer::start_public(&["--api-key-file", &file]).await;
    let url = format!("ws://{}/ws", server.addr);
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED)
        }
        other => panic!("expected 401, got {other:?}"),
    }
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {KEY}")).unwrap(),
    );
    let (ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut panel = Panel::new(ws);
    panel.login("1001").await.unwrap();
    // A browser (its Origin allowlisted) needs no key.
    let mut request = url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", HeaderValue::from_static("http://allowed.test"));
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());
}

#[tokio::test]
async fn failed_logins_get_one_answer_and_are_limited() {
    let server = TestServer::start(&[]).await;
    let mut panel = server.panel().await;
    let unknown = panel
        .login_as("9999", "demo", None, None)
        .await
        .unwrap_err();
    let wrong = panel
        .login_as("1001", "guess", None, None)
        .await
        .unwrap_err();
    assert_eq!(unknown.err_code, ErrorCode::Unauthorized);
    assert_eq!(unknown, wrong, "one answer whatever was wrong");
    // Four more wrong passwords (five in all) lock agent 1001 out: the right
    // password is now refused with the same answer.
    for _ in 0..4 {
        panel
            .login_as("1001", "guess", None, None)
            .await
            .unwrap_err();
    }
    let locked = panel
        .login_as("1001", "demo", None, None)
        .await
        .unwrap_err();
    assert_eq!(locked, wrong);
    // Other agents from the same address still log in: an address (a whole
    // floor behind one NAT) has a larger allowance than one agent...
    panel.login("1002").await.unwrap();
    // ...until it too has failed too often: then every login from it waits.
    let mut other = server.panel().await;
    for i in 0..14 {
        let agent = format!("u{i}");
        other
            .login_as(&agent, "guess", None, None)
            .await
            .unwrap_err();
    }
    assert_eq!(
        other
            .login_as("1004", "demo", None, None)
            .await
            .unwrap_err(),
        wrong
    );
    panel.assert_alive().await;
}

#[tokio::test]
async fn pages_carry_the_security_headers_and_a_nonce_for_the_hydration_script() {
    let server = TestServer::start(&[]).await;
    for path in ["/", "/embed"] {
        let response = server.http().get(server.url(path)).send().await.unwrap();
        let headers = response.headers().clone();
        let csp = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let html = response.text().await.unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-"),
            "{csp}"
        );
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap();
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "the inline script carries the policy's nonce"
        );
        // Every inline script has it.
        let inline_scripts = html.matches("<script").count();
        let with_nonce = html.matches(&format!("<script nonce=\"{nonce}\"")).count()
            + html.matches("<script type=\"module\" nonce=").count();
        assert!(with_nonce >= 1 && inline_scripts >= 1);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert!(!headers.contains_key("strict-transport-security"));
        let ancestors = if path == "/embed" {
            "frame-ancestors 'self' http://allowed.test"
        } else {
            "frame-ancestors 'self'"
        };
        assert!(csp.ends_with(ancestors), "{path}: {csp}");
        assert!(csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"));
    }
    // Two responses, two nonces.
    let nonce = |csp: &str| csp.split("'nonce-").nth(1).unwrap().to_string();
    let a = server.http().get(server.url("/")).send().await.unwrap();
    let b = server.http().get(server.url("/")).send().await.unwrap();
    assert_ne!(
        nonce(a.headers()["content-security-policy"].to_str().unwrap()),
        nonce(b.headers()["content-security-policy"].to_str().unwrap())
    );
    // API responses are not sniffed either.
    let api = server
        .http()
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_flooding_socket_is_closed_alone() {
    let server = TestServer::start(&[]).await;
    let mut bystander = server.agent("1002").await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
        .await
        .unwrap();
    let ping = serde_json::to_string(&app::wire::native::ClientFrame::Ping).unwrap();
    // One ping at a time, each answered before the next: far faster than
    // the steady allowance, so the burst runs out within the first
    // thousand.
    let mut close = None;
    let mut answered = 0;
    'flood: for _ in 0..5000 {
        ws.send(Message::Text(ping.clone().into())).await.unwrap();
        while let Some(message) = ws.next().await {
            match message.unwrap() {
                Message::Close(frame) => {
                    close = frame;
                    break 'flood;
                }
                Message::Text(_) => {
                    answered += 1;
                    continue 'flood;
                }
                _ => {}
            }
        }
    }
    // (The client's answers to the server's pings count too.)
    assert!(
        answered >= 50,
        "the burst allowance is served first: {answered}"
    );
    let close = close.expect("the server closes the flooding socket with a reason");
    assert_eq!(close.code, CloseCode::Policy);
    assert_eq!(close.reason.as_str(), "too many messages");
    bystander.assert_alive().await;
}

#[test]
fn hash_password_prints_an_argon2id_hash_that_verifies() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let hash = String::from_utf8(output.stdout).unwrap();
    let hash = hash.trim();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(server::security::credentials::verify(
        Some(hash),
        "correct horse"
    ));
    assert!(!server::security::credentials::verify(
        Some(hash),
        "correct horse\n"
    ));
}

/// Every request that names calls, built from two call ids.
fn call_requests(a: &str, b: &str) -> Vec<Value> {
    vec![
        json!({"type": "AnswerCall", "callId": a}),
        json!({"type": "RejectCall", "callId": a}),
        json!({"type": "ClearConnection", "callId": a}),
        json!({"type": "ClearConnection", "callId": a, "device": "2002"}),
        json!({"type": "HoldCall", "callId": a}),
        json!({"type": "RetrieveCall", "callId": a}),
        json!({"type": "GenerateDigits", "callId": a, "digits": "1"}),
        json!({"type": "ConsultationCall", "callId": a, "destination": "2004"}),
        json!({"type": "SingleStepTransferCall", "callId": a, "destination": "2001"}),
        json!({"type": "TransferCall", "originalCallId": a, "consultCallId": b}),
        json!({"type": "ConferenceCall", "originalCallId": a, "consultCallId": b}),
        json!({"type": "AlternateCall", "heldCallId": a, "activeCallId": b}),
        json!({"type": "TransferCall", "originalCallId": b, "consultCallId": a}),
        json!({"type": "AlternateCall", "heldCallId": b, "activeCallId": a}),
    ]
}

#[tokio::test]
async fn an_agent_cannot_touch_another_agents_calls_nor_learn_about_them() {
    let server = TestServer::start(&[]).await;
    let mut b = server.agent("1002").await;
    let mut c = server.agent("1003").await;
    let mut a = server.agent("1001").await;
    b.ok(app_ready()).await;
    // B: a customer call on hold, and a consultation ringing agent 1003.
    let customer = server
        .place_call("5000", json!({"account": "secret-42"}))
        .await;
    b.expect_ringing().await;
    b.ok(request(json!({"type": "AnswerCall", "callId": customer})))
        .await;
    b.ok(request(json!({"type": "HoldCall", "callId": customer})))
        .await;
    let consult = b
        .ok(request(
            json!({"type": "ConsultationCall", "callId": customer, "destination": "2003"}),
        ))
        .await
        .expect("a consultation call id");
    c.expect_ringing().await;
    let before = (
        server.parties(&customer).await,
        server.parties(&consult).await,
    );

    // Every request fails (`unwrap_err`): none is accepted.
    for (theirs, unknown) in call_requests(&customer, &consult)
        .into_iter()
        .zip(call_requests("C9998", "C9999"))
    {
        let refused = a.request(request(theirs.clone())).await.unwrap_err();
        let reference = a.request(request(unknown)).await.unwrap_err();
        // Exactly the answer an unknown call gets: nothing tells A that the
        // calls exist, whose they are or what they carry.
        let hide = |text: &str| {
            text.replace(&customer, "X")
                .replace(&consult, "Y")
                .replace("C9998", "X")
                .replace("C9999", "Y")
        };
        assert_eq!(refused.err_code, reference.err_code, "{theirs}");
        assert_eq!(
            hide(&refused.err_message),
            hide(&reference.err_message),
            "{theirs}"
        );
        // (The call ids are A's own words; B's agent id, extensions, caller
        // and data must not appear.)
        let said = hide(&refused.err_message);
        for secret in ["1002", "2002", "2003", CALLER, "secret-42"] {
            assert!(!said.contains(secret), "{theirs}: {refused:?}");
        }
    }
    // B's calls are as they were, and B and 1003 saw nothing of it.
    assert_eq!(
        (
            server.parties(&customer).await,
            server.parties(&consult).await
        ),
        before
    );
    b.assert_alive().await;
    c.assert_alive().await;
    assert!(
        b.events
            .iter()
            .all(|(_, e)| !format!("{e:?}").contains("2001"))
    );
}

fn request(value: Value) -> app::wire::native::CstaRequest {
    serde_json::from_value(value).unwrap()
}

fn app_ready() -> app::wire::native::CstaRequest {
    request(json!({"type": "SetAgentState", "state": "Ready"}))
}
