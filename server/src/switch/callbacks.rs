//! Queued callbacks: a caller hangs up and keeps their place. The callback
//! waits in the queue as a call of its own (the queue its only party);
//! routing offers it to an agent like a ringing call (type OUTBOUND, the
//! customer's number, `callback=yes` in its data), and on Answer the switch
//! dials the customer. A try the customer does not answer is made again
//! after the queue's `callback_retry_seconds`, up to `callback_retries`
//! more times; the call records say how each try ended (`callback` in the
//! data: `yes` when the customer answered, `unanswered` otherwise).
//!
//! A caller asks for one at a flow's `callback` step, or by pressing 1
//! once the queue offers it (after `callback_after_seconds` of waiting).

use app::{
    opencti::{UserData, validate},
    wire::native::{CallOrigin, Cause, ConnectionState, Party},
};

use super::{Call, Destination, Switch, Timer, flows};

use ConnectionState::*;

/// What a callback keeps between its tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackRequest {
    pub queue: String,
    /// The customer's number, as the caller ID gave it.
    pub number: String,
    /// The caller's call data (what a flow collected, too).
    pub data: UserData,
    /// Its place in the queue: when the caller entered it, and its priority.
    pub queued_at: u64,
    pub entered: u64,
    pub priority: u8,
    /// Tries made so far.
    pub tries: u32,
}

/// A callback's call: the request it serves, and how far this try got.
#[derive(Debug, Clone)]
pub(super) struct CallbackCall {
    request: CallbackRequest,
    /// The customer has been dialled (the agent answered).
    dialled: bool,
    /// The customer answered.
    reached: bool,
}

/// What the caller hears when the queue offers a callback.
const OFFER: &str = "To keep your place in the queue and be called back, press 1.";

impl Switch {
    /// Whether the switch can call `number` back: an outside number, not
    /// withheld.
    pub(super) fn can_call_back(&self, number: &str) -> bool {
        self.is_outside(number) && validate::destination(number).is_ok()
    }

    /// Takes a callback for the caller of `call_id` in `queue`, keeping the
    /// place the call has there (or taking one now). The live call is left
    /// to the caller of this function to end. Returns false, changing
    /// nothing, if the caller's number cannot be called back.
    pub(super) fn request_callback(&mut self, call_id: &str, queue: &str) -> bool {
        let now = self.now;
        let Some(call) = self.calls.get(call_id) else {
            return false;
        };
        if !self.can_call_back(&call.calling) {
            return false;
        }
        let (queued_at, entered, priority) = match &call.entered_queue {
            Some((q, entered)) if q == queue => (call.queued_at, *entered, call.priority),
            _ => (now, now, self.queues.get(queue).map_or(0, |q| q.priority)),
        };
        let request = CallbackRequest {
            queue: queue.to_string(),
            number: call.calling.clone(),
            data: call.data.clone(),
            queued_at,
            entered,
            priority,
            tries: 0,
        };
        self.call_mut(call_id)
            .data
            .insert("callback".into(), "requested".into());
        self.output
            .observations
            .push(super::Observation::CallbackTaken {
                call_id: call_id.to_string(),
                at: now,
            });
        self.queue_callback(request);
        true
    }

    /// Puts a callback in its queue, at its place.
    pub(super) fn queue_callback(&mut self, request: CallbackRequest) {
        let call_id = self.new_call_id();
        let mut call = Call::new(
            call_id.clone(),
            CallOrigin::Outbound,
            request.queue.clone(),
            request.number.clone(),
            self.now,
        );
        call.queue = Some(request.queue.clone());
        call.data = request.data.clone();
        call.data.insert("callback".into(), "yes".into());
        call.parties = vec![Party {
            dn: request.queue.clone(),
            state: Queued,
        }];
        call.queued_at = request.queued_at;
        call.priority = request.priority;
        // Already in its queue: no arrival (no overflow, no new timers).
        call.entered_queue = Some((request.queue.clone(), request.entered));
        call.callback = Some(CallbackCall {
            request,
            dialled: false,
            reached: false,
        });
        self.media.touch(&call_id);
        self.calls.insert(call_id.clone(), call);
        self.enqueue(&call_id);
        self.route();
    }

    /// The agent on `dn` answered the callback `call_id`, or its customer
    /// did: the first dials the customer, the second is the try's success.
    pub(super) fn callback_connected(&mut self, call_id: &str, dn: &str) {
        let trunk = self.config.trunk;
        let Some(call) = self.calls.get_mut(call_id) else {
            return;
        };
        let Some(callback) = call.callback.as_mut() else {
            return;
        };
        if dn == callback.request.number {
            callback.reached = true;
            return;
        }
        if callback.dialled {
            return;
        }
        callback.dialled = true;
        let number = callback.request.number.clone();
        let ring_ms = self
            .queues
            .get(&callback.request.queue)
            .map_or(30, |q| q.callback_ring_seconds)
            * 1000;
        let target = Destination::External(number);
        let party = target.party(trunk);
        self.call_mut(call_id).parties.push(party);
        self.reach(call_id, &target, Cause::Redirected);
        self.output.timers.push(Timer::CallbackRing {
            call_id: call_id.to_string(),
            at: self.now + ring_ms,
        });
    }

    /// The customer of a callback rang for the queue's
    /// `callback_ring_seconds` without answering: the try ends.
    pub fn callback_ring_expired(&mut self, call_id: &str) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let Some(callback) = call.callback.as_ref().filter(|c| c.dialled && !c.reached) else {
            return;
        };
        let number = callback.request.number.clone();
        if matches!(call.state_of(&number), Some(Alerting | Initiated)) {
            self.clear_party(call_id, &number, Cause::NoAnswer);
        }
    }

    /// A callback's call is ending: a try the customer did not answer is
    /// recorded as such and made again later, while tries are left.
    pub(super) fn callback_ending(&mut self, call: &mut Call) {
        let Some(callback) = call.callback.as_ref() else {
            return;
        };
        if callback.reached || !callback.dialled {
            return;
        }
        call.data.insert("callback".into(), "unanswered".into());
        let mut request = callback.request.clone();
        request.tries += 1;
        let Some(queue) = self.queues.get(&request.queue) else {
            return;
        };
        if request.tries <= queue.callback_retries {
            let at = self.now + queue.callback_retry_seconds * 1000;
            self.output.timers.push(Timer::CallbackRetry {
                request: Box::new(request),
                at,
            });
        }
    }

    /// A caller waiting in `queue` for its `callback_after_seconds` is
    /// offered a callback (once).
    pub(super) fn maybe_offer_callback(&mut self, call_id: &str, queue: &str) {
        let Some(after) = self
            .queues
            .get(queue)
            .and_then(|q| q.callback_after_seconds)
        else {
            return;
        };
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let waited = call
            .entered_queue
            .as_ref()
            .is_some_and(|(_, at)| self.now >= at + after * 1000);
        if !waited || call.callback_offered || call.callback.is_some() {
            return;
        }
        if !self.can_call_back(&call.calling.clone()) {
            return;
        }
        self.call_mut(call_id).callback_offered = true;
        self.output.prompts.push(flows::PromptToPlay {
            call_id: call_id.to_string(),
            generation: 0,
            prompt: flows::Prompt::Text(OFFER.into()),
        });
    }

    /// A key pressed by a caller waiting in a queue: 1 takes the callback
    /// the queue offered; anything else is ignored.
    pub(super) fn queued_digits(&mut self, call_id: &str, digits: &str) {
        let Some(call) = self.calls.get(call_id) else {
            return;
        };
        let Some(queue) = call.queued_party().map(str::to_string) else {
            return;
        };
        if !call.callback_offered || !digits.contains('1') {
            return;
        }
        let caller = call.calling.clone();
        if self.request_callback(call_id, &queue) {
            // The caller hangs up, their place kept by the callback.
            self.call_mut(call_id).remove_party(&queue);
            self.clear_party(call_id, &caller, Cause::NormalClearing);
        }
    }
}

impl Switch {
    /// The next try of a callback: back in its queue, at its place.
    pub fn callback_retry(&mut self, request: CallbackRequest) {
        self.queue_callback(request);
    }
}
