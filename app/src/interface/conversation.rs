//! What AI engines said about the agent's calls (`VoiceAIEvent`s), kept by
//! the store per call: the live transcript, the suggestions, the latest
//! intent and the summary. Bounded, because a call may talk for hours.

use std::collections::VecDeque;

use crate::opencti::events::{Speaker, VoiceAiEvent};

/// Most transcript lines kept per call (the oldest go first).
pub const MAX_LINES: usize = 200;
/// Most suggestions kept per call.
pub const MAX_SUGGESTIONS: usize = 20;
/// Most calls whose conversation is kept (current calls and the ones just
/// ended, whose summary the wrap-up needs).
pub const MAX_CONVERSATIONS: usize = 8;

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Stable while an interim line is refined.
    pub id: u32,
    pub speaker: Speaker,
    pub text: String,
    /// An interim line is replaced by the speaker's next utterance.
    pub is_final: bool,
}

/// A suggestion card.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Stable within the call, for the panel's list and for dismissing.
    pub id: u32,
    pub title: String,
    pub text: String,
    pub url: Option<String>,
}

/// The conversation of one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    pub lines: VecDeque<Line>,
    pub suggestions: Vec<Suggestion>,
    /// The latest intent and its confidence (0–1).
    pub intent: Option<(String, f64)>,
    pub summary: Option<String>,
    next_line: u32,
    next_suggestion: u32,
}

impl Conversation {
    /// Takes one event about this call.
    pub fn apply(&mut self, event: &VoiceAiEvent) {
        match event {
            VoiceAiEvent::Utterance {
                speaker,
                text,
                is_final,
                ..
            } => {
                // The speaker's interim line, if any, is this one's draft:
                // it is refined where it stands.
                if let Some(line) = self
                    .lines
                    .iter_mut()
                    .rev()
                    .find(|l| l.speaker == *speaker && !l.is_final)
                {
                    line.text.clone_from(text);
                    line.is_final = *is_final;
                    return;
                }
                self.lines.push_back(Line {
                    id: self.next_line,
                    speaker: *speaker,
                    text: text.clone(),
                    is_final: *is_final,
                });
                self.next_line += 1;
                while self.lines.len() > MAX_LINES {
                    self.lines.pop_front();
                }
            }
            VoiceAiEvent::Intent {
                name, confidence, ..
            } => {
                self.intent = Some((name.clone(), *confidence));
            }
            VoiceAiEvent::Suggestion {
                title, text, url, ..
            } => {
                // The same advice twice is one card.
                if self
                    .suggestions
                    .iter()
                    .any(|s| s.title == *title && s.text == *text)
                {
                    return;
                }
                self.suggestions.push(Suggestion {
                    id: self.next_suggestion,
                    title: title.clone(),
                    text: text.clone(),
                    url: url.clone(),
                });
                self.next_suggestion += 1;
                if self.suggestions.len() > MAX_SUGGESTIONS {
                    self.suggestions.remove(0);
                }
            }
            VoiceAiEvent::Summary { text, .. } => self.summary = Some(text.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(speaker: Speaker, text: &str, is_final: bool) -> VoiceAiEvent {
        VoiceAiEvent::Utterance {
            call_id: "C1".into(),
            timestamp: 0,
            speaker,
            text: text.into(),
            is_final,
            start: None,
            end: None,
        }
    }

    fn texts(c: &Conversation) -> Vec<&str> {
        c.lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn interim_lines_are_replaced_in_place_per_speaker() {
        let mut c = Conversation::default();
        c.apply(&said(Speaker::Customer, "I want", false));
        c.apply(&said(Speaker::Agent, "Hello", true));
        c.apply(&said(Speaker::Customer, "I want a refund", false));
        assert_eq!(texts(&c), ["I want a refund", "Hello"]);
        c.apply(&said(Speaker::Customer, "I want a refund please", true));
        c.apply(&said(Speaker::Customer, "Thanks", false));
        assert_eq!(
            texts(&c),
            ["I want a refund please", "Hello", "Thanks"],
            "a final line stays"
        );
        let ids: Vec<u32> = c.lines.iter().map(|l| l.id).collect();
        assert_eq!(ids, [0, 1, 2]);
    }

    #[test]
    fn the_transcript_is_bounded() {
        let mut c = Conversation::default();
        for i in 0..MAX_LINES + 5 {
            c.apply(&said(Speaker::Customer, &i.to_string(), true));
        }
        assert_eq!(c.lines.len(), MAX_LINES);
        assert_eq!(c.lines[0].text, "5");
    }

    #[test]
    fn suggestions_are_deduplicated_and_numbered() {
        let mut c = Conversation::default();
        let tip = |title: &str| VoiceAiEvent::Suggestion {
            call_id: "C1".into(),
            timestamp: 0,
            title: title.into(),
            text: "t".into(),
            url: None,
        };
        c.apply(&tip("Refunds"));
        c.apply(&tip("Refunds"));
        c.apply(&tip("Billing"));
        assert_eq!(c.suggestions.len(), 2);
        assert_eq!(c.suggestions[1].title, "Billing");
        assert_eq!(c.suggestions[1].id, 1);
    }
}
