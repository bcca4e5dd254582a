//! Property-based fuzzing of the server's decoders of outside input: the
//! configuration file and the simulator API's bodies and paths (no socket
//! needed), and SIP datagrams sent to the SIP edge's socket (the relay's
//! frames are fuzzed in `relay::socket::tests`).
//! Properties: nothing panics; every refusal is a clear error (an OpenCTI
//! error with a code for HTTP, a message naming the problem for the file).
//! `PROPTEST_CASES=100000 cargo test -p server --test integration fuzz::` runs
//! more cases; `FUZZ_SECONDS=600` runs each fuzzer of outside input (SIP,
//! Voice AI, the simulator API) for that long (`scripts/bench.sh fuzz`).

use app::opencti::OpenCtiError;
use axum::{
    body::Body,
    http::{Request, header},
};
use clap::Parser;
use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::{Value, json};
use server::{config::Cli, switch::SwitchConfig};
use tower::ServiceExt;

const CASES: u32 = 256;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Runs `test` on `strategy` for the cases of [`config`], or with
/// `FUZZ_SECONDS` set, round after round until that many seconds have
/// passed; prints how many cases ran (the figures of docs/security.md).
fn fuzz<S: Strategy>(
    name: &str,
    strategy: &S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let budget = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(std::time::Duration::from_secs);
    let started = std::time::Instant::now();
    let cases = std::sync::atomic::AtomicU64::new(0);
    loop {
        TestRunner::new(config())
            .run(strategy, |value| {
                cases.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                test(value)
            })
            .unwrap();
        if budget.is_none_or(|budget| started.elapsed() >= budget) {
            break;
        }
    }
    eprintln!(
        "fuzz {name}: {} cases in {:.1} s, no failure",
        cases.into_inner(),
        started.elapsed().as_secs_f64()
    );
}

/// A server's router and hub (no socket but the SIP edge's, if asked for)
/// with an in-memory database and `flags`, on a runtime of its own.
fn server_with(flags: &[&str]) -> (tokio::runtime::Runtime, axum::Router, server::relay::Hub) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut argv = vec![
        "server",
        "--addr",
        "127.0.0.1:0",
        "--database",
        "sqlite::memory:",
    ];
    argv.extend_from_slice(flags);
    let cli = Cli::try_parse_from(argv).unwrap();
    let (router, hub) = runtime
        .block_on(server::app_router(
            &cli.serve,
            "127.0.0.1:3000".parse().unwrap(),
        ))
        .unwrap();
    (runtime, router, hub)
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,10}".prop_map(Value::String),
        prop::sample::select(vec!["5000", "2001", "+15551230001", "", "C1001", "call me"])
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(vec!["from", "to", "data", "account", "x"])
                        .prop_map(str::to_string),
                    ".{0,6}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The demo configuration as TOML, with one key set to an arbitrary value
/// or removed, or arbitrary text.
fn config_text() -> impl Strategy<Value = String> {
    let demo = toml::Value::try_from(SwitchConfig::demo()).unwrap();
    let keys: Vec<String> = demo.as_table().unwrap().keys().cloned().collect();
    let value = prop_oneof![
        any::<i64>().prop_map(toml::Value::Integer),
        ".{0,8}".prop_map(toml::Value::String),
        any::<bool>().prop_map(toml::Value::Boolean),
        prop::collection::vec(".{0,5}".prop_map(toml::Value::String), 0..4)
            .prop_map(toml::Value::Array),
    ];
    prop_oneof![
        3 => (prop::sample::select(keys), prop::option::of(value)).prop_map(move |(key, value)| {
            let mut table = demo.as_table().unwrap().clone();
            match value {
                Some(v) => table.insert(key, v),
                None => table.remove(&key),
            };
            toml::to_string(&toml::Value::Table(table)).unwrap()
        }),
        1 => ".{0,64}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn configuration_files_load_or_are_refused_with_a_message(text in config_text()) {
        let dir = std::env::temp_dir().join(format!("ccp-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("switch.toml");
        std::fs::write(&path, &text).unwrap();
        let cli = Cli::try_parse_from(["server", "--config", path.to_str().unwrap()]).unwrap();
        if let Err(message) = cli.serve.switch_config() {
            prop_assert!(!message.trim().is_empty());
        }
    }
}

#[test]
fn simulator_and_conversation_requests_are_answered_or_refused_clearly() {
    let (runtime, router, _hub) = server_with(&[]);
    let body = prop_oneof![
        any_json().prop_map(|v| v.to_string()),
        ".{0,40}",
        (any_json(), any_json(), any_json())
            .prop_map(|(from, to, data)| json!({"from": from, "to": to, "data": data}).to_string()),
        // Conversation events: a batch of anything, or one object.
        prop::collection::vec(any_json(), 0..4)
            .prop_map(|events| json!({ "events": events }).to_string()),
        (any_json(), any_json())
            .prop_map(|(kind, text)| json!({"type": kind, "text": text}).to_string()),
    ];
    let path = prop_oneof![
        Just("/api/sim/calls".to_string()),
        "[A-Za-z0-9%._-]{0,8}".prop_map(|id| format!("/api/sim/calls/{id}/hangup")),
        "[A-Za-z0-9%._-]{0,8}".prop_map(|id| format!("/api/sim/calls/{id}/answer")),
        "[A-Za-z0-9%._-]{0,8}".prop_map(|id| format!("/api/sim/calls/{id}/say")),
        "[A-Za-z0-9%._-]{0,8}".prop_map(|id| format!("/api/calls/{id}/conversation-events")),
    ];
    let content_type = prop::sample::select(vec!["application/json", "text/plain", ""]);
    fuzz(
        "simulator and conversation-events requests",
        &(path, body, content_type),
        |(path, body, content_type)| {
            let mut request = Request::post(&path);
            if !content_type.is_empty() {
                request = request.header(header::CONTENT_TYPE, content_type);
            }
            let request = request.body(Body::from(body)).unwrap();
            let response = runtime.block_on(router.clone().oneshot(request)).unwrap();
            let status = response.status().as_u16();
            prop_assert!(
                [200, 201, 202, 400, 403, 404, 405, 409, 422].contains(&status),
                "{path}: status {status}"
            );
            if status >= 400 && status != 405 {
                let bytes = runtime
                    .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
                    .unwrap();
                let error: OpenCtiError = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("{path} {status}: not an OpenCTI error ({e})"));
                prop_assert!(!error.err_message.is_empty());
            }
            Ok(())
        },
    );
    // The simulator still works.
    let request = Request::get("/api/sim/calls").body(Body::empty()).unwrap();
    let response = runtime.block_on(router.oneshot(request)).unwrap();
    assert_eq!(response.status(), 200);
}

/// Well-formed SIP to mangle: each kind of request the edge reads.
fn sip_templates() -> Vec<String> {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
    let request = |method: &str, uri: &str, extra: &str, body: &str| {
        format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-fuzz\r\n\
             Max-Forwards: 70\r\nFrom: <sip:+15551230001@carrier>;tag=f\r\nTo: <sip:5000@ccp>\r\n\
             Call-ID: fuzz-1\r\nCSeq: 1 {method}\r\nContact: <sip:+15551230001@127.0.0.1:5999>\r\n\
             {extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    vec![
        request(
            "INVITE",
            "sip:5000@ccp",
            "Content-Type: application/sdp\r\nX-AccountId: 1\r\nUser-to-User: 6869;encoding=hex\r\n",
            sdp,
        ),
        request(
            "REGISTER",
            "sip:ccp",
            "Authorization: Digest username=\"2005\", realm=\"ccp\", nonce=\"n\", uri=\"sip:ccp\", response=\"r\", qop=auth, nc=00000001, cnonce=\"c\"\r\n",
            "",
        ),
        request("BYE", "sip:ccp", "", ""),
        request("CANCEL", "sip:5000@ccp", "", ""),
        request("OPTIONS", "sip:ccp", "", ""),
        request("ACK", "sip:ccp", "", ""),
    ]
}

/// A SIP message mangled: arbitrary bytes, bytes of a real one changed,
/// cut short, or one header's value replaced by anything.
fn sip_datagram() -> impl Strategy<Value = Vec<u8>> {
    let template = prop::sample::select(sip_templates());
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        (
            template.clone(),
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
        )
            .prop_map(|(text, edits)| {
                let mut bytes = text.into_bytes();
                for (at, byte) in edits {
                    let at = at.index(bytes.len());
                    bytes[at] = byte;
                }
                bytes
            }),
        (template.clone(), any::<prop::sample::Index>()).prop_map(|(text, cut)| {
            let bytes = text.into_bytes();
            bytes[..cut.index(bytes.len())].to_vec()
        }),
        (template, any::<prop::sample::Index>(), ".{0,40}").prop_map(|(text, line, value)| {
            let mut lines: Vec<String> = text.split("\r\n").map(str::to_string).collect();
            let header = 1 + line.index(lines.len().saturating_sub(8).max(1));
            if let Some((name, _)) = lines[header].clone().split_once(':') {
                lines[header] = format!("{name}: {value}");
            }
            lines.join("\r\n").into_bytes()
        }),
    ]
}

#[test]
fn sip_messages_however_mangled_are_answered_or_dropped_and_the_edge_goes_on() {
    let (runtime, _router, hub) = server_with(&["--sip-addr", "127.0.0.1:0"]);
    // An agent serves the queues: INVITEs go all the way to a call (the
    // caller ID, the SDP, the dialog), not only to "nobody is there".
    let attached = runtime
        .block_on(hub.login("1001", "demo", None, None, None))
        .unwrap();
    let _ = hub.request(&attached.session.token, "ready", &crate::common::ready());
    let edge = hub.sip_addr().unwrap();
    let socket = runtime
        .block_on(tokio::net::UdpSocket::bind("127.0.0.1:0"))
        .unwrap();
    let me = socket.local_addr().unwrap();
    let counter = std::sync::atomic::AtomicU64::new(0);
    fuzz("SIP datagrams to the edge", &sip_datagram(), |datagram| {
        let probes = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let probe = format!(
            "OPTIONS sip:ccp SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK-probe-{probes}\r\n\
                 Max-Forwards: 70\r\nFrom: <sip:probe@x>;tag=p\r\nTo: <sip:ccp@x>\r\n\
                 Call-ID: probe-{probes}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
        );
        runtime.block_on(async {
            socket.send_to(&datagram, edge).await.unwrap();
            socket.send_to(probe.as_bytes(), edge).await.unwrap();
            // Everything the edge sends back before the probe's answer
            // is well-formed SIP.
            let mut buf = vec![0u8; 65_536];
            loop {
                let (n, _) = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    socket.recv_from(&mut buf),
                )
                .await
                .expect("the edge still answers")
                .unwrap();
                let message = sipx_sip::parse_datagram(
                    bytes::Bytes::copy_from_slice(&buf[..n]),
                    &sipx_sip::Limits::datagram(),
                );
                prop_assert!(message.is_ok(), "the edge sent something that is not SIP");
                let text = String::from_utf8_lossy(&buf[..n]);
                if text.contains(&format!("Call-ID: probe-{probes}")) {
                    prop_assert!(text.starts_with("SIP/2.0 200"), "{text}");
                    break;
                }
            }
            // The caller hangs up whatever call it made.
            for call in hub.sim_calls() {
                prop_assert!(hub.sim_hang_up(&call.call_id).is_ok());
            }
            Ok(())
        })
    });
    // Every call a mangled INVITE made has ended with its caller.
    assert!(hub.sim_calls().is_empty());
}

/// One conversation event: of a known type with fields of any value, or
/// anything at all.
fn conversation_event() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        Just(json!("")),
        ".{0,60}".prop_map(Value::String),
        (0usize..5000).prop_map(|n| json!("x".repeat(n))),
        any_json(),
    ];
    let kind = prop::sample::select(vec![
        "utterance",
        "intent",
        "suggestion",
        "summary",
        "other",
    ]);
    // Well-formed events with texts of any characters: the path on to the
    // agents is fuzzed too, not only the refusals.
    let valid = (0usize..4, ".{1,80}", 0.0f64..=1.0).prop_map(|(kind, text, confidence)| {
        match kind {
            0 => json!({"type": "utterance", "speaker": "customer", "text": text, "final": confidence > 0.5}),
            1 => json!({"type": "intent", "name": text, "confidence": confidence}),
            2 => json!({"type": "suggestion", "title": text, "text": text, "url": "https://kb.example/a"}),
            _ => json!({"type": "summary", "text": text}),
        }
    });
    prop_oneof![
        3 => valid,
        4 => (kind, text.clone(), text.clone(), any_json(), any_json()).prop_map(
            |(kind, text, title, number, flag)| {
                json!({
                    "type": kind, "text": text, "title": title, "name": title,
                    "speaker": prop_speaker(&number), "final": flag, "confidence": number,
                    "url": if flag.is_boolean() { json!("javascript:alert(1)") } else { json!("https://kb.example/a") },
                    "start": number, "end": flag,
                })
            }
        ),
        1 => any_json(),
    ]
}

fn prop_speaker(seed: &Value) -> Value {
    match seed.as_i64().map(|n| n.rem_euclid(3)) {
        Some(0) => json!("customer"),
        Some(1) => json!("agent"),
        _ => seed.clone(),
    }
}

#[test]
fn voice_ai_events_of_any_shape_on_a_live_call_are_delivered_or_refused_clearly() {
    let (runtime, router, hub) = server_with(&[]);
    // A call in progress, answered by agent 1001, whose session takes the
    // events the engine sends.
    let mut attached = runtime
        .block_on(hub.login("1001", "demo", None, None, None))
        .unwrap();
    let call_id = hub
        .sim_place_call("+15551230001", "2001", Default::default())
        .unwrap();
    let answer = app::wire::native::CstaRequest::AnswerCall {
        call_id: call_id.clone(),
    };
    let answered = hub.request(&attached.session.token, "answer", &answer);
    assert!(format!("{answered:?}").contains("ok: true"), "{answered:?}");
    let path = format!("/api/calls/{call_id}/conversation-events");
    let body = prop_oneof![
        prop::collection::vec(conversation_event(), 0..4)
            .prop_map(|events| json!({ "events": events })),
        conversation_event(),
        any_json(),
    ];
    let accepted = std::sync::atomic::AtomicU64::new(0);
    fuzz(
        "Voice AI conversation events on a live call",
        &body,
        |body| {
            let request = Request::post(&path)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            let response = runtime.block_on(router.clone().oneshot(request)).unwrap();
            let status = response.status().as_u16();
            prop_assert!([202, 400].contains(&status), "status {status} for {body}");
            let bytes = runtime
                .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
                .unwrap();
            if status == 400 {
                let error: OpenCtiError = serde_json::from_slice(&bytes).expect("an OpenCTI error");
                prop_assert!(!error.err_message.is_empty());
            } else {
                accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            // What the fork's socket would carry is read by the same reader,
            // and never panics either.
            let _ = server::voice_ai::messages::read_events(body);
            Ok(())
        },
    );
    // Some batches were whole and valid, and they reached the agent as
    // OpenCTI VoiceAIEvents; the call is still up.
    assert!(accepted.into_inner() > 0, "no valid batch was generated");
    let mut delivered = 0;
    loop {
        match attached.feed.try_recv() {
            Ok(event) => {
                if matches!(event.1, app::wire::native::NativeEvent::Conversation(_)) {
                    delivered += 1;
                }
            }
            // The feed holds the latest events only: enough to see some.
            Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => continue,
            Err(_) => break,
        }
    }
    assert!(delivered > 0, "no event reached the agent");
    assert_eq!(hub.sim_calls().len(), 1);
}
