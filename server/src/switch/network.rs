//! The telephone network's side of calls, for an edge that speaks to it
//! (the SIP edge): what the switch asks of outside parties, and the
//! services by which outside parties act. The simulator's far end is the
//! same outside party without an edge; both go through here.

use app::{
    opencti::validate,
    wire::native::{Cause, ConnectionState, NativeEvent},
};

use super::{Destination, Switch, sim::SimError};

use ConnectionState::*;

/// What the switch asks of a party on the public network. An edge acts on
/// the signals about calls it carries and ignores the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkSignal {
    /// A call was placed to an outside number: dial it.
    Dial {
        call_id: String,
        number: String,
        calling: String,
    },
    /// An agent answered the outside caller's call.
    Answered { call_id: String },
    /// The switch side let the outside party go (an agent hung up, the
    /// call ended around it).
    Released {
        call_id: String,
        dn: String,
        cause: Cause,
    },
    /// An agent sent DTMF on the call.
    Digits { call_id: String, digits: String },
    /// A desk phone's extension is on a new call: ring the phone, or for a
    /// call the agent places (`originate`), have it go off-hook first.
    Ring {
        call_id: String,
        extension: String,
        caller: String,
        originate: bool,
    },
    /// The agent pressed Answer in the panel: the phone is asked to answer
    /// (its auto-answer header).
    AnswerPhone { call_id: String, extension: String },
}

/// Whether a number can take a call from outside now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Free,
    /// An extension whose agent is on a call.
    Busy,
    /// An extension nobody is logged in on, or a queue nobody serves.
    Unstaffed,
    /// Neither an extension nor a queue.
    Outside,
}

impl Switch {
    /// Whether `number` can take a call from outside now.
    pub fn reach_of(&self, number: &str) -> Reach {
        match self.classify(number) {
            Destination::External(_) => Reach::Outside,
            Destination::Extension(ext) => match self.agent_at(&ext) {
                None => Reach::Unstaffed,
                Some(_) if self.device_busy(&ext) => Reach::Busy,
                Some(_) => Reach::Free,
            },
            Destination::Queue(queue) => {
                let served = self
                    .agents
                    .values()
                    .any(|a| a.device.is_some() && a.queues.contains_key(&queue));
                if served {
                    Reach::Free
                } else {
                    Reach::Unstaffed
                }
            }
            // A flow answers every call; its steps decide what follows.
            Destination::Flow(_) => Reach::Free,
        }
    }

    /// The outside party `dn` hangs up: before anybody answered, the call
    /// is abandoned.
    pub fn network_hang_up(&mut self, call_id: &str, dn: &str) -> Result<(), SimError> {
        let call = self
            .calls
            .get(call_id)
            .ok_or_else(|| SimError::UnknownCall(call_id.into()))?;
        let own = call.state_of(dn).ok_or_else(|| {
            app::opencti::OpenCtiError::invalid_state(format!("{dn} is not on call {call_id}"))
        })?;
        let answered = own == Connected
            && call
                .parties
                .iter()
                .any(|p| p.dn != dn && matches!(p.state, Connected | Held));
        let cause = if answered || call.answered_at.is_some() {
            Cause::NormalClearing
        } else {
            Cause::CallCancelled
        };
        self.clear_party(call_id, dn, cause);
        Ok(())
    }

    /// Whether `number` is outside the switch (neither extension nor queue).
    pub fn is_outside(&self, number: &str) -> bool {
        matches!(self.classify(number), Destination::External(_))
    }

    /// The outside party of an outbound call rings (a provisional answer
    /// from the network): Initiated becomes Alerting.
    pub fn network_alerting(&mut self, call_id: &str) -> Result<(), SimError> {
        let far = self.dialled_party(call_id, &[Initiated])?;
        self.change_connection(call_id, &far, Alerting, NativeEvent::Delivered);
        Ok(())
    }

    /// The outside party of an outbound call answers.
    pub fn network_answer(&mut self, call_id: &str) -> Result<(), SimError> {
        let far = self.dialled_party(call_id, &[Initiated, Alerting])?;
        self.connect(call_id, &far);
        Ok(())
    }

    /// The network could not reach the outside party of an outbound call:
    /// the call ends with `cause`, which the agent is shown.
    pub fn network_failed(&mut self, call_id: &str, cause: Cause) -> Result<(), SimError> {
        let far = self.dialled_party(call_id, &[Initiated, Alerting])?;
        self.clear_party(call_id, &far, cause);
        Ok(())
    }

    /// The outside party pressed `digits` (RFC 4733 events): they become
    /// the call's digits, in the simulator's list and the call's events.
    pub fn network_digits(&mut self, call_id: &str, digits: &str) -> Result<(), SimError> {
        validate::dtmf(digits)?;
        self.media.touch(call_id);
        let call = self
            .calls
            .get_mut(call_id)
            .ok_or_else(|| SimError::UnknownCall(call_id.into()))?;
        call.digits.push_str(digits);
        self.flow_digits(call_id, digits);
        Ok(())
    }

    /// The desk phone on `extension`, if it is one.
    pub fn desk_phone(&self, extension: &str) -> Option<app::wire::native::DeskPhone> {
        self.config
            .sip_phones
            .iter()
            .find(|p| p.extension == extension)
            .map(|p| app::wire::native::DeskPhone {
                auto_answer: p.auto_answer,
            })
    }

    pub(super) fn is_phone(&self, dn: &str) -> bool {
        self.config.sip_phones.iter().any(|p| p.extension == dn)
    }

    /// Rings the desk phone on `dn`, if `dn` is one.
    pub(super) fn ring_phone(&mut self, call_id: &str, dn: &str, originate: bool) {
        if self.is_phone(dn) {
            let call = self.call(call_id);
            let caller = if originate {
                call.called.clone()
            } else {
                call.calling.clone()
            };
            self.signal(NetworkSignal::Ring {
                call_id: call_id.to_string(),
                extension: dn.to_string(),
                caller,
                originate,
            });
        }
    }

    /// The desk phone on `extension` went off-hook for `call_id`: a ringing
    /// call is answered (one the agent was talking on is held first); a
    /// call the agent placed goes on as it was.
    pub fn phone_answered(&mut self, call_id: &str, extension: &str) -> Result<(), SimError> {
        if self.phone_state(call_id, extension)? == Alerting {
            self.hold_active_calls(extension, call_id);
            self.connect(call_id, extension);
        }
        Ok(())
    }

    /// The desk phone hung up on `call_id` (or turned down its ringing):
    /// as the agent's Hang up, or Reject while it rings.
    pub fn phone_hung_up(&mut self, call_id: &str, extension: &str) -> Result<(), SimError> {
        let state = self.phone_state(call_id, extension)?;
        match (state, self.agent_at(extension).map(str::to_string)) {
            (Alerting, Some(agent)) => self.reject(&agent, call_id)?,
            _ => self.clear_party(call_id, extension, Cause::NormalClearing),
        }
        Ok(())
    }

    /// The desk phone on `extension` dials `number`: the agent logged in
    /// on it makes the call.
    pub fn phone_dial(&mut self, extension: &str, number: &str) -> Result<String, SimError> {
        let agent = self
            .agent_at(extension)
            .map(str::to_string)
            .ok_or_else(|| {
                app::opencti::OpenCtiError::new(
                    app::opencti::ErrorCode::AgentNotLoggedIn,
                    format!("nobody is logged in on extension {extension}"),
                )
            })?;
        Ok(self.make_call(&agent, number, None)?)
    }

    /// Keys pressed on the desk phone: sent on the call as the agent's.
    pub fn phone_digits(
        &mut self,
        call_id: &str,
        extension: &str,
        digits: &str,
    ) -> Result<(), SimError> {
        let agent = self
            .agent_at(extension)
            .map(str::to_string)
            .ok_or_else(|| {
                app::opencti::OpenCtiError::invalid_state(format!(
                    "nobody is logged in on extension {extension}"
                ))
            })?;
        Ok(self.generate_digits(&agent, call_id, digits)?)
    }

    fn phone_state(&self, call_id: &str, extension: &str) -> Result<ConnectionState, SimError> {
        self.calls
            .get(call_id)
            .ok_or_else(|| SimError::UnknownCall(call_id.into()))?
            .state_of(extension)
            .ok_or_else(|| {
                app::opencti::OpenCtiError::invalid_state(format!(
                    "extension {extension} is not on call {call_id}"
                ))
                .into()
            })
    }

    /// The outside party of `call_id` in one of `states`.
    fn dialled_party(&self, call_id: &str, states: &[ConnectionState]) -> Result<String, SimError> {
        let call = self
            .calls
            .get(call_id)
            .ok_or_else(|| SimError::UnknownCall(call_id.into()))?;
        call.parties
            .iter()
            .find(|p| states.contains(&p.state) && self.is_outside(&p.dn))
            .map(|p| p.dn.clone())
            .ok_or_else(|| {
                app::opencti::OpenCtiError::invalid_state(format!(
                    "nobody on the public network is being called on call {call_id}"
                ))
                .into()
            })
    }

    pub(super) fn signal(&mut self, signal: NetworkSignal) {
        self.output.network.push(signal);
    }
}
