//! Plays flows' prompts: the switch asks for a prompt, the hub turns it
//! into sound (espeak-ng for text, sox for a recording), has the media
//! plane play it to the caller, and tells the switch when it has played,
//! so the flow's wait for digits starts after the words, not during them.
//! A prompt that cannot be made (no espeak-ng, a broken file) is logged and
//! counts as played at once: the flow goes on, and the call is never stuck.

use super::{Hub, clock::Due};
use crate::{
    media::sound::SAMPLE_RATE,
    switch::flows::{Prompt, PromptToPlay},
    voice_ai::speech,
};

impl Hub {
    pub(super) fn play_prompt(&self, prompt: PromptToPlay) {
        let hub = self.clone();
        tokio::spawn(async move {
            let sound = match &prompt.prompt {
                Prompt::Text(text) => speech::synthesize(text).await,
                Prompt::Wav(path) => speech::sound_file(path).await,
            };
            let samples = sound.unwrap_or_else(|err| {
                tracing::warn!(call = %prompt.call_id, "a flow's prompt could not be made: {err}");
                vec![]
            });
            let played_ms = samples.len() as u64 * 1000 / SAMPLE_RATE;
            if let Some(media) = hub.media()
                && !samples.is_empty()
                && let Err(err) = media.play_prompt(&prompt.call_id, samples).await
            {
                // The caller hung up meanwhile, or the call left the flow.
                tracing::debug!(call = %prompt.call_id, "prompt not played: {err}");
            }
            let due = Due::PromptPlayed {
                call_id: prompt.call_id,
                generation: prompt.generation,
            };
            hub.defer(hub.now_ms() + played_ms, due);
        });
    }
}
