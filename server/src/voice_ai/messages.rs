//! Reading what an AI engine sends: `{"events": [...]}` (the HTTP body, and
//! accepted on the fork's WebSocket too) or one event object. Every event is
//! checked before any is delivered, so a bad batch changes nothing.

use super::events::{ConversationEvent, MAX_EVENTS};
use serde_json::Value;

/// The checked events of one request or message.
pub fn read_events(body: Value) -> Result<Vec<ConversationEvent>, String> {
    let list = match body {
        Value::Object(mut object) if object.contains_key("events") => {
            match object.remove("events") {
                Some(Value::Array(list)) => list,
                _ => return Err("events must be an array".into()),
            }
        }
        event @ Value::Object(_) => vec![event],
        _ => return Err(r#"expected {"events": [...]} or one event object"#.into()),
    };
    if list.is_empty() {
        return Err("events is empty".into());
    }
    if list.len() > MAX_EVENTS {
        return Err(format!("at most {MAX_EVENTS} events at a time"));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, value)| {
            let event: ConversationEvent =
                serde_json::from_value(value).map_err(|e| format!("events[{i}]: {e}"))?;
            event.check().map_err(|e| format!("events[{i}]: {e}"))?;
            Ok(event)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_batch_or_one_object() {
        let batch = json!({"events": [
            {"type": "utterance", "speaker": "customer", "text": "hi", "final": true},
            {"type": "summary", "text": "Said hi."}
        ]});
        assert_eq!(read_events(batch).unwrap().len(), 2);
        let one = json!({"type": "intent", "name": "refund", "confidence": 0.9});
        assert_eq!(read_events(one).unwrap().len(), 1);
    }

    #[test]
    fn one_bad_event_refuses_the_batch_and_says_which() {
        let err = read_events(json!({"events": [
            {"type": "summary", "text": "ok"},
            {"type": "summary", "text": ""}
        ]}))
        .unwrap_err();
        assert!(err.starts_with("events[1]"), "{err}");
        assert!(read_events(json!({"events": []})).is_err());
        assert!(read_events(json!({"events": "x"})).is_err());
        assert!(read_events(json!([1])).is_err());
        let many: Vec<_> = (0..=MAX_EVENTS)
            .map(|_| json!({"type": "summary", "text": "x"}))
            .collect();
        assert!(read_events(json!({ "events": many })).is_err());
    }
}
