//! What an AI engine says about a call (DESIGN.md §10 "Voice AI"): the
//! objects of `POST /api/calls/{callId}/conversation-events` and of the media
//! fork's WebSocket. The server checks them ([`ConversationEvent::check`])
//! and turns them into `VoiceAIEvent`s here, once: their text ends up in
//! panels and their links in the agent's hands, and the panel's wasm carries
//! only the OpenCTI shape.

use app::opencti::{
    events::{Speaker, VoiceAiEvent},
    validate,
};
use serde::{Deserialize, Serialize};

/// One message of an AI engine about a call, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ConversationEvent {
    /// Speech recognised. An interim one (`final: false`) is replaced by
    /// the speaker's next utterance.
    Utterance {
        speaker: Speaker,
        text: String,
        #[serde(rename = "final")]
        is_final: bool,
        /// Seconds from the start of the call's audio, when the engine says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end: Option<f64>,
    },
    /// What the customer wants, as the engine understood it.
    Intent { name: String, confidence: f64 },
    /// Something the agent may use: a text and perhaps a link.
    Suggestion {
        title: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// What the call was about, for the wrap-up note.
    Summary { text: String },
}

/// The longest text a conversation event may carry, in characters.
pub const MAX_TEXT: usize = 4000;

/// The most events one request or message may carry.
pub const MAX_EVENTS: usize = 100;

impl ConversationEvent {
    /// Checks what JSON alone cannot: texts not empty and not huge, a
    /// confidence between 0 and 1, a link that is plain `http(s)` (a
    /// `javascript:` link would run in the panel's origin).
    pub fn check(&self) -> Result<(), String> {
        let text = |field: &str, value: &str| match value.chars().count() {
            0 => Err(format!("{field} is empty")),
            n if n > MAX_TEXT => Err(format!("{field} is longer than {MAX_TEXT} characters")),
            _ => Ok(()),
        };
        match self {
            Self::Utterance {
                text: t,
                start,
                end,
                ..
            } => {
                text("text", t)?;
                if let (Some(start), Some(end)) = (start, end)
                    && end < start
                {
                    return Err("end is before start".into());
                }
                let negative = |t: &Option<f64>| t.is_some_and(|t| t.is_nan() || t < 0.0);
                if negative(start) || negative(end) {
                    return Err("start and end are seconds, not negative".into());
                }
                Ok(())
            }
            Self::Intent { name, confidence } => {
                text("name", name)?;
                if !(0.0..=1.0).contains(confidence) {
                    return Err("confidence is between 0 and 1".into());
                }
                Ok(())
            }
            Self::Suggestion {
                title,
                text: t,
                url,
            } => {
                text("title", title)?;
                text("text", t)?;
                match url {
                    Some(url) if !validate::web_link(url) => {
                        Err("url must be an absolute http or https link".into())
                    }
                    _ => Ok(()),
                }
            }
            Self::Summary { text: t } => text("text", t),
        }
    }
}

impl ConversationEvent {
    /// The OpenCTI event for the agents on `call_id`, taken at `timestamp`.
    pub fn into_opencti(self, call_id: &str, timestamp: u64) -> VoiceAiEvent {
        let call_id = call_id.to_string();
        match self {
            Self::Utterance {
                speaker,
                text,
                is_final,
                start,
                end,
            } => VoiceAiEvent::Utterance {
                call_id,
                timestamp,
                speaker,
                text,
                is_final,
                start,
                end,
            },
            Self::Intent { name, confidence } => VoiceAiEvent::Intent {
                call_id,
                timestamp,
                name,
                confidence,
            },
            Self::Suggestion { title, text, url } => VoiceAiEvent::Suggestion {
                call_id,
                timestamp,
                title,
                text,
                url,
            },
            Self::Summary { text } => VoiceAiEvent::Summary {
                call_id,
                timestamp,
                text,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: serde_json::Value) -> Result<ConversationEvent, String> {
        let event: ConversationEvent = serde_json::from_value(value).map_err(|e| e.to_string())?;
        event.check()?;
        Ok(event)
    }

    #[test]
    fn reads_the_four_kinds_of_the_contract() {
        assert_eq!(
            parse(
                json!({"type": "utterance", "speaker": "customer", "text": "hi", "final": false})
            )
            .unwrap(),
            ConversationEvent::Utterance {
                speaker: Speaker::Customer,
                text: "hi".into(),
                is_final: false,
                start: None,
                end: None
            }
        );
        assert!(parse(json!({"type": "intent", "name": "billing", "confidence": 0.8})).is_ok());
        assert!(
            parse(
                json!({"type": "suggestion", "title": "Refunds", "text": "Policy",
                "url": "https://kb.example.com/refunds"})
            )
            .is_ok()
        );
        assert!(parse(json!({"type": "summary", "text": "Asked for a refund."})).is_ok());
    }

    #[test]
    fn refuses_what_would_mislead_or_harm_the_panel() {
        for bad in [
            json!({"type": "utterance", "speaker": "robot", "text": "x", "final": true}),
            json!({"type": "utterance", "speaker": "agent", "text": "", "final": true}),
            json!({"type": "utterance", "speaker": "agent", "text": "x", "final": true, "start": 2.0, "end": 1.0}),
            json!({"type": "intent", "name": "x", "confidence": 1.5}),
            json!({"type": "suggestion", "title": "x", "text": "y", "url": "javascript:alert(1)"}),
            json!({"type": "suggestion", "title": "x", "text": "y", "url": "https:///x"}),
            json!({"type": "summary", "text": "x".repeat(MAX_TEXT + 1)}),
            json!({"type": "gossip", "text": "x"}),
            json!({"speaker": "agent", "text": "x", "final": true}),
        ] {
            assert!(parse(bad.clone()).is_err(), "accepted {bad}");
        }
    }
}
