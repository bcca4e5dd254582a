//! Which calls are recorded, and the agents' pause and resume (PCI DSS: no
//! card number in a recording). The switch decides; the media plane writes
//! what the switch's plan says (`CallMedia::recording`), silence while
//! paused. A recording starts when an agent first talks with the customer
//! of a recorded call and lasts as long as the call.

use app::{
    opencti::{OpenCtiError, events::RecordingState, functions::Function},
    wire::native::{CallEvent, CallOrigin, ConnectionState, NativeEvent},
};

use super::{Call, Switch, config::QueueConfig, flows};

/// The generation of a recording notice's prompt (flows count theirs from
/// 0; a callback offer is 0).
const NOTICE_GENERATION: u64 = u64::MAX;

/// A call's recording, as the switch tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CallRecording {
    /// When it started (ms since the epoch).
    started_at: u64,
    /// Since when it is paused, if it is.
    paused_since: Option<u64>,
    /// The pauses that ended, oldest first.
    pauses: Vec<(u64, u64)>,
}

impl CallRecording {
    fn new(now: u64) -> Self {
        Self {
            started_at: now,
            paused_since: None,
            pauses: vec![],
        }
    }

    pub(super) fn state(&self) -> RecordingState {
        if self.paused_since.is_some() {
            RecordingState::Paused
        } else {
            RecordingState::Active
        }
    }

    /// What the call's record keeps: when it started and every pause, one
    /// still open closed at `now`.
    pub(super) fn spans(&self, now: u64) -> RecordingSpans {
        let mut paused = self.pauses.clone();
        if let Some(since) = self.paused_since {
            paused.push((since, now));
        }
        RecordingSpans {
            started_at: self.started_at,
            paused,
        }
    }
}

/// A recorded call's recording in its record: when it started and the
/// spans (ms since the epoch, from and to) that were paused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecordingSpans {
    pub started_at: u64,
    pub paused: Vec<(u64, u64)>,
}

impl Switch {
    /// Whether the call's audio is to be recorded: it has a customer (from
    /// or to the public network) and its queue records, or `--record-all`.
    fn records(&self, call: &Call) -> bool {
        let queue = call.queue.as_ref().and_then(|q| self.queues.get(q));
        self.records_in(call, queue)
    }

    /// Whether the call is recorded in `queue` (or with none).
    fn records_in(&self, call: &Call, queue: Option<&QueueConfig>) -> bool {
        call.origin != CallOrigin::Internal
            && (self.config.record_all || queue.is_some_and(|q| q.record))
    }

    /// A caller who has just entered `queue` hears its recording notice, if
    /// it has one and the call will be recorded; routing waits for it.
    pub(super) fn play_record_notice(&mut self, call_id: &str, queue: &QueueConfig) {
        let Some(notice) = &queue.record_notice else {
            return;
        };
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        if !self.records_in(call, Some(queue)) || call.notice_heard || call.callback.is_some() {
            return;
        }
        let call = self.call_mut(call_id);
        call.notice_playing = true;
        call.notice_heard = true;
        self.output.prompts.push(flows::PromptToPlay {
            call_id: call_id.to_string(),
            generation: NOTICE_GENERATION,
            prompt: flows::Prompt::Text(notice.clone()),
        });
    }

    /// The recording notice has played: the call may go to an agent.
    /// Says whether the prompt was a notice.
    pub(super) fn record_notice_finished(&mut self, call_id: &str, generation: u64) -> bool {
        if generation != NOTICE_GENERATION {
            return false;
        }
        if self.calls.get(call_id).is_some_and(|c| c.notice_playing) {
            self.call_mut(call_id).notice_playing = false;
            self.route();
        }
        true
    }

    /// Starts the call's recording if it is recorded and an agent now talks
    /// with its customer; tells the agents on it. Called on every change of
    /// the call's parties (from `track`).
    pub(super) fn start_recording_if_due(&mut self, call_id: &str) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        if call.recording.is_some() || !self.records(call) {
            return;
        }
        let connected = |p: &&app::wire::native::Party| p.state == ConnectionState::Connected;
        let agent_talks = call
            .parties
            .iter()
            .filter(connected)
            .any(|p| self.agent_at(&p.dn).is_some() || self.is_phone(&p.dn));
        let customer_talks = call
            .parties
            .iter()
            .filter(connected)
            .any(|p| self.is_outside(&p.dn));
        if !(agent_talks && customer_talks) {
            return;
        }
        let now = self.now;
        self.call_mut(call_id).recording = Some(CallRecording::new(now));
        self.tell_recording(call_id);
    }

    /// Pauses the recording of a call the agent is on.
    pub fn pause_recording(&mut self, agent_id: &str, call_id: &str) -> Result<(), OpenCtiError> {
        self.checked_call(agent_id, Function::PauseRecording, call_id)?;
        let now = self.now;
        if let Some(recording) = &mut self.call_mut(call_id).recording {
            recording.paused_since = Some(now);
        }
        self.tell_recording(call_id);
        Ok(())
    }

    /// Resumes the paused recording of a call the agent is on.
    pub fn resume_recording(&mut self, agent_id: &str, call_id: &str) -> Result<(), OpenCtiError> {
        self.checked_call(agent_id, Function::ResumeRecording, call_id)?;
        let now = self.now;
        if let Some(recording) = &mut self.call_mut(call_id).recording
            && let Some(since) = recording.paused_since.take()
        {
            recording.pauses.push((since, now));
        }
        self.tell_recording(call_id);
        Ok(())
    }

    /// Tells every agent on the call what its recording is now.
    fn tell_recording(&mut self, call_id: &str) {
        let call = self.call(call_id);
        let event = CallEvent {
            device: String::new(),
            cause: None,
            call: call.info(),
            timestamp: self.now,
        };
        for (agent_id, _) in self.agents_on(call) {
            self.deliver(&agent_id, NativeEvent::RecordingChanged(event.clone()));
        }
    }
}
