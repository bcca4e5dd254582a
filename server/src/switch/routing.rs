//! ACD routing: which waiting call is offered to which agent, and where a
//! call goes when its queue cannot take it.
//!
//! - **Order of service**: the highest priority first; within a priority,
//!   the call that entered its queue first.
//! - **Choice of agent**: among the free Ready agents who serve the queue
//!   (listed in it, or having all its skills), the most proficient, the
//!   longest idle among equals. With `expand_after_seconds`, a call is first
//!   offered only to agents of the best proficiency logged in for the
//!   queue, then to anyone who serves it.
//! - **Overflow**: past `max_waiting` calls a new call goes to the queue's
//!   `overflow` number (a queue, an extension or a flow) at once; past
//!   `max_wait_seconds` a waiting call goes there. A destination that cannot take the call (an extension with
//!   nobody free) leaves it waiting where it is: a call is never left
//!   nowhere.

use std::{cmp::Reverse, collections::BTreeMap};

use app::wire::native::{Cause, ConnectionState, NativeEvent, Party};

use super::{
    Call, Destination, Observation, Switch, Timer,
    config::{AgentConfig, QueueConfig, SwitchConfig},
};

use ConnectionState::*;

/// A waiting call's place in the order of service: priority (highest
/// first), when it entered the queue, its id.
pub(super) type WaitKey = (Reverse<u8>, u64, String);

/// How well an agent serves a queue, if at all: its lowest proficiency in
/// the queue's skills (0 for an agent listed by name who lacks one; every
/// agent of a queue without skills is equal).
pub(super) fn proficiency(agent: &AgentConfig, queue: &QueueConfig) -> Option<u8> {
    let levels: Option<Vec<u8>> = queue
        .skills
        .iter()
        .map(|s| agent.skills.get(s).copied())
        .collect();
    let skilled = !queue.skills.is_empty() && levels.is_some();
    if skilled {
        levels.and_then(|l| l.into_iter().min())
    } else if queue.agents.contains(&agent.id) {
        Some(
            queue
                .skills
                .iter()
                .map(|s| agent.skills.get(s).copied().unwrap_or(0))
                .min()
                .unwrap_or(0),
        )
    } else {
        None
    }
}

/// The queues each agent serves, with its proficiency in each.
pub(super) fn queues_of(agent: &AgentConfig, queues: &[QueueConfig]) -> BTreeMap<String, u8> {
    queues
        .iter()
        .filter_map(|q| proficiency(agent, q).map(|p| (q.number.clone(), p)))
        .collect()
}

/// Checks the queues' routing settings: priorities, limits, and overflow
/// numbers that exist and never lead back to where they started.
pub(super) fn validate_queues(config: &SwitchConfig) -> Result<(), String> {
    let by_number: BTreeMap<&str, &QueueConfig> = config
        .queues
        .iter()
        .map(|q| (q.number.as_str(), q))
        .collect();
    for q in &config.queues {
        let at = format!("queue {}", q.number);
        if q.priority > 9 {
            return Err(format!("{at}: priority {} must be 0 to 9", q.priority));
        }
        if !config.agents.iter().any(|a| proficiency(a, q).is_some()) {
            return Err(format!(
                "{at}: no agent serves it (list agents, or give agents its skills {:?})",
                q.skills
            ));
        }
        if q.max_wait_seconds == Some(0) || q.max_waiting == Some(0) {
            return Err(format!(
                "{at}: max_wait_seconds and max_waiting must be at least 1"
            ));
        }
        if q.callback_after_seconds.is_some() && !q.callbacks {
            return Err(format!(
                "{at}: callback_after_seconds needs callbacks = true"
            ));
        }
        if q.callbacks && (q.callback_ring_seconds == 0 || q.callback_retry_seconds == 0) {
            return Err(format!(
                "{at}: callback_ring_seconds and callback_retry_seconds must be at least 1"
            ));
        }
        if q.expand_after_seconds.is_some() && q.skills.is_empty() {
            return Err(format!(
                "{at}: expand_after_seconds needs skills (without them every agent is equal)"
            ));
        }
        let limited = q.max_wait_seconds.is_some() || q.max_waiting.is_some();
        match (&q.overflow, limited) {
            (None, true) => {
                return Err(format!(
                    "{at}: max_wait_seconds or max_waiting needs an overflow number"
                ));
            }
            (Some(_), false) => {
                return Err(format!(
                    "{at}: overflow is never used without max_wait_seconds or max_waiting"
                ));
            }
            (Some(to), true)
                if !by_number.contains_key(to.as_str())
                    && !config.extensions.contains(to)
                    && !config.flows.iter().any(|f| &f.number == to) =>
            {
                return Err(format!(
                    "{at}: overflow {to} is neither a queue, an extension nor a flow"
                ));
            }
            _ => {}
        }
        // Follow the overflow chain: it must end at a queue without one or
        // at an extension.
        let mut path = vec![q.number.as_str()];
        let mut next = q.overflow.as_deref();
        while let Some(number) = next {
            if path.contains(&number) {
                path.push(number);
                return Err(format!("queues overflow in a circle: {}", path.join(" → ")));
            }
            path.push(number);
            next = by_number.get(number).and_then(|q| q.overflow.as_deref());
        }
    }
    Ok(())
}

impl Switch {
    /// Puts a call whose queued party has just been set in the waiting
    /// order. A call new to the queue takes the queue's priority and its
    /// timers, or overflows at once when the queue is full; a call back in
    /// the same queue (an agent let it ring or turned it away) keeps its
    /// place and its time waited.
    pub(super) fn enqueue(&mut self, call_id: &str) {
        let Some(queue) = self
            .calls
            .get(call_id)
            .and_then(|c| c.queued_party().map(str::to_string))
        else {
            return;
        };
        let Some(config) = self.queues.get(&queue).cloned() else {
            return;
        };
        let now = self.now;
        let arrived = self
            .calls
            .get(call_id)
            .is_some_and(|c| c.entered_queue.as_ref().map(|(q, _)| q) != Some(&queue));
        if arrived {
            let full = config
                .max_waiting
                .is_some_and(|max| self.waiting_in(&queue, call_id) >= max);
            if full && self.overflow(call_id, &queue) {
                return;
            }
            let call = self.call_mut(call_id);
            call.entered_queue = Some((queue.clone(), now));
            call.priority = call.flow_priority.unwrap_or(config.priority);
            let timers = [
                config.expand_after_seconds,
                config.max_wait_seconds,
                config.callback_after_seconds,
            ];
            for seconds in timers.into_iter().flatten() {
                self.output.timers.push(Timer::QueueWait {
                    call_id: call_id.to_string(),
                    entered: now,
                    at: now + seconds * 1000,
                });
            }
            self.play_record_notice(call_id, &config);
        } else if self.waited_too_long(call_id) && self.overflow(call_id, &queue) {
            return;
        }
        let call = self.call(call_id);
        let since = call.entered_queue.as_ref().map_or(now, |(_, at)| *at);
        let callback = call.callback.is_some();
        self.waiting
            .insert((Reverse(call.priority), call.queued_at, call_id.to_string()));
        self.output.observations.push(Observation::CallQueued {
            call_id: call_id.to_string(),
            queue,
            since,
            callback,
            at: now,
        });
    }

    /// A queue timer of a call (expansion or maximum wait): if the call still
    /// waits where it entered then, it overflows or is offered more widely.
    /// Stale timers are ignored.
    pub fn queue_wait_expired(&mut self, call_id: &str, entered: u64) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let Some(queue) = call.queued_party().map(str::to_string) else {
            return;
        };
        if call.entered_queue.as_ref().map(|(_, at)| *at) != Some(entered) {
            return;
        }
        if self.waited_too_long(call_id) {
            self.overflow(call_id, &queue);
        }
        self.maybe_offer_callback(call_id, &queue);
        self.route();
    }

    /// Calls other than `call_id` waiting in `queue` now.
    fn waiting_in(&self, queue: &str, call_id: &str) -> usize {
        self.calls
            .values()
            .filter(|c| c.id != call_id && c.state_of(queue) == Some(Queued))
            .count()
    }

    /// The call has waited its queue's `max_wait_seconds` or more (never
    /// a callback: nobody is on the line to send elsewhere).
    fn waited_too_long(&self, call_id: &str) -> bool {
        let Some((queue, entered)) = self
            .calls
            .get(call_id)
            .filter(|c| c.callback.is_none())
            .and_then(|c| c.entered_queue.clone())
        else {
            return false;
        };
        self.queues
            .get(&queue)
            .and_then(|q| q.max_wait_seconds)
            .is_some_and(|max| self.now >= entered + max * 1000)
    }

    /// Sends a call waiting in (or arriving at) `queue` to the queue's
    /// overflow number. Returns false, changing nothing, when there is none
    /// or it cannot take the call now.
    fn overflow(&mut self, call_id: &str, queue: &str) -> bool {
        let Some(number) = self.queues.get(queue).and_then(|q| q.overflow.clone()) else {
            return false;
        };
        let target = self.classify(&number);
        match &target {
            Destination::Extension(ext)
                if self.agent_at(ext).is_none() || self.device_busy(ext) =>
            {
                return false;
            }
            Destination::External(_) => return false,
            _ => {}
        }
        if let Destination::Flow(flow) = &target {
            let call = self.call_mut(call_id);
            call.remove_party(queue);
            call.offered_by_queue = false;
            call.entered_queue = None;
            call.parties.push(target.party(false));
            let flow = flow.clone();
            self.start_flow(call_id, &flow);
            return true;
        }
        let now = self.now;
        let party = target.party(self.config.trunk);
        let call = self.call_mut(call_id);
        call.remove_party(queue);
        call.offered_by_queue = false;
        call.rejected_by.clear();
        call.entered_queue = None;
        if let Destination::Queue(next) = &target {
            call.queue = Some(next.clone());
            call.queued_at = now;
        }
        call.parties.push(party);
        match target {
            Destination::Queue(_) => self.enqueue(call_id),
            _ => {
                self.tell_call(
                    call_id,
                    &number,
                    Some(Cause::Redirected),
                    NativeEvent::Delivered,
                );
                self.ring_phone(call_id, &number, false);
            }
        }
        true
    }

    /// Offers waiting calls, in the order of service, each to the best free
    /// agent for it (see the module's comment), until no call or no agent
    /// is left to match.
    pub(super) fn route(&mut self) {
        while !self.staffing.is_empty() && !self.waiting.is_empty() {
            let mut stale = Vec::new();
            let mut busy = Vec::new();
            let mut offer = None;
            for key in &self.waiting {
                let waiting = self
                    .calls
                    .get(&key.2)
                    .filter(|c| c.queued_at == key.1 && c.priority == key.0.0)
                    .and_then(|c| c.queued_party().map(|q| (c, q)));
                let Some((call, queue)) = waiting else {
                    stale.push(key.clone());
                    continue;
                };
                if call.notice_playing {
                    continue;
                }
                if let Some((agent, dn)) = self.best_agent(queue, call, &mut busy) {
                    offer = Some((key.clone(), queue.to_string(), agent, dn));
                    break;
                }
            }
            for key in stale {
                self.waiting.remove(&key);
            }
            // Agents met on a call leave the lists until their call ends.
            for agent in busy {
                self.unlist(&agent);
            }
            let Some((key, queue, agent, dn)) = offer else {
                return;
            };
            self.waiting.remove(&key);
            self.unlist(&agent);
            self.offer(&key.2, &queue, &dn);
        }
    }

    /// Takes the agent out of routing's lists.
    fn unlist(&mut self, agent_id: &str) {
        if let Some(agent) = self.agents.get(agent_id) {
            self.staffing.unlist(agent_id, &agent.queues);
        }
    }

    /// Rings the agent on `dn` with a call taken from `queue`.
    fn offer(&mut self, call_id: &str, queue: &str, dn: &str) {
        let skills = self
            .queues
            .get(queue)
            .map(|q| q.skills.clone())
            .unwrap_or_default();
        let call = self.call_mut(call_id);
        call.skills = skills;
        if call.callback.is_some() {
            // A callback is the agent's call out to the customer.
            call.calling = dn.to_string();
        }
        call.remove_party(queue);
        call.offered_by_queue = true;
        call.offers += 1;
        let offer = call.offers;
        call.parties.push(Party {
            dn: dn.to_string(),
            state: Alerting,
        });
        self.tell_call(call_id, dn, None, NativeEvent::Delivered);
        self.ring_phone(call_id, dn, false);
        if self.config.ring_timeout_seconds > 0 {
            self.output.timers.push(Timer::RingNoAnswer {
                call_id: call_id.to_string(),
                offer,
                at: self.now + self.config.ring_timeout_seconds * 1000,
            });
        }
    }

    /// The best free Ready agent for a call waiting in `queue`: serving the
    /// queue, not its caller, not one who rejected it; the most proficient
    /// (only the best logged in, before the queue's expansion), the longest
    /// idle among equals. Agents found on a call are added to `busy`.
    fn best_agent(
        &self,
        queue: &str,
        call: &Call,
        busy: &mut Vec<String>,
    ) -> Option<(String, String)> {
        let config = self.queues.get(queue)?;
        let at_least = match config.expand_after_seconds {
            Some(seconds) if !self.expanded(call, seconds) => self.staffing.best_logged_in(queue),
            _ => 0,
        };
        for (level, id) in self.staffing.in_order(queue) {
            if level < at_least {
                // The rest are less proficient still.
                return None;
            }
            let Some(agent) = self.agents.get(id) else {
                continue;
            };
            let Some(dn) = agent.device.as_deref() else {
                continue;
            };
            if call.rejected_by.contains(id) || call.calling == dn {
                continue;
            }
            if agent.status != app::wire::native::AgentStatus::Ready || self.device_busy(dn) {
                busy.push(id.to_string());
                continue;
            }
            return Some((id.to_string(), dn.to_string()));
        }
        None
    }

    /// The call has waited in its queue for `seconds` or more.
    fn expanded(&self, call: &Call, seconds: u64) -> bool {
        call.entered_queue
            .as_ref()
            .is_some_and(|(_, at)| self.now >= at + seconds * 1000)
    }
}
