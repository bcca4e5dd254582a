//! The switch running a call through its flow. A call in a flow has the
//! flow's number as a connected party (the IVR answered it); it leaves the
//! flow for a queue, an extension or an outside number, or ends. Prompts
//! are played by the shell, which reports when each has finished
//! ([`Switch::prompt_finished`]); timeouts start only then, and digits
//! pressed during a prompt cut it short.

use app::wire::native::{Cause, ConnectionState, Party};

use super::Step;
use crate::switch::{Destination, NetworkSignal, Reach, Switch, Timer};

/// Where a call is in its flow.
#[derive(Debug, Clone)]
pub struct FlowRun {
    /// The flow's number.
    flow: String,
    step: String,
    /// Prompts played at this step so far (a menu's retries).
    attempts: u32,
    /// Digits a collect step has gathered.
    collected: String,
    /// Numbers each prompt and each wait, so that a finished prompt or a
    /// timeout that is no longer current changes nothing.
    generation: u64,
    /// The current step's prompt is still playing.
    prompting: bool,
}

/// A prompt for the shell to play to the caller of `call_id`; it calls
/// [`Switch::prompt_finished`] with `generation` when it has played.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub call_id: String,
    pub generation: u64,
    pub prompt: super::Prompt,
}

/// More automatic steps in a row than any checked flow has: a guard, not a
/// limit a caller can meet.
const MAX_STEPS_AT_ONCE: usize = 256;

impl Switch {
    /// Starts the flow `number` for a call that has just reached it (its
    /// flow party is connected).
    pub(in crate::switch) fn start_flow(&mut self, call_id: &str, number: &str) {
        let Some(start) = self.flows.get(number).map(|f| f.start.clone()) else {
            return;
        };
        let call = self.call_mut(call_id);
        call.flow = Some(FlowRun {
            flow: number.to_string(),
            step: String::new(),
            attempts: 0,
            collected: String::new(),
            generation: 0,
            prompting: false,
        });
        call.flow_path.push(format!("flow {number}"));
        // The flow answers: a SIP caller gets its 200 OK (and hears the
        // prompts) now, not when an agent answers.
        let calling = call.calling.clone();
        if self.is_outside(&calling) {
            self.signal(NetworkSignal::Answered {
                call_id: call_id.to_string(),
            });
        }
        self.go_to(call_id, &start);
    }

    /// A prompt the shell played has finished: a message goes on to its
    /// next step; a menu or a collect starts waiting for digits.
    pub fn prompt_finished(&mut self, call_id: &str, generation: u64) {
        if self.record_notice_finished(call_id, generation) {
            return;
        }
        let Some((run, step)) = self.current(call_id) else {
            return;
        };
        if run.generation != generation || !run.prompting {
            return;
        }
        match step {
            Step::Say { next, .. } => self.go_to(call_id, &next),
            Step::Menu { timeout_ms, .. } | Step::Collect { timeout_ms, .. } => {
                self.wait_for_digits(call_id, timeout_ms)
            }
            _ => {}
        }
    }

    /// Nothing pressed in time at a menu or a collect (generation
    /// `generation` of its wait).
    pub fn flow_timeout(&mut self, call_id: &str, generation: u64) {
        let Some((run, step)) = self.current(call_id) else {
            return;
        };
        if run.generation != generation || run.prompting {
            return;
        }
        match step {
            Step::Menu { .. } => self.menu_retry(call_id),
            Step::Collect { .. } => self.finish_collect(call_id),
            _ => {}
        }
    }

    /// Digits from the caller (RFC 4733 from SIP, the simulator's DTMF, or
    /// an agent's keypad on a call to a flow): a menu takes the first, a
    /// collect gathers them; anywhere else they are ignored. Digits pressed
    /// ahead go to the steps that follow.
    pub(in crate::switch) fn flow_digits(&mut self, call_id: &str, digits: &str) {
        if self.calls.get(call_id).is_some_and(|c| c.flow.is_none()) {
            self.queued_digits(call_id, digits);
            return;
        }
        for digit in digits.chars() {
            let Some((run, step)) = self.current(call_id) else {
                return;
            };
            match step {
                Step::Menu { options, .. } => match options.get(&digit) {
                    Some(next) => {
                        self.call_mut(call_id)
                            .flow_path
                            .push(format!("{}:{digit}", run.step));
                        self.go_to(call_id, &next.clone());
                    }
                    None => self.menu_retry(call_id),
                },
                Step::Collect {
                    max_digits,
                    finish_on,
                    timeout_ms,
                    ..
                } => {
                    if finish_on == Some(digit) {
                        self.finish_collect(call_id);
                        continue;
                    }
                    let Some(run) = self.run_mut(call_id) else {
                        return;
                    };
                    run.collected.push(digit);
                    let collected = run.collected.len();
                    if collected >= max_digits {
                        self.finish_collect(call_id);
                    } else {
                        // Each digit restarts the wait (an inter-digit timeout),
                        // and cuts a prompt still playing short.
                        self.wait_for_digits(call_id, timeout_ms);
                    }
                }
                _ => {}
            }
        }
    }

    /// The call's flow position and its current step.
    fn current(&self, call_id: &str) -> Option<(FlowRun, Step)> {
        let run = self.calls.get(call_id)?.flow.clone()?;
        let step = self.flows.get(&run.flow)?.steps.get(&run.step)?.clone();
        Some((run, step))
    }

    fn run_mut(&mut self, call_id: &str) -> Option<&mut FlowRun> {
        self.calls.get_mut(call_id)?.flow.as_mut()
    }

    /// Moves the call to `step` and runs steps until one waits for the
    /// caller or the call leaves the flow.
    fn go_to(&mut self, call_id: &str, step: &str) {
        let mut step = step.to_string();
        for _ in 0..MAX_STEPS_AT_ONCE {
            {
                let call = self.call_mut(call_id);
                call.flow_path.push(step.clone());
                let Some(run) = call.flow.as_mut() else {
                    return;
                };
                run.step = step.clone();
                run.attempts = 0;
                run.collected.clear();
            }
            let Some((run, current)) = self.current(call_id) else {
                return;
            };
            let next = match current {
                Step::Say { .. } | Step::Menu { .. } | Step::Collect { .. } => {
                    self.play_prompt(call_id);
                    return;
                }
                Step::Hours {
                    hours,
                    open,
                    closed,
                } => {
                    if hours.is_open(self.now) {
                        open
                    } else {
                        closed
                    }
                }
                Step::Queue {
                    queue,
                    priority,
                    fallback,
                } => match fallback {
                    Some(fallback) if self.reach_of(&queue) == Reach::Unstaffed => fallback,
                    _ => {
                        self.leave_flow_for_queue(call_id, &run.flow, &queue, priority);
                        return;
                    }
                },
                Step::Transfer { to, fallback } => {
                    if self.leave_flow_for(call_id, &run.flow, &to) {
                        return;
                    }
                    match fallback {
                        Some(fallback) => fallback,
                        None => {
                            self.hang_up_flow(call_id, &run.flow, Cause::Busy);
                            return;
                        }
                    }
                }
                Step::Callback {
                    queue,
                    next,
                    fallback,
                } => {
                    if self.request_callback(call_id, &queue) {
                        next
                    } else {
                        fallback.unwrap_or(next)
                    }
                }
                Step::Hangup => {
                    self.hang_up_flow(call_id, &run.flow, Cause::NormalClearing);
                    return;
                }
            };
            step = next;
        }
        tracing::error!(
            call = call_id,
            "a flow ran {MAX_STEPS_AT_ONCE} steps at once; ending the call"
        );
        if let Some(flow) = self
            .calls
            .get(call_id)
            .and_then(|c| c.flow.as_ref())
            .map(|r| r.flow.clone())
        {
            self.hang_up_flow(call_id, &flow, Cause::NormalClearing);
        }
    }

    /// Asks the shell to play the current step's prompt (again).
    fn play_prompt(&mut self, call_id: &str) {
        let Some((_, step)) = self.current(call_id) else {
            return;
        };
        let prompt = match step {
            Step::Say { prompt, .. } | Step::Menu { prompt, .. } | Step::Collect { prompt, .. } => {
                prompt
            }
            _ => return,
        };
        let Some(run) = self.run_mut(call_id) else {
            return;
        };
        run.attempts += 1;
        run.generation += 1;
        run.prompting = true;
        let generation = run.generation;
        self.output.prompts.push(Prompt {
            call_id: call_id.to_string(),
            generation,
            prompt,
        });
    }

    /// Starts (or restarts) the wait for the caller's next digit.
    fn wait_for_digits(&mut self, call_id: &str, timeout_ms: u64) {
        let Some(run) = self.run_mut(call_id) else {
            return;
        };
        run.prompting = false;
        run.generation += 1;
        let generation = run.generation;
        self.output.timers.push(Timer::FlowTimeout {
            call_id: call_id.to_string(),
            generation,
            at: self.now + timeout_ms,
        });
    }

    /// A menu got nothing, or a digit it does not offer: the prompt again,
    /// or, with its retries used, the no-input step.
    fn menu_retry(&mut self, call_id: &str) {
        let Some((
            run,
            Step::Menu {
                retries, no_input, ..
            },
        )) = self.current(call_id)
        else {
            return;
        };
        if run.attempts > retries {
            self.go_to(call_id, &no_input);
        } else {
            self.play_prompt(call_id);
        }
    }

    /// A collect step ends: what it gathered goes into the call's data.
    fn finish_collect(&mut self, call_id: &str) {
        let Some((
            run,
            Step::Collect {
                into,
                next,
                no_input,
                ..
            },
        )) = self.current(call_id)
        else {
            return;
        };
        if run.collected.is_empty() {
            self.go_to(call_id, &no_input);
            return;
        }
        let call = self.call_mut(call_id);
        call.data.insert(into.clone(), run.collected.clone());
        call.flow_path
            .push(format!("{}={}", run.step, run.collected));
        self.go_to(call_id, &next);
    }

    /// Takes the flow's party off the call.
    fn end_flow(&mut self, call_id: &str, flow: &str) {
        let call = self.call_mut(call_id);
        call.flow = None;
        call.remove_party(flow);
    }

    fn leave_flow_for_queue(
        &mut self,
        call_id: &str,
        flow: &str,
        queue: &str,
        priority: Option<u8>,
    ) {
        self.end_flow(call_id, flow);
        let now = self.now;
        let call = self.call_mut(call_id);
        call.queue = Some(queue.to_string());
        call.queued_at = now;
        call.flow_priority = priority;
        call.parties.push(Party {
            dn: queue.to_string(),
            state: ConnectionState::Queued,
        });
        self.enqueue(call_id);
        self.route();
    }

    /// Sends the call to an extension (if somebody free is there) or an
    /// outside number. Returns false, changing nothing, if it cannot.
    fn leave_flow_for(&mut self, call_id: &str, flow: &str, number: &str) -> bool {
        let target = self.classify(number);
        match &target {
            Destination::Extension(ext) if self.reach_of(ext) != Reach::Free => return false,
            Destination::Extension(_) | Destination::External(_) => {}
            Destination::Queue(_) | Destination::Flow(_) => return false,
        }
        self.end_flow(call_id, flow);
        let party = target.party(self.config.trunk);
        self.call_mut(call_id).parties.push(party);
        self.reach(call_id, &target, Cause::Transfer);
        true
    }

    fn hang_up_flow(&mut self, call_id: &str, flow: &str, cause: Cause) {
        self.end_flow(call_id, flow);
        self.end_call(call_id, cause);
    }
}
