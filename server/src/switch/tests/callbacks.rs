//! Queued callbacks: asked for in a flow or by pressing 1 in the queue,
//! kept in place, offered to an agent as an outbound call, dialled on
//! Answer, and tried again when the customer does not answer.

use super::*;

/// Monday 7 December 2026, 10:00 UTC (the demo's main line is open).
const MONDAY: u64 = 1_796_637_600_000;

fn demo() -> Switch {
    let mut sw = Switch::new(SwitchConfig::demo());
    sw.advance_to(MONDAY);
    sw
}

fn waiting_callbacks(sw: &Switch) -> Vec<SimCall> {
    sw.sim_calls()
        .into_iter()
        .filter(|c| c.data.get("callback").map(String::as_str) == Some("yes"))
        .collect()
}

#[test]
fn a_caller_asks_for_a_callback_in_the_flow_an_agent_answers_it_and_the_customer_is_dialled() {
    let mut sw = demo();
    let call = sw
        .sim_place_call(CALLER, "5100", data(&[("campaign", "winter")]))
        .unwrap();
    sw.network_digits(&call, "4").unwrap();
    // The flow thanks the caller, then lets them go.
    let prompt = sw.take_output().prompts.pop().unwrap();
    sw.prompt_finished(&call, prompt.generation);
    assert!(!sw.has_call(&call));
    let out = sw.take_output();
    assert_eq!(call_records(&out)[0].data["callback"], "requested");

    let [callback] = waiting_callbacks(&sw).try_into().unwrap();
    assert_eq!(callback.queue.as_deref(), Some("5001"));
    assert_eq!(callback.to, CALLER);
    assert_eq!(callback.data["campaign"], "winter");
    assert_eq!(parties(&sw, &callback.call_id), [p("5001", Queued)]);

    // Offered to the first Ready agent like a ringing outbound call.
    ready(&mut sw, &["1001"]);
    let out = sw.take_output();
    let _ = out;
    assert_eq!(parties(&sw, &callback.call_id), [p("2001", Alerting)]);
    let info = sw.calls[&callback.call_id].info();
    assert_eq!(info.origin, CallOrigin::Outbound);
    assert_eq!(
        (info.calling_device.as_str(), info.called_device.as_str()),
        ("2001", CALLER)
    );

    // Answer dials the customer, who answers.
    sw.answer("1001", &callback.call_id).unwrap();
    assert_eq!(
        parties(&sw, &callback.call_id),
        [p("2001", Connected), p(CALLER, Alerting)]
    );
    let out = sw.take_output();
    assert!(out.network.iter().any(|s| matches!(
        s,
        NetworkSignal::Dial { number, .. } if number == CALLER
    )));
    sw.sim_answer(&callback.call_id).unwrap();
    assert_eq!(
        parties(&sw, &callback.call_id),
        [p("2001", Connected), p(CALLER, Connected)]
    );
    sw.hang_up("1001", &callback.call_id).unwrap();
    let record = call_records(&sw.take_output()).pop().unwrap();
    assert_eq!(record.data["callback"], "yes");
    assert_eq!(record.dnis, CALLER);
}

#[test]
fn a_waiting_caller_offered_a_callback_presses_1_and_keeps_their_place() {
    let mut sw = demo();
    login(&mut sw, "1001");
    let first = sw.sim_place_call(CALLER, "5001", UserData::new()).unwrap();
    sw.advance_to(MONDAY + 10_000);
    let second = sw
        .sim_place_call("+15551230002", "5001", UserData::new())
        .unwrap();
    let out = sw.take_output();
    let offer_at = out
        .timers
        .iter()
        .find_map(|t| match t {
            Timer::QueueWait {
                call_id,
                entered,
                at,
            } if *call_id == first => Some((*entered, *at)),
            _ => None,
        })
        .unwrap();
    assert_eq!(offer_at, (MONDAY, MONDAY + 60_000));
    // Before the offer, keys do nothing.
    sw.network_digits(&first, "1").unwrap();
    assert!(sw.has_call(&first));
    sw.advance_to(offer_at.1);
    sw.timer_due(Timer::QueueWait {
        call_id: first.clone(),
        entered: offer_at.0,
        at: offer_at.1,
    });
    let prompt = sw.take_output().prompts.pop().unwrap();
    assert!(
        matches!(prompt.prompt, crate::switch::flows::Prompt::Text(t) if t.contains("press 1"))
    );
    sw.network_digits(&first, "1").unwrap();
    assert!(!sw.has_call(&first), "the caller hangs up");
    // The supervisor's figures see the call leave for its callback, which
    // waits in the caller's place.
    let observed = sw.take_output().observations;
    assert!(
        matches!(&observed[0], Observation::CallbackTaken { call_id, .. } if *call_id == first)
    );
    assert!(observed.iter().any(|o| matches!(o,
        Observation::CallQueued { since, callback: true, queue, .. } if *since == MONDAY && queue == "5001")));
    // The callback goes before the caller who came after.
    sw.set_ready("1001", None).unwrap();
    let [callback] = waiting_callbacks(&sw).try_into().unwrap();
    assert_eq!(parties(&sw, &callback.call_id), [p("2001", Alerting)]);
    assert_eq!(parties(&sw, &second)[1], p("5001", Queued));
}

#[test]
fn an_unanswered_callback_is_recorded_and_tried_again_then_given_up() {
    let mut sw = demo();
    ready(&mut sw, &["1001"]);
    let call = sw.sim_place_call(CALLER, "5100", UserData::new()).unwrap();
    sw.network_digits(&call, "4").unwrap();
    let mut tries = 0;
    loop {
        let [callback] = waiting_callbacks(&sw).try_into().unwrap();
        sw.take_output();
        sw.answer("1001", &callback.call_id).unwrap();
        let out = sw.take_output();
        let ring = out
            .timers
            .iter()
            .find(|t| matches!(t, Timer::CallbackRing { .. }))
            .cloned()
            .unwrap();
        sw.advance_to(ring.at());
        sw.timer_due(ring);
        tries += 1;
        let out = sw.take_output();
        let record = call_records(&out).pop().unwrap();
        assert_eq!(record.data["callback"], "unanswered");
        assert!(!sw.has_call(&callback.call_id));
        sw.complete_wrap_up("1001", None, None).unwrap();
        let retry = out
            .timers
            .iter()
            .find(|t| matches!(t, Timer::CallbackRetry { .. }));
        match retry {
            Some(retry) => {
                assert_eq!(retry.at(), sw.now + 300_000);
                sw.advance_to(retry.at());
                sw.timer_due(retry.clone());
            }
            None => break,
        }
    }
    assert_eq!(tries, 3, "the first try and the queue's two retries");
    assert!(waiting_callbacks(&sw).is_empty());
}

#[test]
fn a_withheld_number_cannot_be_called_back_and_takes_the_fallback() {
    let mut sw = demo();
    let call = sw
        .sim_place_call("anonymous", "5100", UserData::new())
        .unwrap();
    sw.network_digits(&call, "4").unwrap();
    assert!(waiting_callbacks(&sw).is_empty());
    // The demo's fallback is support, where nobody is: the closed message.
    assert_eq!(
        sw.calls[&call].flow_path.last().map(String::as_str),
        Some("closed")
    );
}

#[test]
fn callback_settings_are_checked_at_start() {
    let mut config = SwitchConfig::demo();
    config.queues[1].callbacks = false;
    assert_eq!(
        config.validate().unwrap_err(),
        "queue 5001: callback_after_seconds needs callbacks = true"
    );
    config.queues[1].callback_after_seconds = None;
    assert_eq!(
        config.validate().unwrap_err(),
        "flow 5100: step callback: queue 5001 is not a configured queue with callbacks = true"
    );
}
