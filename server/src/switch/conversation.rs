//! What AI engines say about calls (DESIGN.md §10 "Voice AI") reaches the
//! agents who are on the call, or who talked on it and have not finished
//! its wrap-up: a summary usually arrives after the hang-up.

use app::wire::native::NativeEvent;

use super::{SimError, Switch};
use crate::voice_ai::events::ConversationEvent;

impl Switch {
    /// Delivers `events` about `call_id` to the agents it concerns, in
    /// order; a call nobody is on or wrapping up is unknown. The events are
    /// checked by the caller ([`ConversationEvent::check`]).
    pub fn conversation(
        &mut self,
        call_id: &str,
        events: Vec<ConversationEvent>,
    ) -> Result<(), SimError> {
        let listeners = self.conversation_listeners(call_id);
        if listeners.is_empty() {
            return Err(SimError::UnknownCall(call_id.to_string()));
        }
        for event in events {
            let event = event.into_opencti(call_id, self.now);
            for agent_id in &listeners {
                self.deliver(agent_id, NativeEvent::Conversation(event.clone()));
            }
        }
        Ok(())
    }

    /// Agents on the call now, then agents who left it and are wrapping up.
    fn conversation_listeners(&self, call_id: &str) -> Vec<String> {
        let mut listeners: Vec<String> = self
            .calls
            .get(call_id)
            .map(|call| self.agents_on(call).into_iter().map(|(a, _)| a).collect())
            .unwrap_or_default();
        for agent in self.agents.values() {
            let id = &agent.config.id;
            let wrapping_up = agent.wrap_up.iter().flat_map(|w| &w.calls);
            if agent
                .finished
                .iter()
                .chain(wrapping_up)
                .any(|f| f.call_id == call_id)
                && !listeners.contains(id)
            {
                listeners.push(id.clone());
            }
        }
        listeners
    }
}
