//! Call services: dial, answer, reject, hang up, hold, retrieve, DTMF,
//! consultation, transfer, conference, drop party, swap; and ACD routing.

use app::{
    opencti::{ErrorCode, OpenCtiError, UserData, functions::Function, rules::Action, validate},
    wire::native::{AgentStatus, CallInfo, CallOrigin, Cause, ConnectionState, NativeEvent, Party},
};

use super::{Call, Destination, NetworkSignal, Observation, Switch};

use ConnectionState::*;

impl Switch {
    /// The agent's extension, once the rules allow `function` on `call_id`.
    pub(super) fn checked_call(
        &self,
        agent_id: &str,
        function: Function,
        call_id: &str,
    ) -> Result<String, OpenCtiError> {
        self.permit(agent_id, Action::new(function, &[call_id]))
    }

    /// Places a call from the agent's extension.
    pub fn make_call(
        &mut self,
        agent_id: &str,
        destination: &str,
        user_data: Option<&UserData>,
    ) -> Result<String, OpenCtiError> {
        let dn = self.permit(agent_id, Action::new(Function::MakeCall, &[]))?;
        let target = self.check_destination(&dn, destination, user_data)?;
        let call_id = self.originate(&dn, target, user_data.cloned().unwrap_or_default(), None);
        Ok(call_id)
    }

    /// Validates a number an agent dials and says what it reaches; an
    /// extension must have a free agent logged in.
    fn check_destination(
        &self,
        own_dn: &str,
        destination: &str,
        user_data: Option<&UserData>,
    ) -> Result<Destination, OpenCtiError> {
        let number = validate::destination(destination)?;
        if let Some(data) = user_data {
            validate::user_data(data)?;
        }
        if number == own_dn {
            return Err(OpenCtiError::new(
                ErrorCode::InvalidDestination,
                "that is your own extension",
            ));
        }
        let target = self.classify(&number);
        if let Destination::Extension(ext) = &target {
            if self.agent_at(ext).is_none() {
                return Err(OpenCtiError::new(
                    ErrorCode::DestBusy,
                    format!("nobody is logged in on extension {ext}"),
                ));
            }
            if self.device_busy(ext) {
                return Err(OpenCtiError::new(
                    ErrorCode::DestBusy,
                    format!("extension {ext} is busy"),
                ));
            }
        }
        Ok(target)
    }

    /// Creates a call from `dn` to a checked destination.
    fn originate(
        &mut self,
        dn: &str,
        target: Destination,
        data: UserData,
        consult_of: Option<String>,
    ) -> String {
        let call_id = self.new_call_id();
        let origin = match target {
            Destination::External(_) => CallOrigin::Outbound,
            _ => CallOrigin::Internal,
        };
        let called = target.number().to_string();
        let mut call = Call::new(call_id.clone(), origin, dn.to_string(), called, self.now);
        call.consult_of = consult_of;
        call.queue = matches!(target, Destination::Queue(_)).then(|| call.called.clone());
        call.data = data;
        call.parties = vec![
            Party {
                dn: dn.to_string(),
                state: Initiated,
            },
            target.party(self.config.trunk),
        ];
        self.media.touch(&call_id);
        self.calls.insert(call_id.clone(), call);
        self.tell_call(&call_id, dn, Some(Cause::NewCall), NativeEvent::Originated);
        self.ring_phone(&call_id, dn, true);
        self.reach(&call_id, &target, Cause::NewCall);
        call_id
    }

    /// Makes the destination's party of a call act on its arrival: an
    /// extension rings, a queue routes, an outside number rings (a new
    /// call's Originated already says so) and may auto-answer.
    pub(super) fn reach(&mut self, call_id: &str, target: &Destination, cause: Cause) {
        match target {
            Destination::Extension(ext) => {
                self.tell_call(call_id, ext, Some(cause), NativeEvent::Delivered);
                self.ring_phone(call_id, ext, false);
            }
            Destination::Queue(_) => {
                self.enqueue(call_id);
                self.route();
            }
            Destination::Flow(flow) => {
                // The flow answers at once.
                if self
                    .call(call_id)
                    .parties
                    .iter()
                    .any(|p| p.state == Initiated)
                {
                    self.connect(call_id, flow);
                }
                self.start_flow(call_id, flow);
            }
            Destination::External(n) => {
                if cause != Cause::NewCall && !self.config.trunk {
                    self.tell_call(call_id, n, Some(cause), NativeEvent::Delivered);
                }
                let calling = self.call(call_id).calling.clone();
                self.signal(NetworkSignal::Dial {
                    call_id: call_id.to_string(),
                    number: n.clone(),
                    calling,
                });
                self.schedule_auto_answer(call_id, n);
            }
        }
    }

    /// Answers a ringing call; a call the agent was talking on is held first.
    pub fn answer(&mut self, agent_id: &str, call_id: &str) -> Result<(), OpenCtiError> {
        let dn = self.checked_call(agent_id, Function::AnswerCall, call_id)?;
        if let Some(phone) = self.desk_phone(&dn) {
            // The call is answered when the phone goes off-hook.
            if !phone.auto_answer {
                return Err(OpenCtiError::invalid_state(format!(
                    "extension {dn} is a desk phone that answers only by hand: pick it up"
                )));
            }
            self.signal(NetworkSignal::AnswerPhone {
                call_id: call_id.to_string(),
                extension: dn,
            });
            return Ok(());
        }
        self.hold_active_calls(&dn, call_id);
        self.connect(call_id, &dn);
        Ok(())
    }

    /// `dn` answers `call_id`: it and every party waiting for the answer are
    /// connected, and the agents on the call are told.
    pub(super) fn connect(&mut self, call_id: &str, dn: &str) {
        let now = self.now;
        let call = self.call_mut(call_id);
        call.answered_at.get_or_insert(now);
        // Out of any queue: a transfer back to one is a new arrival there.
        call.entered_queue = None;
        call.flow_priority = None;
        call.set_state(dn, Connected);
        for p in call.parties.iter_mut() {
            if p.state == Initiated {
                p.state = Connected;
            }
        }
        let agents: Vec<String> = self
            .agents_on(self.call(call_id))
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        for agent_id in agents {
            if let Some(agent) = self.agents.get_mut(&agent_id) {
                agent.wrap_up_pending = true;
                agent.talked_on.insert(call_id.to_string());
            }
        }
        self.tell_call(call_id, dn, None, NativeEvent::Established);
        self.callback_connected(call_id, dn);
        let calling = &self.call(call_id).calling;
        if !self.is_outside(dn) && self.is_outside(calling) {
            self.signal(NetworkSignal::Answered {
                call_id: call_id.to_string(),
            });
        }
    }

    /// Holds every connected call of `dn` except `except`.
    pub(super) fn hold_active_calls(&mut self, dn: &str, except: &str) {
        let active: Vec<String> = self
            .calls
            .values()
            .filter(|c| c.id != except && c.state_of(dn) == Some(Connected))
            .map(|c| c.id.clone())
            .collect();
        for id in active {
            self.change_connection(&id, dn, Held, NativeEvent::Held);
        }
    }

    /// Turns a ringing call away: a queue call goes back to its queue for
    /// another agent; a direct call is cleared. The agent's state is unchanged.
    pub fn reject(&mut self, agent_id: &str, call_id: &str) -> Result<(), OpenCtiError> {
        let dn = self.checked_call(agent_id, Function::RejectCall, call_id)?;
        let now = self.now;
        self.output.observations.push(Observation::CallMissed {
            call_id: call_id.to_string(),
            agent_id: agent_id.to_string(),
            at: now,
        });
        let call = self.call_mut(call_id);
        call.missed = true;
        if call.offered_by_queue {
            call.rejected_by.insert(agent_id.to_string());
            call.queued_at = now;
            self.requeue(call_id, &dn, Cause::Rejected);
        } else {
            call.remove_party(&dn);
            let info = call.info();
            self.tell_cleared(&dn, info, Cause::Rejected, NativeEvent::ConnectionCleared);
            self.end_call(call_id, Cause::Rejected);
        }
        Ok(())
    }

    /// Takes a queue call from the agent on `dn` it rings and puts it back in
    /// its queue (at `queued_at`), for routing to offer it again.
    pub(super) fn requeue(&mut self, call_id: &str, dn: &str, cause: Cause) {
        let call = self.call_mut(call_id);
        call.remove_party(dn);
        call.offered_by_queue = false;
        if let Some(queue) = call.queue.clone() {
            call.parties.push(Party {
                dn: queue,
                state: Queued,
            });
        }
        let info = call.info();
        self.tell_cleared(dn, info, cause, NativeEvent::Diverted);
        self.enqueue(call_id);
        self.route();
    }

    /// The ring timeout of a queue call's `offer`-th offer: if that offer
    /// still rings, the call goes back to its queue for the next agent and
    /// the agent who let it ring goes Not ready with the missed-call reason.
    /// Stale timers (answered, rejected, re-offered, gone) are ignored.
    pub fn ring_timeout_expired(&mut self, call_id: &str, offer: u64) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        if call.offers != offer || !call.offered_by_queue {
            return;
        }
        let ringing = call
            .parties
            .iter()
            .filter(|p| p.state == Alerting)
            .find_map(|p| self.agent_at(&p.dn).map(|a| (a.to_string(), p.dn.clone())));
        let Some((agent_id, dn)) = ringing else {
            return;
        };
        self.call_mut(call_id).missed = true;
        self.output.observations.push(Observation::CallMissed {
            call_id: call_id.to_string(),
            agent_id: agent_id.clone(),
            at: self.now,
        });
        // The agent first, so that routing does not offer the call straight back.
        let reason = self.config.missed_reason.clone();
        if self
            .agents
            .get(&agent_id)
            .is_some_and(|a| matches!(a.status, AgentStatus::Ready | AgentStatus::NotReady))
        {
            self.enter(
                &agent_id,
                AgentStatus::NotReady,
                reason,
                app::opencti::events::WorkMode::AuxWork,
            );
        }
        self.requeue(call_id, &dn, Cause::NoAnswer);
    }

    /// Leaves a call. A two-party call ends; a conference goes on without the agent.
    pub fn hang_up(&mut self, agent_id: &str, call_id: &str) -> Result<(), OpenCtiError> {
        let dn = self.checked_call(agent_id, Function::HangUpCall, call_id)?;
        self.clear_party(call_id, &dn, Cause::NormalClearing);
        Ok(())
    }

    /// Removes `dn` from the call, tells everybody, ends the call if it is
    /// left with nobody to talk to, and starts wrap-up where due.
    pub(super) fn clear_party(&mut self, call_id: &str, dn: &str, cause: Cause) {
        let call = self.call_mut(call_id);
        call.remove_party(dn);
        let info = call.info();
        self.tell_cleared(dn, info, cause, NativeEvent::ConnectionCleared);
        // Wrap-up before the call ends: ending it routes, and a waiting call
        // must not reach the agent who has just left before its wrap-up.
        if let Some(agent_id) = self.agent_at(dn).map(str::to_string) {
            self.maybe_wrap_up(&agent_id);
        }
        if self.call_is_over(call_id) {
            self.end_call(call_id, cause);
        } else {
            self.tell_call(call_id, dn, Some(cause), NativeEvent::ConnectionCleared);
        }
        self.route();
    }

    /// A call is over when nobody is left to talk: no party but a queue, or
    /// fewer than two parties that are not queued or failed.
    fn call_is_over(&self, call_id: &str) -> bool {
        let call = self.call(call_id);
        let talkers = call
            .parties
            .iter()
            .filter(|p| !matches!(p.state, Queued | Failed))
            .count();
        if call.queued_party().is_some() {
            talkers == 0
        } else {
            talkers < 2
        }
    }

    /// Ends a call: every agent still on it is told, and wrap-up starts.
    pub(super) fn end_call(&mut self, call_id: &str, cause: Cause) {
        self.media.touch(call_id);
        let Some(mut call) = self.calls.remove(call_id) else {
            return;
        };
        self.callback_ending(&mut call);
        let remaining = std::mem::take(&mut call.parties);
        let info = call.info();
        for party in remaining {
            let cause = if cause == Cause::CallCancelled && party.state != Alerting {
                Cause::NormalClearing
            } else {
                cause
            };
            self.tell_cleared(
                &party.dn,
                info.clone(),
                cause,
                NativeEvent::ConnectionCleared,
            );
            if let Some(agent_id) = self.agent_at(&party.dn).map(str::to_string) {
                self.maybe_wrap_up(&agent_id);
            }
        }
        self.record_ended(call);
        self.route();
    }

    pub fn hold(&mut self, agent_id: &str, call_id: &str) -> Result<(), OpenCtiError> {
        let dn = self.checked_call(agent_id, Function::HoldCall, call_id)?;
        self.change_connection(call_id, &dn, Held, NativeEvent::Held);
        Ok(())
    }

    /// Takes a call off hold; a call the agent was talking on is held first.
    pub fn retrieve(&mut self, agent_id: &str, call_id: &str) -> Result<(), OpenCtiError> {
        let dn = self.checked_call(agent_id, Function::RetrieveCall, call_id)?;
        self.hold_active_calls(&dn, call_id);
        self.change_connection(call_id, &dn, Connected, NativeEvent::Retrieved);
        Ok(())
    }

    /// Swaps between a held call and the active one.
    pub fn alternate(
        &mut self,
        agent_id: &str,
        held_call_id: &str,
        active_call_id: &str,
    ) -> Result<(), OpenCtiError> {
        let dn = self.permit(
            agent_id,
            Action::new(Function::AlternateCall, &[held_call_id, active_call_id]),
        )?;
        self.change_connection(active_call_id, &dn, Held, NativeEvent::Held);
        self.change_connection(held_call_id, &dn, Connected, NativeEvent::Retrieved);
        Ok(())
    }

    /// Sends DTMF on the call; the switch records the digits.
    pub fn generate_digits(
        &mut self,
        agent_id: &str,
        call_id: &str,
        digits: &str,
    ) -> Result<(), OpenCtiError> {
        self.checked_call(agent_id, Function::SendDtmf, call_id)?;
        validate::dtmf(digits)?;
        self.call_mut(call_id).digits.push_str(digits);
        self.signal(NetworkSignal::Digits {
            call_id: call_id.to_string(),
            digits: digits.to_string(),
        });
        self.flow_digits(call_id, digits);
        Ok(())
    }

    /// Holds the call and dials a consultation call about it. The new call
    /// carries the original call's data with `user_data` laid over it.
    pub fn consult(
        &mut self,
        agent_id: &str,
        call_id: &str,
        destination: &str,
        function: Function,
        user_data: Option<&UserData>,
    ) -> Result<String, OpenCtiError> {
        let dn = self.checked_call(agent_id, function, call_id)?;
        let target = self.check_destination(&dn, destination, user_data)?;
        let mut data = self.call(call_id).data.clone();
        data.extend(user_data.cloned().unwrap_or_default());
        self.hold_active_calls(&dn, "");
        Ok(self.originate(&dn, target, data, Some(call_id.to_string())))
    }

    /// The (original, consultation) pair for a completion, once the rules
    /// allow it; the two may come in either order, the original is the one
    /// that stays.
    fn consult_pair(
        &self,
        agent_id: &str,
        function: Function,
        first: &str,
        second: &str,
    ) -> Result<(String, String, String), OpenCtiError> {
        let dn = self.permit(agent_id, Action::new(function, &[first, second]))?;
        let (original, consult) = if self.call(first).consult_of.as_deref() == Some(second) {
            (second, first)
        } else {
            (first, second)
        };
        Ok((dn, original.to_string(), consult.to_string()))
    }

    /// Ends the consultation call and moves its parties (all but the agent on
    /// `dn`) into the original call, which takes the consultation's data
    /// (the original's with the consultation's laid over it). Returns the
    /// moved parties and the consultation as it was, for
    /// [`Switch::announce_completion`].
    fn merge_consultation(
        &mut self,
        dn: &str,
        original: &str,
        consult: &str,
        cause: Cause,
    ) -> Result<(Vec<Party>, CallInfo), OpenCtiError> {
        self.media.touch(consult);
        let mut consult_call = self
            .calls
            .remove(consult)
            .ok_or_else(|| OpenCtiError::invalid_state(format!("there is no call {consult}")))?;
        let consult_info = consult_call.info();
        let moved: Vec<Party> = std::mem::take(&mut consult_call.parties)
            .into_iter()
            .filter(|p| p.dn != dn)
            .collect();
        let data = consult_call.data.clone();
        consult_call.transferred = cause == Cause::Transfer;
        self.record_ended(consult_call);
        let now = self.now;
        let call = self.call_mut(original);
        call.data = data;
        let queued = moved.iter().find(|p| p.state == Queued);
        if let Some(queue) = queued {
            call.queue = Some(queue.dn.clone());
            call.queued_at = now;
        }
        call.parties.extend(moved.iter().cloned());
        if queued.is_some() {
            self.enqueue(original);
        }
        Ok((moved, consult_info))
    }

    /// Tells everybody how a completed consultation came out: the agent on
    /// `dn` leaves the consultation call, everybody on the original call sees
    /// it as it is now (Transferred or Conferenced), and each consulted
    /// party's agent loses its consultation call (it is on the original now).
    fn announce_completion(
        &mut self,
        dn: &str,
        original: &str,
        moved: &[Party],
        consult_info: CallInfo,
        cause: Cause,
    ) {
        let make = if cause == Cause::Conference {
            NativeEvent::Conferenced
        } else {
            NativeEvent::Transferred
        };
        self.tell_cleared(
            dn,
            consult_info.clone(),
            cause,
            NativeEvent::ConnectionCleared,
        );
        self.tell_call(original, dn, Some(cause), make);
        for p in moved {
            let mut gone = consult_info.clone();
            gone.parties.retain(|q| q.dn != p.dn);
            self.tell_cleared(&p.dn, gone, cause, NativeEvent::ConnectionCleared);
        }
    }

    /// Completes a consultation (`function` is `TransferComplete` or
    /// `ConferenceComplete`); `first` and `second` name the original call and
    /// the consultation in either order.
    pub fn complete(
        &mut self,
        agent_id: &str,
        function: Function,
        first: &str,
        second: &str,
    ) -> Result<(), OpenCtiError> {
        let (dn, original, consult) = self.consult_pair(agent_id, function, first, second)?;
        if function == Function::ConferenceComplete {
            self.conference(&dn, &original, &consult)
        } else {
            self.transfer(agent_id, &dn, &original, &consult)
        }
    }

    /// Completes a consultation as a transfer: the consulted parties join the
    /// original call (which keeps its id and data) and the agent leaves both.
    fn transfer(
        &mut self,
        agent_id: &str,
        dn: &str,
        original: &str,
        consult: &str,
    ) -> Result<(), OpenCtiError> {
        let (moved, consult_info) =
            self.merge_consultation(dn, original, consult, Cause::Transfer)?;
        let call = self.call_mut(original);
        call.transferred = true;
        // Now the agent's doing, not the skill's.
        call.skills.clear();
        call.remove_party(dn);
        let info = call.info();
        // The transferring agent leaves both calls.
        self.tell_cleared(dn, info, Cause::Transfer, NativeEvent::ConnectionCleared);
        self.announce_completion(dn, original, &moved, consult_info, Cause::Transfer);
        if self.call_is_over(original) {
            self.end_call(original, Cause::NormalClearing);
        }
        self.maybe_wrap_up(agent_id);
        self.route();
        Ok(())
    }

    /// Completes a consultation as a conference: the consulted parties join
    /// the original call, which the agent retrieves.
    fn conference(&mut self, dn: &str, original: &str, consult: &str) -> Result<(), OpenCtiError> {
        if let Some(p) = self
            .call(consult)
            .parties
            .iter()
            .find(|p| p.dn != dn && p.state != Connected)
        {
            return Err(OpenCtiError::invalid_state(format!(
                "{} is {}: a conference needs every party connected",
                p.dn,
                p.state.as_str()
            )));
        }
        let (moved, consult_info) =
            self.merge_consultation(dn, original, consult, Cause::Conference)?;
        self.hold_active_calls(dn, original);
        self.call_mut(original).set_state(dn, Connected);
        self.announce_completion(dn, original, &moved, consult_info, Cause::Conference);
        Ok(())
    }

    /// Drops another party from a call the agent is talking on.
    pub fn drop_party(
        &mut self,
        agent_id: &str,
        call_id: &str,
        party: &str,
    ) -> Result<(), OpenCtiError> {
        let dn = self.checked_call(agent_id, Function::DropParty, call_id)?;
        if party == dn {
            return Err(OpenCtiError::invalid_state(
                "use Hang up to leave the call yourself",
            ));
        }
        if self.call(call_id).state_of(party).is_none() {
            return Err(OpenCtiError::invalid_state(format!(
                "{party} is not on call {call_id}"
            )));
        }
        self.clear_party(call_id, party, Cause::NormalClearing);
        Ok(())
    }

    /// Sends the call on to a destination without consulting ("blind"); the
    /// agent leaves it at once.
    pub fn single_step_transfer(
        &mut self,
        agent_id: &str,
        call_id: &str,
        destination: &str,
        user_data: Option<&UserData>,
    ) -> Result<(), OpenCtiError> {
        let dn = self.checked_call(agent_id, Function::BlindTransfer, call_id)?;
        let target = self.check_destination(&dn, destination, user_data)?;
        let now = self.now;
        let party = target.party(self.config.trunk);
        let call = self.call_mut(call_id);
        call.remove_party(&dn);
        call.offered_by_queue = false;
        call.transferred = true;
        call.skills.clear();
        call.data.extend(user_data.cloned().unwrap_or_default());
        if let Destination::Queue(queue) = &target {
            call.queue = Some(queue.clone());
            call.queued_at = now;
            call.rejected_by.clear();
        }
        call.parties.push(party);
        let info = call.info();
        self.tell_cleared(&dn, info, Cause::Transfer, NativeEvent::ConnectionCleared);
        // Wrap-up first, so that routing does not hand the call straight back.
        self.maybe_wrap_up(agent_id);
        self.reach(call_id, &target, Cause::Transfer);
        Ok(())
    }
}
