//! The switch's calls as the media plane needs them (see
//! [`crate::media::plan`]): derived from the state, each call again only
//! when it changed.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use app::{opencti::OpenCtiError, wire::native::ConnectionState};

use super::{Call, Destination, Switch};

/// The attached-data key that keeps a call from the Voice AI engine
/// (`voiceAI=off`).
const VOICE_AI_DATA_KEY: &str = "voiceAI";
use crate::media::plan::{CallMedia, Endpoint, MediaPlan, Member};

/// The plan's calls, kept between derivations: a call's media is derived
/// again only when the call was touched. Deriving every call after every
/// change made each change cost more as calls piled up, so a server that
/// fell behind fell further behind (a soak of 10,000 agents at 200 calls/s
/// collapsed that way after four minutes).
#[derive(Debug, Default)]
pub(super) struct MediaCache {
    calls: BTreeMap<String, Arc<CallMedia>>,
    /// Calls changed, added or ended since the last derivation.
    touched: BTreeSet<String>,
    /// Somebody logged in or out: whose browser an extension is changed.
    everything: bool,
}

impl MediaCache {
    /// Notes that `call_id` changed (or came or went).
    pub(super) fn touch(&mut self, call_id: &str) {
        if !self.touched.contains(call_id) {
            self.touched.insert(call_id.to_string());
        }
    }

    /// Notes that every call must be derived again.
    pub(super) fn touch_all(&mut self) {
        self.everything = true;
    }
}

impl Switch {
    /// Who is on which call, connected or holding, and who is logged in.
    /// Ringing, queued and failed parties have no audio yet.
    pub fn media_plan(&mut self) -> MediaPlan {
        let mut touched = std::mem::take(&mut self.media.touched);
        if std::mem::take(&mut self.media.everything) {
            touched.extend(self.calls.keys().cloned());
            touched.extend(self.media.calls.keys().cloned());
        }
        for call_id in touched {
            let media = self.calls.get(&call_id).and_then(|c| self.call_media(c));
            match media {
                // An unchanged call keeps its `Arc`: plans compare by pointer.
                Some(media) if self.media.calls.get(&call_id).is_some_and(|m| **m == media) => {}
                Some(media) => {
                    self.media.calls.insert(call_id, Arc::new(media));
                }
                None => {
                    self.media.calls.remove(&call_id);
                }
            }
        }
        MediaPlan {
            calls: self.media.calls.values().cloned().collect(),
            agents: self.signed_in.clone(),
        }
    }

    /// One call's members, if anybody on it has audio.
    fn call_media(&self, call: &Call) -> Option<CallMedia> {
        // A waiting caller hears the queue's callback offer, or its
        // recording notice: the queue's party is the prompt then.
        let queue_speaks = call.callback_offered || call.notice_playing;
        let members: Vec<Member> = call
            .parties
            .iter()
            .filter(|p| match p.state {
                ConnectionState::Connected | ConnectionState::Held => true,
                ConnectionState::Queued => queue_speaks,
                _ => false,
            })
            .filter_map(|p| {
                let endpoint = match self.classify(&p.dn) {
                    Destination::Extension(ext) if self.is_phone(&ext) => Endpoint::Phone {
                        call_id: call.id.clone(),
                        dn: ext,
                    },
                    Destination::Extension(ext) => {
                        Endpoint::Agent(self.agent_at(&ext)?.to_string())
                    }
                    Destination::External(dn) => Endpoint::FarEnd {
                        call_id: call.id.clone(),
                        dn,
                    },
                    Destination::Flow(_) => Endpoint::Prompt {
                        call_id: call.id.clone(),
                    },
                    Destination::Queue(_) if queue_speaks => Endpoint::Prompt {
                        call_id: call.id.clone(),
                    },
                    Destination::Queue(_) => return None,
                };
                Some(Member {
                    endpoint,
                    holding: p.state == ConnectionState::Held,
                })
            })
            .collect();
        (!members.is_empty()).then(|| CallMedia {
            call_id: call.id.clone(),
            members,
            forkable: self.forkable(call),
            recording: call.recording.as_ref().map(|r| r.state()),
        })
    }

    /// Whether a call's audio may go to the Voice AI engine: not when its
    /// queue says `voice_ai = false`, nor when its attached data says
    /// `voiceAI=off` (the caller declined, say).
    fn forkable(&self, call: &Call) -> bool {
        let queue_allows = call
            .queue
            .as_ref()
            .and_then(|q| self.queues.get(q))
            .is_none_or(|q| q.voice_ai);
        let data_allows = !call
            .data
            .get(VOICE_AI_DATA_KEY)
            .is_some_and(|v| v.eq_ignore_ascii_case("off"));
        queue_allows && data_allows
    }

    /// Checks that the agent may open audio for `call_id`: it is on that
    /// call (ringing, talking or holding). An offer names the call that
    /// needs it, so nobody opens media without a call of their own.
    pub fn check_audio_call(&self, agent_id: &str, call_id: &str) -> Result<(), OpenCtiError> {
        let dn = self.device_of(agent_id)?;
        match self.calls.get(call_id).and_then(|c| c.state_of(&dn)) {
            Some(state) if state != ConnectionState::Failed => Ok(()),
            _ => Err(OpenCtiError::invalid_state(format!(
                "there is no call {call_id} on extension {dn}"
            ))),
        }
    }
}
