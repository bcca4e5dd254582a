//! Property-based fuzzing of what the panel decodes from outside: the host
//! page's postMessage commands, JavaScript arguments of `window.OpenCTI`
//! functions, and OpenCTI events from `publishEvent` (then applied to the
//! store). Properties: nothing panics, and every rejection is an OpenCTI
//! error with a code and a message. The case count is bounded for the test
//! suite; `PROPTEST_CASES=100000 cargo test -p app --test fuzz` runs longer.

use app::{
    interface::{Request, Store},
    opencti::{ErrorCode, OpenCtiError, events::OpenCtiEvent, functions::Function},
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 512;

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

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        // Strings that look like what the decoders expect.
        prop_oneof![
            Just("C1"),
            Just("2001"),
            Just("+15551230001"),
            Just("5000"),
            Just(""),
            Just("Alerting"),
            Just("Ready"),
            Just("INBOUND"),
            Just("connected"),
        ]
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field names: the protocol's own, and junk.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "type", "fn", "args", "number", "id", "agentId", "password", "extension",
            "options", "callId", "destination", "digits", "reasonCode", "workMode",
            "heldCallId", "consultCallId", "activeCallId", "party", "disposition", "note",
            "userData", "telephonyMode", "pyEventType", "pyEventName", "pyCallId",
            "pyCallState", "pyCallType", "pyParties", "pyUserData", "pyAgentState",
            "pyCalls", "pyDN", "pyState", "pyTimestamp",
        ])
        .prop_map(str::to_string),
        1 => ".{0,8}",
    ]
}

fn function_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(Function::ALL.iter().map(|f| f.js_name()).collect::<Vec<_>>())
            .prop_map(str::to_string),
        1 => ".{0,10}",
    ]
}

/// Host messages: mostly well-formed envelopes with arbitrary contents.
fn host_message() -> impl Strategy<Value = Value> {
    prop_oneof![
        any_json(),
        (function_name(), any_json()).prop_map(|(f, args)| json!({"type": "opencti:call", "fn": f, "args": args})),
        (function_name(), prop::collection::btree_map(field_name(), any_json(), 0..5)).prop_map(
            |(f, args)| json!({"type": "opencti:call", "id": 1, "fn": f, "args": Value::Object(args.into_iter().collect())})
        ),
        any_json().prop_map(|n| json!({"type": "opencti:clickToDial", "number": n})),
    ]
}

fn assert_clear(err: &OpenCtiError) {
    assert!(
        !err.err_message.trim().is_empty(),
        "an error without a message: {err:?}"
    );
    assert!(
        matches!(
            err.err_code,
            ErrorCode::BadRequest | ErrorCode::InvalidDestination
        ),
        "input errors are bad requests or bad numbers: {err:?}"
    );
}

/// Valid events of every type, to mutate.
fn seeds() -> Vec<Value> {
    let call = json!({
        "pyCallId": "C1", "pyCallState": "Alerting", "pyCallType": "INBOUND",
        "pyANI": "+15551230001", "pyDNIS": "5000", "pyOtherDN": "+15551230001",
        "pyParties": [{"pyDN": "+15551230001", "pyState": "connected"}, {"pyDN": "2001", "pyState": "alerting"}],
        "pyUserData": {"account": "42"}, "pyQueue": "5000", "pyTimestamp": 7
    });
    vec![
        json!({"pyEventType": "SnapshotEvent", "pyEventName": "Snapshot", "pyAgentId": "1001",
               "pyAgentState": "NotReady", "pyWorkMode": "AUX_WORK", "pyReasonCode": "",
               "pyDeviceState": "OPENED", "pyLinkState": "CONNECTED", "pyThisDN": "2001",
               "pyTelephonyMode": "full", "pyCalls": [call]}),
        json!({"pyEventType": "CallStateEvent", "pyEventName": "Alerting", "pyCallId": "C1",
               "pyCallType": "INBOUND", "pyANI": "+15551230001", "pyDNIS": "5000",
               "pyOtherDN": "+15551230001", "pyThisDN": "2001", "pyMedia": "Phone",
               "pyTimestamp": 7, "pyQueue": "5000"}),
        json!({"pyEventType": "CallStateEvent", "pyEventName": "Established", "pyCallId": "C1",
               "pyCallType": "INBOUND", "pyANI": "+15551230001", "pyDNIS": "5000",
               "pyOtherDN": "+15551230001", "pyThisDN": "2001", "pyMedia": "Phone",
               "pyTimestamp": 8}),
        json!({"pyEventType": "AgentStateEvent", "pyEventName": "NotReady", "pyAgentId": "1001",
               "pyWorkMode": "AUX_WORK", "pyReasonCode": "Lunch"}),
        json!({"pyEventType": "CallInfoEvent", "pyEventName": "CallInfo", "pyCallId": "C1",
               "pyUserData": {"account": "42"}}),
        json!({"pyEventType": "PartyInfoEvent", "pyEventName": "PartyInfo", "pyCallId": "C1",
               "pyParties": [{"pyDN": "2001", "pyState": "connected"}]}),
    ]
}

/// A seed with one field replaced, removed or added.
fn mutated_event() -> impl Strategy<Value = Value> {
    let seeds = seeds();
    (
        0..seeds.len(),
        0..3u8,
        field_name(),
        any_json(),
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(i, how, name, value, pick)| {
            let mut event: Map<String, Value> = seeds[i].as_object().unwrap().clone();
            let keys: Vec<String> = event.keys().cloned().collect();
            let key = keys[pick.index(keys.len())].clone();
            match how {
                0 => {
                    event.insert(key, value);
                }
                1 => {
                    event.remove(&key);
                }
                _ => {
                    event.insert(name, value);
                }
            }
            Value::Object(event)
        })
}

#[test]
fn the_seed_events_are_valid() {
    for seed in seeds() {
        serde_json::from_value::<OpenCtiEvent>(seed.clone())
            .unwrap_or_else(|e| panic!("{seed}: {e}"));
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn host_messages_decode_or_are_refused_clearly(message in host_message()) {
        if let Err(err) = Request::from_host_message(&message) {
            assert_clear(&err);
        }
    }

    #[test]
    fn javascript_arguments_decode_or_are_refused_clearly(
        name in function_name(),
        args in prop::collection::vec(any_json(), 0..6),
    ) {
        if let Err(err) = Request::from_positional(&name, args) {
            assert_clear(&err);
        }
    }

    #[test]
    fn published_events_parse_or_are_refused_and_never_break_the_store(
        events in prop::collection::vec(prop_oneof![mutated_event(), any_json()], 1..8),
    ) {
        let mut store = Store::default();
        for value in events {
            match serde_json::from_value::<OpenCtiEvent>(value) {
                Ok(event) => store.apply(&event),
                Err(err) => prop_assert!(!err.to_string().is_empty()),
            }
        }
        // The store still answers, and its snapshot is a valid event.
        let snapshot = serde_json::to_value(store.state_event()).unwrap();
        prop_assert!(serde_json::from_value::<OpenCtiEvent>(snapshot).is_ok());
    }
}
